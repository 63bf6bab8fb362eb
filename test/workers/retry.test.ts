import { describe, expect, it } from "vitest";

import {
  DEFAULT_RETRY_POLICY,
  type RetryNotice,
  type RetryPolicy,
  backoffDelayMs,
  isRetryable,
  nextRetryDelayMs,
  withRetries,
} from "../../src/coze/retry";
import { type ErrorCode, type ErrorDetails, TokenWorkerError } from "../../src/errors";
import { createTestApp, jwtClaims } from "../helpers/app";
import type { Fault } from "../helpers/emulator";

const POLICY: RetryPolicy = DEFAULT_RETRY_POLICY;

function failure(code: ErrorCode, details: ErrorDetails = {}): TokenWorkerError {
  return new TokenWorkerError(code, `${code} for a test`, details);
}

/** Creates a fake clock with a sleep that moves it, so retry waits take no real time. */
function fakeTime(start = 1_800_000_000_000) {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    clock: () => now,
    advance: (ms: number) => {
      now += ms;
    },
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

describe("isRetryable", () => {
  const cases: [ErrorCode, number | undefined, boolean][] = [
    ["UPSTREAM_NETWORK", undefined, true],
    ["UPSTREAM_TIMEOUT", undefined, true],
    ["COZE_INTERNAL_ERROR", 500, true],
    ["COZE_INTERNAL_ERROR", 200, true],
    ["COZE_RATE_LIMITED", 429, true],
    ["UPSTREAM_STATUS", 500, true],
    ["UPSTREAM_STATUS", 503, true],
    ["UPSTREAM_STATUS", 404, false],
    ["UPSTREAM_HTML", 502, true],
    ["UPSTREAM_HTML", 200, false],
    ["UPSTREAM_EMPTY", 504, true],
    ["UPSTREAM_EMPTY", 200, false],
    ["UPSTREAM_MALFORMED", 500, true],
    ["UPSTREAM_MALFORMED", 200, false],
    ["COZE_ERROR", 500, true],
    ["COZE_ERROR", 400, false],
    ["COZE_INVALID_CLIENT", 401, false],
    ["COZE_INVALID_CLIENT", 500, false],
    ["COZE_INVALID_REQUEST", 400, false],
    ["COZE_ACCESS_DENIED", 403, false],
    ["COZE_UNSUPPORTED_GRANT_TYPE", 400, false],
    ["UPSTREAM_EXPIRY_INVALID", 200, false],
    ["INTERNAL", undefined, false],
  ];
  for (const [code, status, expected] of cases) {
    it(`${expected ? "retries" : "does not retry"} ${code} with status ${status ?? "none"}`, () => {
      expect(isRetryable(failure(code, { upstreamStatus: status }))).toBe(expected);
    });
  }
});

describe("backoffDelayMs", () => {
  const error = failure("UPSTREAM_NETWORK");

  it("draws from [0, base) after the first failure", () => {
    expect(backoffDelayMs(error, 1, POLICY, () => 0)).toBe(0);
    expect(backoffDelayMs(error, 1, POLICY, () => 0.5)).toBe(POLICY.baseDelayMs / 2);
    expect(backoffDelayMs(error, 1, POLICY, () => 0.999999)).toBeLessThan(POLICY.baseDelayMs);
  });

  it("doubles its bound per failure up to maxDelayMs", () => {
    const policy = { ...POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
    const nearOne = () => 0.999999;
    expect(backoffDelayMs(error, 2, policy, nearOne)).toBe(199);
    expect(backoffDelayMs(error, 3, policy, nearOne)).toBe(399);
    expect(backoffDelayMs(error, 4, policy, nearOne)).toBe(799);
    expect(backoffDelayMs(error, 10, policy, nearOne)).toBe(999);
  });

  it("uses Retry-After when the error carries it", () => {
    const limited = failure("COZE_RATE_LIMITED", { retryAfterSeconds: 7 });
    expect(backoffDelayMs(limited, 1, POLICY, () => 0)).toBe(7000);
  });
});

describe("nextRetryDelayMs", () => {
  const network = failure("UPSTREAM_NETWORK");

  it("retries until the attempts are used up", () => {
    expect(nextRetryDelayMs(network, 1, 20_000, POLICY, () => 0.5)).toBe(250);
    expect(nextRetryDelayMs(network, 2, 20_000, POLICY, () => 0.5)).toBe(500);
    expect(nextRetryDelayMs(network, 3, 20_000, POLICY, () => 0.5)).toBeUndefined();
  });

  it("stops when waiting leaves too little time", () => {
    expect(nextRetryDelayMs(network, 1, 1250, POLICY, () => 0.5)).toBe(250);
    expect(nextRetryDelayMs(network, 1, 1249, POLICY, () => 0.5)).toBeUndefined();
  });

  it("honours a Retry-After that fits the deadline", () => {
    const limited = failure("COZE_RATE_LIMITED", { retryAfterSeconds: 5 });
    expect(nextRetryDelayMs(limited, 1, 20_000, POLICY, () => 0)).toBe(5000);
  });

  it("fails at once when Retry-After passes the deadline", () => {
    const limited = failure("COZE_RATE_LIMITED", { retryAfterSeconds: 30 });
    expect(nextRetryDelayMs(limited, 1, 20_000, POLICY, () => 0)).toBeUndefined();
  });

  it("never retries a non-retryable error", () => {
    const invalid = failure("COZE_INVALID_CLIENT", { upstreamStatus: 401 });
    expect(nextRetryDelayMs(invalid, 1, 20_000, POLICY, () => 0)).toBeUndefined();
  });
});

describe("withRetries", () => {
  it("returns the first success", async () => {
    const time = fakeTime();
    const attempts: number[] = [];
    const result = await withRetries(
      async ({ attempt }) => {
        attempts.push(attempt);
        if (attempt < 3) throw failure("UPSTREAM_TIMEOUT");
        return "ok";
      },
      POLICY,
      { clock: time.clock, sleep: time.sleep, random: () => 0.5 },
    );
    expect(result).toBe("ok");
    expect(attempts).toEqual([1, 2, 3]);
    expect(time.sleeps).toEqual([250, 500]);
  });

  it("rejects with the last error after the last attempt", async () => {
    const time = fakeTime();
    let calls = 0;
    const run = withRetries(
      async () => {
        calls += 1;
        throw failure("COZE_INTERNAL_ERROR", { cozeLogId: `log-${calls}` });
      },
      POLICY,
      { clock: time.clock, sleep: time.sleep, random: () => 0 },
    );
    await expect(run).rejects.toMatchObject({ code: "COZE_INTERNAL_ERROR", cozeLogId: "log-3" });
    expect(calls).toBe(3);
  });

  it("reports each retry before waiting", async () => {
    const time = fakeTime();
    const notices: RetryNotice[] = [];
    await expect(
      withRetries(
        async () => {
          throw failure("UPSTREAM_NETWORK");
        },
        POLICY,
        { clock: time.clock, sleep: time.sleep, random: () => 0.5 },
        (notice) => notices.push(notice),
      ),
    ).rejects.toMatchObject({ code: "UPSTREAM_NETWORK" });
    expect(notices.map((notice) => [notice.attempt, notice.delayMs])).toEqual([
      [1, 250],
      [2, 500],
    ]);
  });

  it("passes the time left before the deadline to each attempt", async () => {
    const time = fakeTime();
    const remaining: number[] = [];
    await expect(
      withRetries(
        async ({ remainingMs }) => {
          remaining.push(remainingMs);
          time.advance(8000); // each attempt runs into an 8 s timeout
          throw failure("UPSTREAM_TIMEOUT");
        },
        POLICY,
        { clock: time.clock, sleep: time.sleep, random: () => 0.5 },
      ),
    ).rejects.toMatchObject({ code: "UPSTREAM_TIMEOUT" });
    expect(remaining).toEqual([20_000, 11_750, 3250]);
  });

  it("stops at the deadline before the attempts are used up", async () => {
    const time = fakeTime();
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls += 1;
          time.advance(19_500);
          throw failure("UPSTREAM_TIMEOUT");
        },
        POLICY,
        { clock: time.clock, sleep: time.sleep, random: () => 0 },
      ),
    ).rejects.toMatchObject({ code: "UPSTREAM_TIMEOUT" });
    expect(calls).toBe(1);
    expect(time.sleeps).toEqual([]);
  });

  it("turns a non-Worker error into INTERNAL without retrying", async () => {
    const time = fakeTime();
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls += 1;
          throw new TypeError("bug");
        },
        POLICY,
        { clock: time.clock, sleep: time.sleep, random: () => 0 },
      ),
    ).rejects.toMatchObject({ code: "INTERNAL" });
    expect(calls).toBe(1);
  });
});

