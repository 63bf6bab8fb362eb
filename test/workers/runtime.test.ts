import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

import { getRuntime } from "../../src/runtime";
import { capturedLogLines } from "../setup/no-secrets-in-logs";

describe("getRuntime", () => {
  it("builds one runtime per bindings object", async () => {
    const first = getRuntime(env);
    const second = getRuntime(env);
    expect(second).toBe(first);
    expect((await first).tokens).toBe((await second).tokens);
  });

  it("keeps a configuration error and logs it once", async () => {
    const broken = { ...env, KID: undefined };
    const first = await getRuntime(broken).catch((error: unknown) => error);
    const second = await getRuntime(broken).catch((error: unknown) => error);

    expect(second).toBe(first);
    expect((first as { code?: string }).code).toBe("CONFIG_MISSING");
    const logged = capturedLogLines().filter((line) => line.includes('"config_invalid"'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('"variable":"KID"');
  });
});
