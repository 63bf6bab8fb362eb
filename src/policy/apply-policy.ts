/**
 * Applies a caller's policy rule to one request: rejects what the rule forbids and fills in what
 * the rule fixes (scope, endpoint variant, duration ceiling).
 *
 * @module
 */

import { TOKEN_PATH } from "../config/region";
import type { TokenConfig } from "../config/token-config";
import type { CozeScope } from "../coze/token-request";
import { TokenWorkerError } from "../errors";
import { type CallerPolicy, ruleFor } from "./caller-policy";

/** A caller's request, after argument validation. */
export interface PolicyInput {
  readonly caller: string;
  readonly subject?: string;
  readonly durationSeconds?: number;
}

/** The token request settings the policy allows. */
export interface PolicyDecision {
  readonly durationSeconds: number;
  readonly scope?: CozeScope;
  readonly endpoint: string;
  readonly rateLimiter: string;
}

function denied(caller: string, reason: string): TokenWorkerError {
  return new TokenWorkerError("POLICY_DENIED", `Caller "${caller}" ${reason}`);
}

/** Returns the token endpoint URL for an account or enterprise variant, or the base endpoint. */
export function endpointVariant(
  baseEndpoint: string,
  variant: { accountId?: string; enterpriseId?: string },
): string {
  const base = baseEndpoint.slice(0, -TOKEN_PATH.length);
  if (variant.accountId !== undefined) {
    return `${base}/api/permission/oauth2/account/${variant.accountId}/token`;
  }
  if (variant.enterpriseId !== undefined) {
    return `${base}/api/permission/oauth2/enterprise_id/${variant.enterpriseId}/token`;
  }
  return baseEndpoint;
}

/** Checks `input` against the caller's rule; throws `POLICY_DENIED` with the reason. */
export function applyPolicy(
  policy: CallerPolicy,
  config: TokenConfig,
  input: PolicyInput,
): PolicyDecision {
  const rule = ruleFor(policy, input.caller);
  if (!rule.allow) {
    const fix = policy.callers.has(input.caller)
      ? 'is denied by its CALLER_POLICY entry ("allow": false).'
      : `has no CALLER_POLICY entry and the default denies it. Add "${input.caller}": {} to ` +
        "CALLER_POLICY's callers to allow it.";
    throw denied(input.caller, fix);
  }
  if (input.subject !== undefined && !rule.subjects) {
    throw denied(
      input.caller,
      'may not pass end-user subjects ("subjects": false in CALLER_POLICY).',
    );
  }

  const requested = input.durationSeconds;
  if (requested !== undefined && requested > rule.maxDurationSeconds) {
    throw denied(
      input.caller,
      `may ask for at most ${rule.maxDurationSeconds} s; it asked for ${requested} s.`,
    );
  }
  return {
    durationSeconds: requested ?? Math.min(config.defaultDurationSeconds, rule.maxDurationSeconds),
    scope: rule.scope,
    endpoint: endpointVariant(config.tokenEndpoint, rule),
    rateLimiter: rule.rateLimiter,
  };
}
