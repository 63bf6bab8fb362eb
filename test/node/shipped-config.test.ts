import { unstable_readConfig } from "wrangler";
import { describe, expect, it } from "vitest";

import { parseCallerPolicy, ruleFor } from "../../src/policy/caller-policy";

describe("shipped wrangler.toml", () => {
  const config = unstable_readConfig({ config: "wrangler.toml" });

  it("keeps the Worker private", () => {
    expect(config.workers_dev).toBe(false);
    expect(config.preview_urls).toBe(false);
    expect(config.routes ?? []).toEqual([]);
    expect(config.route).toBeUndefined();
  });

  it("uses a compatibility date that keeps RPC error codes", () => {
    expect(config.compatibility_date! >= "2026-04-21").toBe(true);
  });

  it("allows only the example caller by default", () => {
    const policy = parseCallerPolicy(config.vars.CALLER_POLICY);
    expect(ruleFor(policy, "example-caller").allow).toBe(true);
    expect(ruleFor(policy, "billing").allow).toBe(false);
  });

  it("binds the default rate limiter", () => {
    const names = (config.ratelimits ?? []).map((binding: { name: string }) => binding.name);
    expect(names).toContain("RATE_LIMITER");
  });

  it("stores no secret in vars", () => {
    for (const name of ["PRIVATE_KEY", "CALLER_KEYS", "CLIENT_ID", "KID"]) {
      expect(config.vars[name]).toBeUndefined();
    }
  });
});
