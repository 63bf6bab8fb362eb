import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

import type { TokenWorker } from "../../src/entrypoint";
import type { TokenWorkerError } from "../../src/errors";
import type { LogRecord } from "../../src/log";
import type { IssuedToken } from "../../src/tokens/token-service";
import { createTestApp, jwtClaims } from "../helpers/app";
import { TOKEN_ENDPOINT } from "../helpers/emulator";

async function rejection(promise: Promise<unknown>): Promise<TokenWorkerError> {
  try {
    await promise;
  } catch (error) {
    return error as TokenWorkerError;
  }
  throw new Error("expected the call to reject");
}

function events(logs: readonly LogRecord[], event: string): LogRecord[] {
  return logs.filter((record) => record.event === event);
}

describe("TokenService cache", () => {
  it("serves a second call from the cache", async () => {
    const app = await createTestApp();
    const first = await app.service.getToken(app.request());
    const second = await app.service.getToken(app.request());
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect(second.accessToken).toBe(first.accessToken);
    expect(second.expiresAt).toBe(first.expiresAt);
    expect(second.sessionName).toBe("test-caller");
    expect((await app.stats()).issued).toBe(1);
  });

  it("refreshes past the margin only", async () => {
    const app = await createTestApp();
    const first = await app.service.getToken(app.request({ durationSeconds: 900 }));

    await app.advance(800); // about 100 s left, above the 90 s margin
    const reused = await app.service.getToken(app.request({ durationSeconds: 900 }));
    expect(reused.cached).toBe(true);
    expect(reused.accessToken).toBe(first.accessToken);

    await app.advance(20); // about 80 s left, inside the margin
    const refreshed = await app.service.getToken(app.request({ durationSeconds: 900 }));
    expect(refreshed.cached).toBe(false);
    expect(refreshed.accessToken).not.toBe(first.accessToken);
    expect(refreshed.expiresAt).toBeGreaterThanOrEqual(first.expiresAt + 820);
    expect((await app.stats()).issued).toBe(2);
  });

  it("uses the 30 s floor for short tokens", async () => {
    const app = await createTestApp();
    const first = await app.service.getToken(app.request({ durationSeconds: 60 }));
    await app.advance(25);
    expect((await app.service.getToken(app.request({ durationSeconds: 60 }))).accessToken).toBe(
      first.accessToken,
    );
    await app.advance(10);
    const refreshed = await app.service.getToken(app.request({ durationSeconds: 60 }));
    expect(refreshed.cached).toBe(false);
    expect(refreshed.accessToken).not.toBe(first.accessToken);
  });

  it("honours minRemainingSeconds", async () => {
    const app = await createTestApp();
    const first = await app.service.getToken(app.request());
    await app.advance(300); // about 600 s left

    const enough = await app.service.getToken(app.request({ minRemainingSeconds: 500 }));
    expect(enough.cached).toBe(true);
    expect(enough.accessToken).toBe(first.accessToken);

    const longer = await app.service.getToken(app.request({ minRemainingSeconds: 700 }));
    expect(longer.cached).toBe(false);
    expect(longer.accessToken).not.toBe(first.accessToken);
    expect(longer.expiresAt - app.now() / 1000).toBeGreaterThan(700);

    const cached = await app.service.getToken(app.request());
    expect(cached.accessToken).toBe(longer.accessToken);
    expect((await app.stats()).issued).toBe(2);
  });

  it("rejects a minRemainingSeconds no token can meet", async () => {
    const app = await createTestApp();
    const error = await rejection(
      app.service.getToken(app.request({ durationSeconds: 900, minRemainingSeconds: 900 })),
    );
    expect(error.code).toBe("ARGUMENT_INVALID");
    expect(error.variable).toBe("minRemainingSeconds");
    expect(error.message).toContain("900");
    expect((await app.stats()).requests).toBe(0);
  });

  it("mints a new token on forceRefresh and caches it", async () => {
    const app = await createTestApp();
    const first = await app.service.getToken(app.request());
    const forced = await app.service.getToken(app.request({ forceRefresh: true }));
    expect(forced.cached).toBe(false);
    expect(forced.accessToken).not.toBe(first.accessToken);

    const next = await app.service.getToken(app.request());
    expect(next.cached).toBe(true);
    expect(next.accessToken).toBe(forced.accessToken);
    expect((await app.stats()).issued).toBe(2);
  });

  it("keys tokens by duration, scope and endpoint variant", async () => {
    const app = await createTestApp();
    const account = TOKEN_ENDPOINT.replace("/oauth2/token", "/oauth2/account/7351/token");
    const scopeA = { b: { list: ["1"] }, a: 1 };
    const scopeB = { a: 1, b: { list: ["1"] } };
    const tokens = [
      await app.service.getToken(app.request()),
      await app.service.getToken(app.request({ durationSeconds: 1800 })),
      await app.service.getToken(app.request({ scope: scopeA })),
      await app.service.getToken(app.request({ scope: scopeB })),
      await app.service.getToken(app.request({ endpoint: account })),
      await app.service.getToken(app.request({ sessionName: "test-caller:u1" })),
    ];
    expect(tokens.map((token) => token.cached)).toEqual([false, false, false, true, false, false]);
    expect(new Set(tokens.map((token) => token.accessToken)).size).toBe(5);

    const stats = await app.stats();
    expect(stats.issued).toBe(5);
    expect(stats.tokens.map((record) => record.path)).toContain(
      "/api/permission/oauth2/account/7351/token",
    );
  });

  it("evicts the least recently used token at its bound", async () => {
    const app = await createTestApp({ maxCachedTokens: 3 });
    const session = (name: string) => app.request({ sessionName: `test-caller:${name}` });
    for (const name of ["a", "b", "c"]) await app.service.getToken(session(name));
    expect((await app.service.getToken(session("a"))).cached).toBe(true);
    await app.service.getToken(session("d")); // evicts b, the least recently used
    expect(app.service.cachedTokenCount).toBe(3);

    expect((await app.service.getToken(session("a"))).cached).toBe(true);
    expect((await app.service.getToken(session("c"))).cached).toBe(true);
    expect((await app.service.getToken(session("d"))).cached).toBe(true);
    expect((await app.service.getToken(session("b"))).cached).toBe(false);
    expect((await app.stats()).issued).toBe(5);
  });
});

