/**
 * Bounded retries of Coze calls: which failures are worth another attempt, how long to wait, and
 * the loop that runs attempts within a total deadline.
 *
 * @module
 */

import { type ErrorCode, type TokenWorkerError, toTokenWorkerError } from "../errors";

/** How many times, how fast and for how long a failing call is retried. */
export interface RetryPolicy {
  /** Attempts in total, the first included. */
  readonly maxAttempts: number;
  /** Upper bound of the wait after the first failure, in milliseconds; it doubles per failure. */
  readonly baseDelayMs: number;
  /** Upper bound of any backoff wait, in milliseconds. `Retry-After` is not capped by it. */
  readonly maxDelayMs: number;
  /** Time allowed for all attempts and waits together, in milliseconds. */
  readonly deadlineMs: number;
  /** Shortest time worth starting another attempt with, in milliseconds. */
  readonly minAttemptMs: number;
}

/** Three attempts within 20 s, waiting up to 0.5 s and then up to 1 s between them. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 500,
  maxDelayMs: 5000,
  deadlineMs: 20_000,
  minAttemptMs: 1000,
};

/** The time, waiting and randomness the retry loop uses; tests inject their own. */
export interface RetryTools {
  /** Current time in Unix milliseconds. */
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** A number in [0, 1), as `Math.random` returns. */
  readonly random: () => number;
}

/** Inputs of one attempt. */
export interface AttemptContext {
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Time left before the deadline, in milliseconds; an attempt must not run longer. */
  readonly remainingMs: number;
}

/** A retry about to happen, for logging. */
export interface RetryNotice {
  /** The attempt that failed, 1 for the first. */
  readonly attempt: number;
  readonly error: TokenWorkerError;
  /** Wait before the next attempt, in milliseconds. */
  readonly delayMs: number;
}

/** Waits `ms` milliseconds with a real timer. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Codes retried whatever the HTTP status. Codes in neither set are not retried, because they mean
// the credentials, the request or the app are wrong, or Coze sent an impossible expiry.
const RETRYABLE_ALWAYS = new Set<ErrorCode>([
  "UPSTREAM_NETWORK",
  "UPSTREAM_TIMEOUT",
  "COZE_INTERNAL_ERROR",
  "COZE_RATE_LIMITED",
]);
// Codes retried only with a 5xx status, which marks a server-side failure.
const RETRYABLE_ON_5XX = new Set<ErrorCode>([
  "UPSTREAM_STATUS",
  "UPSTREAM_HTML",
  "UPSTREAM_EMPTY",
  "UPSTREAM_MALFORMED",
  "COZE_ERROR",
]);

/**
 * Tests whether another attempt may succeed. Network failures, timeouts, Coze's `internal_error`
 * and rate limits are always retried. Unusable responses and unknown Coze errors are retried only
 * with a 5xx status. `invalid_client`, `invalid_request`, `access_deny`,
 * `unsupported_grant_type`, an invalid expiry and errors from inside the Worker never are.
 */
export function isRetryable(error: TokenWorkerError): boolean {
  if (RETRYABLE_ALWAYS.has(error.code)) return true;
  return RETRYABLE_ON_5XX.has(error.code) && (error.upstreamStatus ?? 0) >= 500;
}

/**
 * Returns the wait after failed attempt number `attempt`: the error's `Retry-After` when it has
 * one, otherwise a random time in [0, min(maxDelayMs, baseDelayMs × 2^(attempt − 1))) ("full
 * jitter"), so callers that failed together do not retry together.
 */
export function backoffDelayMs(
  error: TokenWorkerError,
  attempt: number,
  policy: RetryPolicy,
  random: () => number,
): number {
  if (error.retryAfterSeconds !== undefined) return error.retryAfterSeconds * 1000;
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * cap);
}

/**
 * Returns the wait before the next attempt, or `undefined` when the failure is final: the error
 * is not retryable, the attempts are used up, or waiting would leave less than `minAttemptMs`
 * before the deadline. A `Retry-After` that reaches past the deadline therefore fails at once.
 */
export function nextRetryDelayMs(
  error: TokenWorkerError,
  attempt: number,
  remainingMs: number,
  policy: RetryPolicy,
  random: () => number,
): number | undefined {
  if (attempt >= policy.maxAttempts || !isRetryable(error)) return undefined;
  const delay = backoffDelayMs(error, attempt, policy, random);
  return remainingMs - delay < policy.minAttemptMs ? undefined : delay;
}

/**
 * Runs `operation` until it succeeds or fails finally, waiting between attempts as
 * {@link nextRetryDelayMs} decides. Rejects with the last attempt's error, converted to a
 * {@link TokenWorkerError}.
 */
export async function withRetries<T>(
  operation: (context: AttemptContext) => Promise<T>,
  policy: RetryPolicy,
  tools: RetryTools,
  onRetry?: (notice: RetryNotice) => void,
): Promise<T> {
  const deadline = tools.clock() + policy.deadlineMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation({ attempt, remainingMs: deadline - tools.clock() });
    } catch (thrown) {
      const error = toTokenWorkerError(thrown);
      const remainingMs = deadline - tools.clock();
      const delayMs = nextRetryDelayMs(error, attempt, remainingMs, policy, tools.random);
      if (delayMs === undefined) throw error;
      onRetry?.({ attempt, error, delayMs });
      await tools.sleep(delayMs);
    }
  }
}
