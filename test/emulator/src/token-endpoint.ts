/**
 * `POST /api/permission/oauth2/token` and its `account/{id}` and `enterprise_id/{id}` variants.
 *
 * @module
 */

import { applyFault } from "./faults";
import { AssertionRejected, unverifiedIssuer, verifyAssertion } from "./jwt-check";
import { jsonResponse, oauthError } from "./responses";
import { type IssuedRecord, accessTokens, clientNow, clientState, settings } from "./state";

/** Matches the token endpoint and its variants. */
export const TOKEN_PATH_PATTERN =
  /^\/api\/permission\/oauth2\/(?:account\/[\w-]+\/|enterprise_id\/[\w-]+\/)?token$/;

const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const MAX_DURATION_SECONDS = 86399;
const DEFAULT_DURATION_SECONDS = 900;

interface TokenBody {
  readonly durationSeconds: number;
  readonly scope?: unknown;
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `czs_${btoa(String.fromCharCode(...bytes)).replace(/[+/=]/g, "")}`;
}

/** Parses the request body, or returns Coze's error for it. */
async function parseBody(request: Request): Promise<TokenBody | Response> {
  if (!/^application\/json\b/i.test(request.headers.get("Content-Type") ?? "")) {
    return oauthError("invalid_request", "invalid request: content-type");
  }
  let body: Record<string, unknown>;
  try {
    body = (await request.json()) as Record<string, unknown>;
  } catch {
    return oauthError("invalid_request", "invalid request: body");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return oauthError("invalid_request", "invalid request: body");
  }
  if (body.grant_type !== JWT_BEARER_GRANT) {
    return oauthError("unsupported_grant_type", "unsupported grant type");
  }
  const duration = body.duration_seconds ?? DEFAULT_DURATION_SECONDS;
  if (
    !Number.isInteger(duration) ||
    (duration as number) < 1 ||
    (duration as number) > MAX_DURATION_SECONDS
  ) {
    return oauthError("invalid_request", "invalid request: duration_seconds");
  }
  const scope = body.scope;
  if (
    scope !== undefined &&
    (typeof scope !== "object" || scope === null || Array.isArray(scope))
  ) {
    return oauthError("invalid_request", "invalid request: scope");
  }
  return { durationSeconds: duration as number, scope };
}

/** Serves one token request: faults first, then the checks Coze makes, then a new token. */
export async function handleTokenRequest(request: Request, path: string): Promise<Response> {
  const issuer = unverifiedIssuer(request.headers.get("Authorization"));
  const pending = issuer === undefined ? undefined : clientState(issuer);
  if (pending) pending.requests += 1;

  // The body is read first, so a fault response never leaves the request stream unread.
  const body = await parseBody(request);

  let expiresInOverride: number | undefined;
  const fault = pending?.faults.shift();
  if (fault) {
    const outcome = await applyFault(fault);
    if ("respond" in outcome) return outcome.respond;
    expiresInOverride = outcome.continueWith.expiresIn;
  }
  if (settings.latencyMs > 0) await new Promise((r) => setTimeout(r, settings.latencyMs));

  if (body instanceof Response) return body;

  let assertion;
  try {
    assertion = await verifyAssertion(request.headers.get("Authorization"));
  } catch (error) {
    if (error instanceof AssertionRejected) return oauthError(error.errorCode, error.message);
    throw error;
  }

  const { state, claims } = assertion;
  const accessToken = randomToken();
  const record: IssuedRecord = {
    session_name: claims.session_name as string | undefined,
    duration_seconds: body.durationSeconds,
    expires_in: expiresInOverride ?? clientNow(state) + body.durationSeconds,
    scope: body.scope,
    path,
    kid: assertion.kid,
    header: assertion.header,
    claims,
  };
  state.issued.push(record);
  accessTokens.set(accessToken, { clientId: assertion.clientId, record });
  return jsonResponse({
    access_token: accessToken,
    expires_in: record.expires_in,
    token_type: "Bearer",
  });
}
