/**
 * The health report: whether the configuration is valid and what it targets, for a caller to
 * check its wiring at deploy time. It never contains the key or any secret.
 *
 * @module
 */

import type { Env } from "./env";
import { toTokenWorkerError } from "./errors";
import { ruleFor } from "./policy/caller-policy";
import { getRuntime } from "./runtime";

/** The health check result. */
export interface HealthReport {
  /** Whether the configuration is valid and the calling caller may get tokens. */
  readonly ok: boolean;
  /** The configuration problem, when there is one. */
  readonly error?: { readonly code: string; readonly variable?: string; readonly message: string };
  /** The caller id the report was made for, or `null` when the caller is not identified. */
  readonly caller: string | null;
  /** Whether the policy allows this caller; `null` when not identified or not valid. */
  readonly callerAllowed: boolean | null;
  readonly region?: "china" | "international" | "custom";
  readonly audience?: string;
  readonly tokenEndpoint?: string;
  readonly clientId?: string;
  readonly kid?: string;
  readonly defaultDurationSeconds?: number;
}

/** Builds the health report for `caller` (or for no identified caller). Never throws. */
export async function buildHealthReport(env: Env, caller: string | null): Promise<HealthReport> {
  try {
    const { config, policy } = await getRuntime(env);
    const callerAllowed = caller === null ? null : ruleFor(policy, caller).allow;
    return {
      ok: callerAllowed !== false,
      caller,
      callerAllowed,
      region: config.region?.name ?? "custom",
      audience: config.audience,
      tokenEndpoint: config.tokenEndpoint,
      clientId: config.clientId,
      kid: config.kid,
      defaultDurationSeconds: config.defaultDurationSeconds,
    };
  } catch (thrown) {
    const { code, variable, message } = toTokenWorkerError(thrown);
    return { ok: false, error: { code, variable, message }, caller, callerAllowed: null };
  }
}
