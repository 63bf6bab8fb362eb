import { env, exports } from "cloudflare:workers";
import { expect, it } from "vitest";

import { parseTokenConfig } from "../../src/config/token-config";
import { buildHealthReport } from "../../src/health";
import { parseCallerPolicy } from "../../src/policy/caller-policy";

it("health never shows credentials embedded in TOKEN_ENDPOINT", async () => {
  const withUserinfo = {
    ...env,
    TOKEN_ENDPOINT: "https://proxy-user:proxy-pass@api.coze.cn/api/permission/oauth2/token",
  };
  // A Worker bound without props, or a policy-denied caller, receives this report.
  const report = await buildHealthReport(withUserinfo, null);
  expect(JSON.stringify(report)).not.toContain("proxy-pass");
});

it("TOKEN_ENDPOINT with userinfo is rejected as a config error", () => {
  const withUserinfo = {
    ...env,
    TOKEN_ENDPOINT: "https://proxy-user:proxy-pass@api.coze.cn/api/permission/oauth2/token",
  };
  expect(() => parseTokenConfig(withUserinfo)).toThrow(/TOKEN_ENDPOINT/);
});

it("CALLER_POLICY with a duplicate caller is rejected", () => {
  // JSON.parse keeps the last entry, so this allows a caller the first entry denies.
  expect(() => parseCallerPolicy('{"callers":{"x":{"allow":false},"x":{}}}')).toThrow();
});

it("getToken rejects a Map instead of silently ignoring it", async () => {
  const stub = exports.default({ props: { caller: "map-options" } });
  const token = await stub
    .getToken(new Map([["subject", "u1"]]) as never)
    .catch((error: { code: string }) => error);
  // A Map must not pass as {} and silently drop the subject.
  expect((token as { code?: string }).code).toBe("ARGUMENT_INVALID");
});

it("getToken does not echo a 1 MB option name", async () => {
  const stub = exports.default({ props: { caller: "echo-options" } });
  const error = (await stub
    .getToken({ ["k".repeat(1 << 20)]: 1 } as never)
    .catch((thrown: Error) => thrown)) as Error;
  expect(error.message.length).toBeLessThan(1000);
});
