import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

import { parseTokenConfig } from "../../src/config/token-config";
import { TokenWorkerError } from "../../src/errors";
import { applyPolicy, endpointVariant } from "../../src/policy/apply-policy";
import { parseCallerPolicy, ruleFor } from "../../src/policy/caller-policy";
import { checkRateLimiterBindings, enforceRateLimit } from "../../src/policy/rate-limit";
import type { TestKeys } from "../fixtures/test-keys";

const keys = JSON.parse(env.TEST_KEYS) as TestKeys;
const config = parseTokenConfig({ CLIENT_ID: "1234567890", KID: "kid-1", PRIVATE_KEY: keys.pkcs8 });

function thrown(action: () => unknown): TokenWorkerError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(TokenWorkerError);
    return error as TokenWorkerError;
  }
  throw new Error("expected an error");
}

describe("parseCallerPolicy defaults", () => {
  it("denies every caller when CALLER_POLICY is not set", () => {
    const policy = parseCallerPolicy(undefined);
    expect(policy.configured).toBe(false);
    const error = thrown(() => applyPolicy(policy, config, { caller: "billing" }));
    expect(error.code).toBe("POLICY_DENIED");
    expect(error.message).toMatch(/has no CALLER_POLICY entry and the default denies it/);
    expect(error.message).toMatch(/"billing": \{\}/);
  });

  it("denies unlisted callers when there is no default entry", () => {
    const policy = parseCallerPolicy('{"callers": {"billing": {}}}');
    expect(ruleFor(policy, "billing").allow).toBe(true);
    expect(ruleFor(policy, "other").allow).toBe(false);
  });

  it("applies the default entry to unlisted callers", () => {
    const policy = parseCallerPolicy('{"default": {"subjects": false}}');
    expect(ruleFor(policy, "anyone").allow).toBe(true);
    expect(ruleFor(policy, "anyone").subjects).toBe(false);
  });

  it("fills each field of an empty entry", () => {
    const rule = ruleFor(parseCallerPolicy('{"callers": {"billing": {}}}'), "billing");
    expect(rule).toEqual({
      allow: true,
      maxDurationSeconds: 86399,
      subjects: true,
      scope: undefined,
      accountId: undefined,
      enterpriseId: undefined,
      rateLimiter: "RATE_LIMITER",
    });
  });
});

describe("parseCallerPolicy errors", () => {
  const cases: Array<[string, string, RegExp]> = [
    ["invalid JSON", "{callers: {}}", /is not valid JSON/],
    ["a list", "[]", /must be a JSON object/],
    ["unknown top-level field", '{"users": {}}', /users is not a known field/],
    ["uppercase caller id", '{"callers": {"Billing": {}}}', /not a valid caller id/],
    ["caller id with colon", '{"callers": {"a:b": {}}}', /not a valid caller id/],
    [
      "unknown rule field",
      '{"callers": {"a": {"maxDuration": 60}}}',
      /a\.maxDuration is not a known field/,
    ],
    ["allow as string", '{"callers": {"a": {"allow": "yes"}}}', /a\.allow must be true or false/],
    ["duration too long", '{"callers": {"a": {"maxDurationSeconds": 86400}}}', /from 60 to 86399/],
    ["duration fractional", '{"callers": {"a": {"maxDurationSeconds": 90.5}}}', /whole number/],
    [
      "scope as a list",
      '{"callers": {"a": {"scope": [{"x": 1}]}}}',
      /one JSON object, never a list/,
    ],
    [
      "account and enterprise",
      '{"callers": {"a": {"accountId": "1", "enterpriseId": "2"}}}',
      /not both/,
    ],
    [
      "account id with slash",
      '{"callers": {"a": {"accountId": "1/2"}}}',
      /accountId must be a string/,
    ],
    [
      "rate limiter lowercase",
      '{"callers": {"a": {"rateLimiter": "strict"}}}',
      /rate limiter binding/,
    ],
    ["default as list", '{"default": []}', /default must be an object/],
  ];

  for (const [name, raw, message] of cases) {
    it(`rejects ${name}`, () => {
      const error = thrown(() => parseCallerPolicy(raw));
      expect(error.code).toBe("CONFIG_INVALID");
      expect(error.variable).toBe("CALLER_POLICY");
      expect(error.message).toMatch(message);
    });
  }

  it("rejects a rate limiter binding that does not exist", () => {
    const policy = parseCallerPolicy('{"callers": {"a": {"rateLimiter": "RATE_LIMITER_TYPO"}}}');
    const error = thrown(() => checkRateLimiterBindings(policy, {}));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toMatch(/no such binding exists.*name = "RATE_LIMITER_TYPO"/);
  });
});

