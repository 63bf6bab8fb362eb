import { describe, expect, it } from "vitest";

import { TokenWorkerError } from "../../src/errors";
import { errorResponse } from "../../src/http/responses";
import { createTestApp } from "../helpers/app";

const now = () => Math.floor(Date.now() / 1000);
const validBody = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ access_token: "pat_" + "a".repeat(40), expires_in: now() + 900, ...extra });

describe("malicious token endpoint", () => {
  it("does not read a 20 MB token response", async () => {
    const app = await createTestApp({ retryPolicy: { maxAttempts: 1 } });
    const body = validBody({ padding: "x".repeat(20_000_000) });
    await app.queueFaults([{ kind: "status", status: 200, body }]);
    await expect(app.service.getToken(app.request())).rejects.toMatchObject({
      code: "UPSTREAM_MALFORMED",
    });
  }, 60_000);

  it("does not copy a 60 KB X-Tt-Logid into every log line", async () => {
    const app = await createTestApp({ retryPolicy: { maxAttempts: 1 } });
    const headers = { "X-Tt-Logid": "L".repeat(60_000) };
    await app.queueFaults([{ kind: "status", status: 200, body: validBody(), headers }]);
    await app.service.getToken(app.request());
    for (const record of app.logs) expect(JSON.stringify(record).length).toBeLessThan(2000);
  });

  it("does not put an arbitrary X-Tt-Logid into logs and messages", async () => {
    const app = await createTestApp({ retryPolicy: { maxAttempts: 1 } });
    const body = JSON.stringify({ error_code: "invalid_request", error_message: "bad" });
    const headers = { "X-Tt-Logid": "czs_NOT_A_LOG_ID_0123456789" };
    await app.queueFaults([{ kind: "status", status: 400, body, headers }]);
    const error = (await app.service.getToken(app.request()).catch((e) => e)) as Error;
    expect(error.message).not.toContain("czs_");
    expect(JSON.stringify(app.logs)).not.toContain("czs_");
  });

  it("reports an error_code object with a toString key as malformed, without retrying", async () => {
    const app = await createTestApp({});
    const body = JSON.stringify({ error: "e", error_code: { toString: 1 } });
    await app.queueFaults([0, 1, 2].map(() => ({ kind: "status" as const, status: 400, body })));
    const error = (await app.service.getToken(app.request()).catch((e) => e)) as TokenWorkerError;
    // A parser failure must not pass as a network error, which would be retried.
    expect(error.code).not.toBe("UPSTREAM_NETWORK");
    expect((await app.stats()).requests).toBe(1);
  });

  it("sends a numeric Retry-After to HTTP callers", () => {
    const error = new TokenWorkerError("COZE_RATE_LIMITED", "x", { retryAfterSeconds: Infinity });
    expect(errorResponse(error, "id").headers.get("Retry-After")).toMatch(/^\d+$/);
  });
});
