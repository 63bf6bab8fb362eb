/**
 * Per-caller rate limiting with Cloudflare's Rate Limiting binding, keyed by caller id.
 *
 * @module
 */

import { TokenWorkerError } from "../errors";
import { type CallerPolicy, DEFAULT_RATE_LIMITER } from "./caller-policy";

/**
 * Seconds a limited caller should wait, sent as `Retry-After`. The binding does not report when its window resets,
 * so this is the longest period it supports (60 s), an upper bound.
 */
export const RATE_LIMIT_RETRY_AFTER_SECONDS = 60;

/** The part of the Rate Limiting binding this Worker uses. */
export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

function isRateLimiter(value: unknown): value is RateLimiter {
  return typeof (value as RateLimiter | undefined)?.limit === "function";
}

/**
 * Counts one request of `caller` against the named binding and throws `RATE_LIMITED` when it is
 * over the limit. A binding that is not configured means no limit for that name.
 */
export async function enforceRateLimit(
  bindings: Readonly<Record<string, unknown>>,
  bindingName: string,
  caller: string,
): Promise<void> {
  const limiter = bindings[bindingName];
  if (!isRateLimiter(limiter)) return;
  const { success } = await limiter.limit({ key: caller });
  if (!success) {
    throw new TokenWorkerError(
      "RATE_LIMITED",
      `Caller "${caller}" is over its rate limit (${bindingName}); try again in up to ` +
        `${RATE_LIMIT_RETRY_AFTER_SECONDS} s.`,
      { retryAfterSeconds: RATE_LIMIT_RETRY_AFTER_SECONDS },
    );
  }
}

/**
 * Throws `CONFIG_INVALID` when a policy rule names a rate limiter other than the default that is
 * not bound, so a typo in `CALLER_POLICY` cannot switch limiting off silently.
 */
export function checkRateLimiterBindings(
  policy: CallerPolicy,
  bindings: Readonly<Record<string, unknown>>,
): void {
  const rules = [policy.fallback, ...policy.callers.values()];
  for (const { rateLimiter } of rules) {
    if (rateLimiter !== DEFAULT_RATE_LIMITER && !isRateLimiter(bindings[rateLimiter])) {
      throw new TokenWorkerError(
        "CONFIG_INVALID",
        `CALLER_POLICY names rate limiter ${rateLimiter}, but no such binding exists. Add a ` +
          `[[ratelimits]] entry with name = "${rateLimiter}" to wrangler.toml.`,
        { variable: "CALLER_POLICY" },
      );
    }
  }
}