async function rejection(promise: Promise<unknown>): Promise<TokenWorkerError> {
  try {
    await promise;
  } catch (error) {
    return error as TokenWorkerError;
  }
  throw new Error("expected the call to reject");
}

describe("TokenService retries retryable failures", () => {
  const cases: [string, Fault, ErrorCode][] = [
    ["a network failure", { kind: "abort" }, "UPSTREAM_NETWORK"],
    ["a timeout", { kind: "delay", ms: 1000 }, "UPSTREAM_TIMEOUT"],
    ["HTTP 500 with a JSON body", { kind: "status", status: 500, body: "{}" }, "UPSTREAM_STATUS"],
    ["HTTP 503 with a JSON body", { kind: "status", status: 503, body: "{}" }, "UPSTREAM_STATUS"],
    ["an HTML 502 page", { kind: "html" }, "UPSTREAM_HTML"],
    ["an empty 503", { kind: "empty", status: 503 }, "UPSTREAM_EMPTY"],
    ["a malformed 500", { kind: "status", status: 500, body: '{"access' }, "UPSTREAM_MALFORMED"],
    ["internal_error", { kind: "coze_error", error_code: "internal_error" }, "COZE_INTERNAL_ERROR"],
    [
      "a rate limit",
      { kind: "coze_error", error_code: "rate_limited", status: 429 },
      "COZE_RATE_LIMITED",
    ],
    [
      "an unknown Coze error with 500",
      { kind: "coze_error", error_code: "something_new", status: 500 },
      "COZE_ERROR",
    ],
  ];
  for (const [name, fault, code] of cases) {
    it(`retries ${name} (${code})`, async () => {
      const app = await createTestApp({ upstreamTimeoutMs: 200 });
      await app.queueFaults([fault]);
      const token = await app.service.getToken(app.request());
      expect(token.cached).toBe(false);
      const stats = await app.stats();
      expect(stats.requests).toBe(2);
      expect(stats.issued).toBe(1);
      expect(app.sleeps).toEqual([250]);
      const [retry] = app.logs.filter((record) => record.event === "upstream_retry");
      expect(retry).toMatchObject({ code, attempt: 1, delayMs: 250, outcome: "retry" });
    });
  }
});

