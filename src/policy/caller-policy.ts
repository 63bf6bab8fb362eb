/**
 * Per-caller policy, read from the `CALLER_POLICY` variable: which callers may get tokens, for how
 * long, whether they may name end users, and which Coze scope and endpoint variant they always get.
 * RPC callers (identified by binding `props`) and signed HTTP callers share it.
 *
 * ```json
 * {
 *   "default": { "allow": false },
 *   "callers": {
 *     "billing": { "maxDurationSeconds": 3600, "subjects": true },
 *     "channel-bot": { "scope": { "account_permission": { "permission_list": ["Connector.botChat"] } } },
 *     "partner": { "accountId": "7351234567890", "rateLimiter": "RATE_LIMITER_STRICT" }
 *   }
 * }
 * ```
 *
 * @module
 */

import { MAX_DURATION_SECONDS, MIN_DURATION_SECONDS } from "../config/token-config";
import { TokenWorkerError } from "../errors";
import type { CozeScope } from "../coze/token-request";
import { StrictJsonError, parseStrictJson } from "../signed/strict-json";
import { CALLER_ID_PATTERN } from "../tokens/session-name";

/** The rate limiter binding used when a policy entry names none. */
export const DEFAULT_RATE_LIMITER = "RATE_LIMITER";

/** The rules for one caller. */
export interface CallerRule {
  /** Whether the caller may get tokens at all. */
  readonly allow: boolean;
  /** Maximum token lifetime the caller may request, in seconds. */
  readonly maxDurationSeconds: number;
  /** Whether the caller may pass end-user subjects. */
  readonly subjects: boolean;
  /** Coze `scope` sent with every token request of this caller. */
  readonly scope?: CozeScope;
  /** Token endpoint variant: `account/{accountId}/token`. */
  readonly accountId?: string;
  /** Token endpoint variant: `enterprise_id/{enterpriseId}/token`. */
  readonly enterpriseId?: string;
  /** Name of the rate limiter binding that counts this caller's requests. */
  readonly rateLimiter: string;
}

/** The parsed `CALLER_POLICY`: rules by caller id, and the rule for callers not listed. */
export interface CallerPolicy {
  readonly callers: ReadonlyMap<string, CallerRule>;
  readonly fallback: CallerRule;
  /** Whether `CALLER_POLICY` was set at all. */
  readonly configured: boolean;
}

const DENY_ALL: CallerRule = {
  allow: false,
  maxDurationSeconds: MAX_DURATION_SECONDS,
  subjects: false,
  rateLimiter: DEFAULT_RATE_LIMITER,
};

const RULE_FIELDS = new Set([
  "allow",
  "maxDurationSeconds",
  "subjects",
  "scope",
  "accountId",
  "enterpriseId",
  "rateLimiter",
]);

function policyError(where: string, rule: string): TokenWorkerError {
  return new TokenWorkerError("CONFIG_INVALID", `CALLER_POLICY ${where} ${rule}`, {
    variable: "CALLER_POLICY",
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseBoolean(value: unknown, where: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw policyError(where, "must be true or false.");
  return value;
}

function parseMaxDuration(value: unknown, where: string): number {
  if (value === undefined) return MAX_DURATION_SECONDS;
  const valid =
    typeof value === "number" &&
    Number.isInteger(value) &&
    value >= MIN_DURATION_SECONDS &&
    value <= MAX_DURATION_SECONDS;
  if (!valid) {
    throw policyError(
      where,
      `must be a whole number of seconds from ${MIN_DURATION_SECONDS} to ${MAX_DURATION_SECONDS}.`,
    );
  }
  return value;
}

function parseScope(value: unknown, where: string): CozeScope | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    throw policyError(
      where,
      'must be one JSON object, never a list, for example {"account_permission": ' +
        '{"permission_list": ["Connector.botChat"]}}.',
    );
  }
  return value;
}

function parseVariantId(value: unknown, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(value)) {
    throw policyError(where, "must be a string of 1 to 64 letters, digits, _ or -.");
  }
  return value;
}

