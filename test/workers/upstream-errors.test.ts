import { describe, expect, it } from "vitest";

import type { CozeErrorCode, ErrorCode, TokenWorkerError } from "../../src/errors";
import { type TestApp, createTestApp, jwtClaims } from "../helpers/app";
import type { Fault } from "../helpers/emulator";

/** One attempt only, so each failure shows the code of a single exchange. */
const NO_RETRIES = { retryPolicy: { maxAttempts: 1 } };

async function failWith(app: TestApp, fault: Fault): Promise<TokenWorkerError> {
  await app.queueFaults([fault]);
  try {
    await app.service.getToken(app.request());
  } catch (error) {
    return error as TokenWorkerError;
  }
  throw new Error("expected getToken to reject");
}

/** Checks that nothing secret or token-like appears in the error or the service's logs. */
function expectNoSecrets(app: TestApp, error: TokenWorkerError) {
  const texts = [error.message, JSON.stringify(error), JSON.stringify(app.logs)];
  expect(app.assertions.length).toBeGreaterThan(0);
  for (const text of texts) {
    expect(text).not.toMatch(/czs_/);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\./);
    for (const jwt of app.assertions) {
      expect(text).not.toContain(jwt.split(".")[2]!);
      expect(text).not.toContain(String(jwtClaims(jwt).jti));
    }
  }
}

describe("Coze error bodies", () => {
  const cases: [string, number | undefined, CozeErrorCode][] = [
    ["invalid_client", undefined, "COZE_INVALID_CLIENT"],
    ["invalid_request", undefined, "COZE_INVALID_REQUEST"],
    ["access_deny", undefined, "COZE_ACCESS_DENIED"],
    ["unsupported_grant_type", undefined, "COZE_UNSUPPORTED_GRANT_TYPE"],
    ["internal_error", undefined, "COZE_INTERNAL_ERROR"],
    ["rate_limited", 429, "COZE_RATE_LIMITED"],
    ["not_documented", undefined, "COZE_ERROR"],
  ];
  for (const [errorCode, status, code] of cases) {
    it(`maps ${errorCode} to ${code}`, async () => {
      const app = await createTestApp(NO_RETRIES);
      const error = await failWith(app, { kind: "coze_error", error_code: errorCode, status });
      expect(error.code).toBe(code);
      expect(error.cozeErrorCode).toBe(errorCode);
      expect(app.logIds[0]).toMatch(/^\d{14}[0-9A-F]{18}$/);
      expect(error.cozeLogId).toBe(app.logIds[0]);
      expect(error.message).toContain(errorCode);
      expect(error.message).toContain(app.logIds[0]);
      expectNoSecrets(app, error);
    });
  }

  it("keeps Retry-After of a rate limit", async () => {
    const app = await createTestApp(NO_RETRIES);
    const error = await failWith(app, {
      kind: "coze_error",
      error_code: "rate_limited",
      status: 429,
      retryAfter: "42",
    });
    expect(error.code).toBe("COZE_RATE_LIMITED");
    expect(error.retryAfterSeconds).toBe(42);
    expect(error.upstreamStatus).toBe(429);
  });

  it("logs the failure with Coze's log id", async () => {
    const app = await createTestApp(NO_RETRIES);
    const error = await failWith(app, { kind: "coze_error", error_code: "invalid_client" });
    const [call] = app.logs.filter((record) => record.event === "upstream_call");
    expect(call).toMatchObject({
      outcome: "error",
      code: "COZE_INVALID_CLIENT",
      cozeLogId: error.cozeLogId,
      attempt: 1,
      caller: "test-caller",
    });
    const [failed] = app.logs.filter((record) => record.event === "token_mint_failed");
    expect(failed).toMatchObject({ code: "COZE_INVALID_CLIENT", attempt: 1 });
  });
});

describe("unusable responses", () => {
  const cases: [string, Fault, ErrorCode, RegExp][] = [
    ["an HTML page", { kind: "html" }, "UPSTREAM_HTML", /HTML page/],
    ["an empty body", { kind: "empty" }, "UPSTREAM_EMPTY", /empty body/],
    ["a truncated body", { kind: "truncated" }, "UPSTREAM_MALFORMED", /truncated or malformed/],
    [
      "a 503 without an error",
      { kind: "status", status: 503, body: "{}" },
      "UPSTREAM_STATUS",
      /503/,
    ],
    ["a network failure", { kind: "abort" }, "UPSTREAM_NETWORK", /could not be reached/],
    ["a slow answer", { kind: "delay", ms: 2000 }, "UPSTREAM_TIMEOUT", /within 100 ms/],
    [
      "an expiry in the past",
      { kind: "expires_in", value: 1_700_000_000 },
      "UPSTREAM_EXPIRY_INVALID",
      /expires_in=1700000000/,
    ],
  ];
  for (const [name, fault, code, message] of cases) {
    it(`reports ${name} as ${code}`, async () => {
      const app = await createTestApp({ ...NO_RETRIES, upstreamTimeoutMs: 100 });
      const error = await failWith(app, fault);
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
      expectNoSecrets(app, error);
    });
  }

  it("discards the token of an expiry years ahead", async () => {
    const app = await createTestApp(NO_RETRIES);
    const error = await failWith(app, { kind: "expires_in", value: 4_000_000_000 });
    expect(error.code).toBe("UPSTREAM_EXPIRY_INVALID");
    expect((await app.stats()).issued).toBe(1);
    expect(app.service.cachedTokenCount).toBe(0);
    expectNoSecrets(app, error);
  });
});