describe("TokenService does not retry final failures", () => {
  const cases: [string, Fault, ErrorCode][] = [
    ["invalid_client", { kind: "coze_error", error_code: "invalid_client" }, "COZE_INVALID_CLIENT"],
    [
      "invalid_request",
      { kind: "coze_error", error_code: "invalid_request" },
      "COZE_INVALID_REQUEST",
    ],
    ["access_deny", { kind: "coze_error", error_code: "access_deny" }, "COZE_ACCESS_DENIED"],
    [
      "unsupported_grant_type",
      { kind: "coze_error", error_code: "unsupported_grant_type" },
      "COZE_UNSUPPORTED_GRANT_TYPE",
    ],
    [
      "invalid_client sent with HTTP 500",
      { kind: "coze_error", error_code: "invalid_client", status: 500 },
      "COZE_INVALID_CLIENT",
    ],
    ["an unknown Coze error with 400", { kind: "coze_error", error_code: "x" }, "COZE_ERROR"],
    ["HTTP 404", { kind: "status", status: 404, body: "{}" }, "UPSTREAM_STATUS"],
    ["an empty 200", { kind: "empty" }, "UPSTREAM_EMPTY"],
    ["a truncated 200", { kind: "truncated" }, "UPSTREAM_MALFORMED"],
    ["an expiry in the past", { kind: "expires_in", value: 1_000_000 }, "UPSTREAM_EXPIRY_INVALID"],
    [
      "an expiry years ahead",
      { kind: "expires_in", value: 4_000_000_000 },
      "UPSTREAM_EXPIRY_INVALID",
    ],
  ];
  for (const [name, fault, code] of cases) {
    it(`fails at once on ${name} (${code})`, async () => {
      const app = await createTestApp();
      await app.queueFaults([fault]);
      const error = await rejection(app.service.getToken(app.request()));
      expect(error.code).toBe(code);
      expect((await app.stats()).requests).toBe(1);
      expect(app.sleeps).toEqual([]);
      expect(app.logs.filter((record) => record.event === "upstream_retry")).toEqual([]);
      expect(app.service.cachedTokenCount).toBe(0);
    });
  }
});

