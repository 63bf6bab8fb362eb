/**
 * The one path by which a token leaves the Worker, for RPC and HTTP callers alike: it turns a
 * verified caller and its request into a token request and hands back the result.
 *
 * @module
 */

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

/** What a caller receives: the token, its absolute expiry and the session it belongs to. */
export interface TokenResult {
  readonly accessToken: string;
  readonly tokenType: "Bearer";
  /** Expiry in Unix seconds, exactly as Coze's `expires_in`. */
  readonly expiresAt: number;
  readonly sessionName: string;
  /** Whether the token came from the cache. */
  readonly cached: boolean;
}

/** Returns a token for a verified caller, using the isolate's configuration and cache. */
export async function issueToken(runtime: Runtime, request: IssueRequest): Promise<TokenResult> {
  const { config, tokens } = runtime;
  const sessionName = buildSessionName(request.caller, request.subject);
  const token = await tokens.getToken({
    caller: request.caller,
    sessionName,
    durationSeconds: request.durationSeconds ?? config.defaultDurationSeconds,
    endpoint: config.tokenEndpoint,
    minRemainingSeconds: request.minRemainingSeconds,
    forceRefresh: request.forceRefresh,
    requestId: request.requestId,
  });
  return {
    accessToken: token.accessToken,
    tokenType: token.tokenType,
    expiresAt: token.expiresAt,
    sessionName: token.sessionName,
    cached: token.cached,
  };
}