function parseRateLimiter(value: unknown, where: string): string {
  if (value === undefined) return DEFAULT_RATE_LIMITER;
  if (typeof value !== "string" || !/^[A-Z][A-Z0-9_]{0,63}$/.test(value)) {
    throw policyError(where, "must name a rate limiter binding, such as RATE_LIMITER.");
  }
  return value;
}

function parseRule(value: unknown, where: string): CallerRule {
  if (!isObject(value))
    throw policyError(where, 'must be an object such as {} or { "allow": true }.');
  for (const field of Object.keys(value)) {
    if (!RULE_FIELDS.has(field)) {
      throw policyError(
        `${where}.${field}`,
        `is not a known field; use ${[...RULE_FIELDS].join(", ")}.`,
      );
    }
  }
  const rule: CallerRule = {
    allow: parseBoolean(value.allow, `${where}.allow`, true),
    maxDurationSeconds: parseMaxDuration(value.maxDurationSeconds, `${where}.maxDurationSeconds`),
    subjects: parseBoolean(value.subjects, `${where}.subjects`, true),
    scope: parseScope(value.scope, `${where}.scope`),
    accountId: parseVariantId(value.accountId, `${where}.accountId`),
    enterpriseId: parseVariantId(value.enterpriseId, `${where}.enterpriseId`),
    rateLimiter: parseRateLimiter(value.rateLimiter, `${where}.rateLimiter`),
  };
  if (rule.accountId !== undefined && rule.enterpriseId !== undefined) {
    throw policyError(where, "may set accountId or enterpriseId, not both.");
  }
  return rule;
}

function parseJson(raw: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw policyError("", "is not valid JSON. Check quotes and commas; see the README's example.");
  }
  rejectDuplicateKeys(raw);
  return parsed;
}

/**
 * Throws when a key repeats in one object: `JSON.parse` keeps the last, so a second entry for a
 * caller would silently replace the first. Only duplicate keys are checked here; the document is
 * already valid JSON, and deep nesting in a `scope` is fine.
 */
function rejectDuplicateKeys(raw: string): void {
  try {
    parseStrictJson(raw);
  } catch (error) {
    if (error instanceof StrictJsonError && error.duplicateKey !== undefined) {
      throw policyError(
        "",
        `names the key "${error.duplicateKey.slice(0, 64)}" twice in one object.`,
      );
    }
  }
}

/**
 * Parses `CALLER_POLICY`. When it is not set, or a caller has no entry and there is no `default`,
 * the caller is denied.
 */
export function parseCallerPolicy(raw: unknown): CallerPolicy {
  if (raw === undefined || (typeof raw === "string" && raw.trim() === "")) {
    return { callers: new Map(), fallback: DENY_ALL, configured: false };
  }
  const parsed = typeof raw === "string" ? parseJson(raw) : raw;
  if (!isObject(parsed))
    throw policyError("", 'must be a JSON object with "callers" and "default".');
  for (const field of Object.keys(parsed)) {
    if (field !== "callers" && field !== "default") {
      throw policyError(field, 'is not a known field; use "callers" and "default".');
    }
  }

  const callers = new Map<string, CallerRule>();
  const entries = parsed.callers ?? {};
  if (!isObject(entries)) throw policyError("callers", "must be an object keyed by caller id.");
  for (const [caller, rule] of Object.entries(entries)) {
    if (!CALLER_ID_PATTERN.test(caller)) {
      throw policyError(
        `callers["${caller.slice(0, 64)}"]`,
        "is not a valid caller id: use 1 to 63 lowercase letters, digits or inner hyphens.",
      );
    }
    callers.set(caller, parseRule(rule, `callers.${caller}`));
  }
  const fallback = parsed.default === undefined ? DENY_ALL : parseRule(parsed.default, "default");
  return { callers, fallback, configured: true };
}

/** Returns the rule that applies to `caller`. */
export function ruleFor(policy: CallerPolicy, caller: string): CallerRule {
  return policy.callers.get(caller) ?? policy.fallback;
}