describe("TokenService retry limits", () => {
  it("gives up after three attempts with the last error", async () => {
    const app = await createTestApp();
    await app.queueFaults([
      { kind: "abort" },
      { kind: "html" },
      { kind: "coze_error", error_code: "internal_error" },
      { kind: "abort" },
    ]);
    const error = await rejection(app.service.getToken(app.request()));
    expect(error.code).toBe("COZE_INTERNAL_ERROR");
    expect(error.cozeLogId).toMatch(/^\d{14}[0-9A-F]{18}$/);
    expect((await app.stats()).requests).toBe(3);
    expect(app.sleeps).toEqual([250, 500]);
    const [failed] = app.logs.filter((record) => record.event === "token_mint_failed");
    expect(failed).toMatchObject({ code: "COZE_INTERNAL_ERROR", attempt: 3, outcome: "error" });
  });

  it("signs a new JWT for every attempt", async () => {
    const app = await createTestApp();
    await app.queueFaults([
      { kind: "abort" },
      { kind: "coze_error", error_code: "internal_error" },
    ]);
    await app.service.getToken(app.request());
    expect(app.assertions).toHaveLength(3);
    const jtis = app.assertions.map((jwt) => jwtClaims(jwt).jti);
    expect(new Set(jtis).size).toBe(3);
    const [issued] = (await app.stats()).tokens;
    expect(issued?.claims.jti).toBe(jtis[2]);
  });

  it("waits as long as Retry-After asks", async () => {
    const app = await createTestApp();
    await app.queueFaults([
      { kind: "coze_error", error_code: "rate_limited", status: 429, retryAfter: "7" },
    ]);
    const token = await app.service.getToken(app.request());
    expect(token.cached).toBe(false);
    expect(app.sleeps).toEqual([7000]);
  });

  it("fails at once when Retry-After passes the deadline", async () => {
    const app = await createTestApp();
    await app.queueFaults([
      { kind: "coze_error", error_code: "rate_limited", status: 429, retryAfter: "30" },
    ]);
    const error = await rejection(app.service.getToken(app.request()));
    expect(error.code).toBe("COZE_RATE_LIMITED");
    expect(error.retryAfterSeconds).toBe(30);
    expect(app.sleeps).toEqual([]);
    expect((await app.stats()).requests).toBe(1);
  });

  it("stops when the deadline leaves no room for another wait", async () => {
    const app = await createTestApp();
    const limited: Fault = {
      kind: "coze_error",
      error_code: "rate_limited",
      status: 429,
      retryAfter: "12",
    };
    await app.queueFaults([limited, limited]);
    const error = await rejection(app.service.getToken(app.request()));
    expect(error.code).toBe("COZE_RATE_LIMITED");
    // 12 s fit in the 20 s deadline once; a second 12 s wait would pass it.
    expect(app.sleeps).toEqual([12_000]);
    expect((await app.stats()).requests).toBe(2);
  });

  it("stops at a short deadline before the attempts are used up", async () => {
    const app = await createTestApp({ retryPolicy: { deadlineMs: 1500 } });
    await app.queueFaults([{ kind: "abort" }, { kind: "abort" }, { kind: "abort" }]);
    const error = await rejection(app.service.getToken(app.request()));
    expect(error.code).toBe("UPSTREAM_NETWORK");
    expect(app.sleeps).toEqual([250]);
    expect((await app.stats()).requests).toBe(2);
  });

  it("bounds each attempt's timeout by the deadline", async () => {
    const app = await createTestApp({
      upstreamTimeoutMs: 10_000,
      retryPolicy: { deadlineMs: 300, maxAttempts: 1 },
    });
    await app.queueFaults([{ kind: "delay", ms: 2000 }]);
    const started = Date.now();
    const error = await rejection(app.service.getToken(app.request()));
    expect(error.code).toBe("UPSTREAM_TIMEOUT");
    expect(Date.now() - started).toBeLessThan(1500);
  });
});
