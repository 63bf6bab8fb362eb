import { describe, expect, it } from "vitest";

import { TokenWorkerError } from "../../src/errors";
import { SingleFlight } from "../../src/tokens/single-flight";
import {
  type CachedToken,
  TokenCache,
  judgeCachedToken,
  refreshMarginSeconds,
  stableJson,
  tokenCacheKey,
} from "../../src/tokens/token-cache";

const ENDPOINT = "https://api.coze.cn/api/permission/oauth2/token";
const T0 = 1_800_000_000_000;

/** Builds a cached token received at `receivedAtMs` that lives `lifetimeSeconds`. */
function entry(
  lifetimeSeconds: number,
  receivedAtMs = T0,
  accessToken = "czs_cached",
): CachedToken {
  return {
    token: { accessToken, tokenType: "Bearer", expiresAt: receivedAtMs / 1000 + lifetimeSeconds },
    receivedAtMs,
  };
}

describe("stableJson", () => {
  it("sorts object keys at every depth", () => {
    const a = { b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } };
    const b = { a: { c: null, d: [1, { y: 2, z: 1 }] }, b: 1 };
    expect(stableJson(a)).toBe(stableJson(b));
    expect(stableJson(a)).toBe('{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
  });

  it("keeps array order", () => {
    expect(stableJson([2, 1])).not.toBe(stableJson([1, 2]));
  });
});