describe("TokenService single-flight", () => {
  it("makes one upstream call for 1,000 concurrent cold calls", async () => {
    const app = await createTestApp();
    const calls = Array.from({ length: 1000 }, () => app.service.getToken(app.request()));
    const tokens = await Promise.all(calls);
    expect(new Set(tokens.map((token) => token.accessToken)).size).toBe(1);
    const stats = await app.stats();
    expect(stats.requests).toBe(1);
    expect(stats.issued).toBe(1);
    expect(events(app.logs, "token_cache_miss")).toHaveLength(1);
    expect(events(app.logs, "upstream_call")).toHaveLength(1);
  });

  it("makes one upstream call per session for 100 sessions", async () => {
    const app = await createTestApp();
    const calls: Promise<IssuedToken>[] = [];
    for (let round = 0; round < 5; round += 1) {
      for (let i = 0; i < 100; i += 1) {
        calls.push(app.service.getToken(app.request({ sessionName: `test-caller:user-${i}` })));
      }
    }
    const tokens = await Promise.all(calls);
    const bySession = new Map<string, Set<string>>();
    for (const token of tokens) {
      const seen = bySession.get(token.sessionName) ?? new Set();
      seen.add(token.accessToken);
      bySession.set(token.sessionName, seen);
    }
    expect(bySession.size).toBe(100);
    expect([...bySession.values()].every((seen) => seen.size === 1)).toBe(true);
    expect(new Set(tokens.map((token) => token.accessToken)).size).toBe(100);

    const stats = await app.stats();
    expect(stats.issued).toBe(100);
    expect(stats.requests).toBe(100);
    expect(new Set(stats.tokens.map((record) => record.session_name)).size).toBe(100);
  });

  it("lets forceRefresh join a mint already running", async () => {
    const app = await createTestApp();
    const plain = app.service.getToken(app.request());
    const forced = app.service.getToken(app.request({ forceRefresh: true }));
    const [a, b] = await Promise.all([plain, forced]);
    expect(b.accessToken).toBe(a.accessToken);
    expect((await app.stats()).requests).toBe(1);
  });

  it("shares one failure and caches nothing", async () => {
    const app = await createTestApp();
    await app.queueFaults([{ kind: "coze_error", error_code: "invalid_client" }]);
    const calls = Array.from({ length: 50 }, () => rejection(app.service.getToken(app.request())));
    const errors = await Promise.all(calls);
    expect(errors[0]!.code).toBe("COZE_INVALID_CLIENT");
    expect(errors.every((error) => error === errors[0])).toBe(true);
    expect(app.service.cachedTokenCount).toBe(0);
    expect((await app.stats()).requests).toBe(1);

    const next = await app.service.getToken(app.request());
    expect(next.cached).toBe(false);
    const stats = await app.stats();
    expect(stats.requests).toBe(2);
    expect(stats.issued).toBe(1);
  });

  it("does not cache a token with an invalid expiry", async () => {
    const app = await createTestApp();
    await app.queueFaults([{ kind: "expires_in", value: Math.floor(app.now() / 1000) - 10 }]);
    const error = await rejection(app.service.getToken(app.request()));
    expect(error.code).toBe("UPSTREAM_EXPIRY_INVALID");
    expect(app.service.cachedTokenCount).toBe(0);
    expect(app.sleeps).toEqual([]);

    const next = await app.service.getToken(app.request());
    expect(next.cached).toBe(false);
    expect(next.expiresAt).toBeGreaterThan(app.now() / 1000 + 800);
    expect((await app.stats()).requests).toBe(2);
  });
});