describe("applyPolicy", () => {
  const policy = parseCallerPolicy(
    JSON.stringify({
      callers: {
        open: {},
        blocked: { allow: false },
        short: { maxDurationSeconds: 600 },
        solo: { subjects: false },
        channel: { scope: { bot_id_list: ["7"] }, accountId: "735" },
        enterprise: { enterpriseId: "ent_1" },
      },
    }),
  );

  it("rejects a caller whose entry denies it", () => {
    const error = thrown(() => applyPolicy(policy, config, { caller: "blocked" }));
    expect(error.code).toBe("POLICY_DENIED");
    expect(error.message).toMatch(/"allow": false/);
  });

  it("rejects a subject when subjects are off", () => {
    const error = thrown(() => applyPolicy(policy, config, { caller: "solo", subject: "u1" }));
    expect(error.code).toBe("POLICY_DENIED");
    expect(error.message).toMatch(/may not pass end-user subjects/);
  });

  it("rejects a duration above the caller's maximum", () => {
    const error = thrown(() =>
      applyPolicy(policy, config, { caller: "short", durationSeconds: 601 }),
    );
    expect(error.code).toBe("POLICY_DENIED");
    expect(error.message).toMatch(/at most 600 s; it asked for 601 s/);
  });

  it("caps the default duration at the caller's maximum", () => {
    const longDefault = { ...config, defaultDurationSeconds: 3600 };
    expect(applyPolicy(policy, longDefault, { caller: "short" }).durationSeconds).toBe(600);
    expect(applyPolicy(policy, longDefault, { caller: "open" }).durationSeconds).toBe(3600);
  });

  it("fixes scope and account endpoint for a channel caller", () => {
    const decision = applyPolicy(policy, config, { caller: "channel" });
    expect(decision.scope).toEqual({ bot_id_list: ["7"] });
    expect(decision.endpoint).toBe("https://api.coze.cn/api/permission/oauth2/account/735/token");
  });

  it("uses the enterprise endpoint variant", () => {
    const decision = applyPolicy(policy, config, { caller: "enterprise" });
    expect(decision.endpoint).toBe(
      "https://api.coze.cn/api/permission/oauth2/enterprise_id/ent_1/token",
    );
  });

  it("keeps a proxy path prefix in endpoint variants", () => {
    const base = "http://127.0.0.1:8788/coze/api/permission/oauth2/token";
    expect(endpointVariant(base, { accountId: "9" })).toBe(
      "http://127.0.0.1:8788/coze/api/permission/oauth2/account/9/token",
    );
  });
});

describe("enforceRateLimit", () => {
  it("allows requests under the limit and rejects the next", async () => {
    const caller = `rate-unit-${crypto.randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 3; i++) {
      await enforceRateLimit(env as never, "RATE_LIMITER_STRICT", caller);
    }
    const error = await enforceRateLimit(env as never, "RATE_LIMITER_STRICT", caller).catch(
      (e: unknown) => e as TokenWorkerError,
    );
    expect(error?.code).toBe("RATE_LIMITED");
    expect(error?.retryAfterSeconds).toBe(60);
  });

  it("counts each caller separately", async () => {
    const first = `rate-a-${crypto.randomUUID().slice(0, 8)}`;
    const second = `rate-b-${crypto.randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 3; i++) {
      await enforceRateLimit(env as never, "RATE_LIMITER_STRICT", first);
    }
    await expect(enforceRateLimit(env as never, "RATE_LIMITER_STRICT", second)).resolves.toBe(
      undefined,
    );
  });

  it("does nothing when the named binding is absent", async () => {
    await expect(enforceRateLimit({}, "RATE_LIMITER", "anyone")).resolves.toBe(undefined);
  });
});