describe("tokenCacheKey", () => {
  const base = { endpoint: ENDPOINT, sessionName: "billing", durationSeconds: 900 };

  it("is equal for scopes that differ only in key order", () => {
    const one = tokenCacheKey({ ...base, scope: { x: 1, y: { b: 2, a: 1 } } });
    const two = tokenCacheKey({ ...base, scope: { y: { a: 1, b: 2 }, x: 1 } });
    expect(one).toBe(two);
  });

  it("differs for each field that changes the token", () => {
    const keys = [
      tokenCacheKey(base),
      tokenCacheKey({ ...base, sessionName: "billing:u1" }),
      tokenCacheKey({ ...base, durationSeconds: 901 }),
      tokenCacheKey({ ...base, endpoint: `${ENDPOINT.replace("/token", "/account/1/token")}` }),
      tokenCacheKey({ ...base, scope: {} }),
      tokenCacheKey({ ...base, scope: { bot: ["1"] } }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe("refreshMarginSeconds", () => {
  it("is 30 s for lifetimes up to 300 s", () => {
    expect(refreshMarginSeconds(60)).toBe(30);
    expect(refreshMarginSeconds(300)).toBe(30);
  });

  it("is a tenth of longer lifetimes", () => {
    expect(refreshMarginSeconds(900)).toBe(90);
    expect(refreshMarginSeconds(86399)).toBeCloseTo(8639.9);
  });
});

describe("judgeCachedToken", () => {
  it("reports a missing entry as absent", () => {
    expect(judgeCachedToken(undefined, T0)).toBe("absent");
  });

  it("reuses a 900 s token until 90 s remain", () => {
    const cached = entry(900);
    expect(judgeCachedToken(cached, T0)).toBe("fresh");
    expect(judgeCachedToken(cached, T0 + 809_999)).toBe("fresh");
    expect(judgeCachedToken(cached, T0 + 810_000)).toBe("in_margin");
    expect(judgeCachedToken(cached, T0 + 899_000)).toBe("in_margin");
  });

  it("reuses a 60 s token for its first 30 s", () => {
    const cached = entry(60);
    expect(judgeCachedToken(cached, T0 + 29_000)).toBe("fresh");
    expect(judgeCachedToken(cached, T0 + 30_000)).toBe("in_margin");
  });

  it("takes lifetime as expiry minus receipt time", () => {
    // 1000 s lifetime, so a 100 s margin: 95 s left is inside it.
    const cached = entry(1000);
    expect(judgeCachedToken(cached, T0 + 899_000)).toBe("fresh");
    expect(judgeCachedToken(cached, T0 + 905_000)).toBe("in_margin");
  });

  it("honours minRemainingSeconds", () => {
    const cached = entry(900);
    expect(judgeCachedToken(cached, T0 + 300_000, 600)).toBe("fresh");
    expect(judgeCachedToken(cached, T0 + 300_001, 600)).toBe("below_minimum");
    expect(judgeCachedToken(cached, T0 + 300_001, 0)).toBe("fresh");
  });
});

describe("TokenCache", () => {
  it("returns what was stored", () => {
    const cache = new TokenCache();
    const cached = entry(900);
    cache.set("k", cached);
    expect(cache.get("k", T0)).toBe(cached);
    expect(cache.size).toBe(1);
  });

  it("drops an expired entry on read", () => {
    const cache = new TokenCache();
    cache.set("k", entry(900));
    expect(cache.get("k", T0 + 899_999)).toBeDefined();
    expect(cache.get("k", T0 + 900_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("replaces an entry under the same key", () => {
    const cache = new TokenCache(2);
    cache.set("k", entry(900, T0, "czs_old"));
    cache.set("k", entry(900, T0, "czs_new"));
    expect(cache.size).toBe(1);
    expect(cache.get("k", T0)?.token.accessToken).toBe("czs_new");
  });

  it("evicts the least recently used entry at its bound", () => {
    const cache = new TokenCache(3);
    cache.set("a", entry(900));
    cache.set("b", entry(900));
    cache.set("c", entry(900));
    cache.get("a", T0); // a is now the most recently used
    cache.set("d", entry(900));
    expect(cache.size).toBe(3);
    expect(cache.has("b")).toBe(false);
    expect(cache.has("a")).toBe(true);
    expect(cache.has("c")).toBe(true);
    expect(cache.has("d")).toBe(true);
  });

  it("holds at most 1,000 entries by default", () => {
    const cache = new TokenCache();
    for (let i = 0; i < 1500; i += 1) cache.set(`session-${i}`, entry(900));
    expect(cache.size).toBe(1000);
    expect(cache.has("session-499")).toBe(false);
    expect(cache.has("session-500")).toBe(true);
    expect(cache.has("session-1499")).toBe(true);
  });

  for (const bound of [0, -1, 1.5, Number.NaN]) {
    it(`rejects a bound of ${bound}`, () => {
      let caught: unknown;
      try {
        new TokenCache(bound);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(TokenWorkerError);
      expect((caught as TokenWorkerError).code).toBe("CONFIG_INVALID");
    });
  }
});

describe("SingleFlight", () => {
  it("shares one running operation per key", async () => {
    const flights = new SingleFlight<number>();
    let runs = 0;
    let release!: (value: number) => void;
    const operation = () => {
      runs += 1;
      return new Promise<number>((resolve) => (release = resolve));
    };
    const first = flights.run("k", operation);
    const second = flights.run("k", operation);
    const other = flights.run("other", () => Promise.resolve(7));
    expect(first.joined).toBe(false);
    expect(second.joined).toBe(true);
    expect(other.joined).toBe(false);
    await Promise.resolve();
    release(42);
    expect(await first.promise).toBe(42);
    expect(await second.promise).toBe(42);
    expect(await other.promise).toBe(7);
    expect(runs).toBe(1);
    expect(flights.size).toBe(0);
  });

  it("fails every waiter with the same error and then forgets it", async () => {
    const flights = new SingleFlight<number>();
    const failure = new Error("upstream failed");
    const first = flights.run("k", () => Promise.reject(failure));
    const second = flights.run("k", () => Promise.resolve(1));
    await expect(first.promise).rejects.toBe(failure);
    await expect(second.promise).rejects.toBe(failure);
    expect(flights.size).toBe(0);
    const retry = flights.run("k", () => Promise.resolve(2));
    expect(retry.joined).toBe(false);
    expect(await retry.promise).toBe(2);
  });

  it("forgets an operation that throws synchronously", async () => {
    const flights = new SingleFlight<number>();
    const flight = flights.run("k", () => {
      throw new Error("thrown before any await");
    });
    await expect(flight.promise).rejects.toThrow("thrown before any await");
    expect(flights.size).toBe(0);
  });
});