describe("TokenService stale fallback", () => {
  it("serves the cached token when a refresh fails", async () => {
    const app = await createTestApp();
    const first = await app.service.getToken(app.request());
    await app.advance(850); // about 50 s left: inside the margin, not expired
    await app.queueFaults([{ kind: "coze_error", error_code: "access_deny" }]);

    const stale = await app.service.getToken(app.request());
    expect(stale.cached).toBe(true);
    expect(stale.accessToken).toBe(first.accessToken);
    const [served] = events(app.logs, "stale_token_served");
    expect(served?.code).toBe("COZE_ACCESS_DENIED");
    expect(served?.outcome).toBe("stale");
    expect(served?.remainingSeconds).toBeGreaterThan(0);
    expect(events(app.logs, "token_mint_failed")).toHaveLength(1);

    const refreshed = await app.service.getToken(app.request());
    expect(refreshed.cached).toBe(false);
    expect(refreshed.accessToken).not.toBe(first.accessToken);
  });

  it("does not fall back on forceRefresh", async () => {
    const app = await createTestApp();
    await app.service.getToken(app.request());
    await app.queueFaults([{ kind: "coze_error", error_code: "access_deny" }]);
    const error = await rejection(app.service.getToken(app.request({ forceRefresh: true })));
    expect(error.code).toBe("COZE_ACCESS_DENIED");
  });

  it("does not fall back below minRemainingSeconds", async () => {
    const app = await createTestApp();
    await app.service.getToken(app.request());
    await app.advance(850);
    await app.queueFaults([{ kind: "coze_error", error_code: "access_deny" }]);
    const error = await rejection(app.service.getToken(app.request({ minRemainingSeconds: 120 })));
    expect(error.code).toBe("COZE_ACCESS_DENIED");
  });

  it("does not fall back to an expired token", async () => {
    const app = await createTestApp();
    await app.service.getToken(app.request());
    await app.advance(901);
    await app.queueFaults([{ kind: "coze_error", error_code: "access_deny" }]);
    const error = await rejection(app.service.getToken(app.request()));
    expect(error.code).toBe("COZE_ACCESS_DENIED");
    expect(events(app.logs, "stale_token_served")).toHaveLength(0);
  });
});

describe("TokenService logs", () => {
  it("logs a miss and an upstream call with ids and timing", async () => {
    const app = await createTestApp();
    const request = app.request({ requestId: "req-log-1" });
    await app.service.getToken(request);
    await app.service.getToken(app.request({ requestId: "req-log-2" }));

    const [miss] = events(app.logs, "token_cache_miss");
    expect(miss).toMatchObject({
      outcome: "miss",
      reason: "absent",
      caller: "test-caller",
      sessionName: "test-caller",
      requestId: "req-log-1",
    });
    const [call] = events(app.logs, "upstream_call");
    expect(call).toMatchObject({ outcome: "ok", attempt: 1, requestId: "req-log-1" });
    expect(call?.cozeLogId).toMatch(/^\d{14}[0-9A-F]{18}$/);
    expect(call?.durationMs).toBeGreaterThanOrEqual(0);
    expect(app.logs).toHaveLength(2);
  });

  it("never logs the JWT or the token", async () => {
    const app = await createTestApp();
    await app.queueFaults([
      { kind: "abort" },
      { kind: "coze_error", error_code: "internal_error" },
    ]);
    const token = await app.service.getToken(app.request());
    await app.advance(850);
    await app.queueFaults([{ kind: "coze_error", error_code: "invalid_client" }]);
    await app.service.getToken(app.request());

    expect(app.assertions.length).toBe(4);
    const text = JSON.stringify(app.logs);
    expect(text).not.toContain(token.accessToken);
    for (const jwt of app.assertions) {
      expect(text).not.toContain(jwt);
      expect(text).not.toContain(jwt.split(".")[2]!);
      expect(text).not.toContain(String(jwtClaims(jwt).jti));
    }
  });
});

describe("getToken over RPC", () => {
  it("serves a second call from the cache", async () => {
    const caller = `cache-rpc-${crypto.randomUUID().slice(0, 8)}`;
    const factory = exports.default as unknown as (options: {
      props: { caller: string };
    }) => Pick<TokenWorker, "getToken">;
    const stub = factory({ props: { caller } });

    const first = await stub.getToken();
    const second = await stub.getToken();
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect(second.accessToken).toBe(first.accessToken);
    expect(second.sessionName).toBe(caller);

    const forced = await stub.getToken({ forceRefresh: true });
    expect(forced.cached).toBe(false);
    expect(forced.accessToken).not.toBe(first.accessToken);
  });
});
