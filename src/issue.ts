/**
 * The one path by which a token leaves the Worker, for RPC and HTTP callers alike: it turns a
 * verified caller and its request into a token request and hands back the result.
 *
 * @module
 */

import { type AuditFacts, auditIssued, auditRefused } from "./audit/audit-log";
import { toTokenWorkerError } from "./errors";
import { applyPolicy } from "./policy/apply-policy";
import { enforceRateLimit } from "./policy/rate-limit";
import type { Runtime } from "./runtime";
import { buildSessionName } from "./tokens/session-name";

/** A request from a caller whose identity is already verified. */
export interface IssueRequest {
  readonly caller: string;
  readonly subject?: string;
  readonly durationSeconds?: number;
  readonly minRemainingSeconds?: number;
  readonly forceRefresh?: boolean;
  readonly channel: "rpc" | "http";
  readonly requestId: string;
}

/** The token a caller receives, with its absolute expiry and session name. */
export interface TokenResult {
  readonly accessToken: string;
  readonly tokenType: "Bearer";
  /** Expiry in Unix seconds, exactly as Coze's `expires_in`. */
  readonly expiresAt: number;
  readonly sessionName: string;
  /** Whether the token came from the cache. */
  readonly cached: boolean;
}

/**
 * Returns a token for a verified caller: applies the caller's policy and rate limit, then takes
 * the token from the cache or Coze. Writes one audit record either way.
 */
export async function issueToken(runtime: Runtime, request: IssueRequest): Promise<TokenResult> {
  const { config, tokens, policy, bindings, logger } = runtime;
  const sessionName = buildSessionName(request.caller, request.subject);
  const facts: AuditFacts = {
    channel: request.channel,
    requestId: request.requestId,
    caller: request.caller,
    subject: request.subject,
    sessionName,
    durationSeconds: request.durationSeconds,
  };

  try {
    const decision = applyPolicy(policy, config, request);
    await enforceRateLimit(bindings, decision.rateLimiter, request.caller);
    const token = await tokens.getToken({
      caller: request.caller,
      sessionName,
      durationSeconds: decision.durationSeconds,
      endpoint: decision.endpoint,
      scope: decision.scope,
      minRemainingSeconds: request.minRemainingSeconds,
      forceRefresh: request.forceRefresh,
      requestId: request.requestId,
    });
    if (!token.cached || runtime.auditCacheHits) {
      auditIssued(logger, { ...facts, durationSeconds: decision.durationSeconds }, token);
    }
    return {
      accessToken: token.accessToken,
      tokenType: token.tokenType,
      expiresAt: token.expiresAt,
      sessionName: token.sessionName,
      cached: token.cached,
    };
  } catch (thrown) {
    const error = toTokenWorkerError(thrown);
    auditRefused(logger, facts, error);
    throw error;
  }
}
