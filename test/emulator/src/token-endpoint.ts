/**
 * Coze's token endpoint, `POST /api/permission/oauth2/token`, and its `account/{account_id}` and
 * `enterprise_id/{enterprise_id}` variants.
 *
 * @module
 */

import { applyFault } from "./faults";
import { bearerCredential, sleep } from "./http";
import { type VerifiedAssertion, unverifiedIssuer, verifyAssertion } from "./jwt-check";
import { logEvent } from "./log";
import { TokenRequestRejected } from "./rejection";
import { jsonResponse, oauthError } from "./responses";
import { type IssuedRecord, clientNow, clientState, recordIssuedToken, settings } from "./state";
import { type TokenRequestBody, parseTokenRequestBody } from "./token-request";

/** Matches the token endpoint's path and its variants, whose ids are word characters. */
export const TOKEN_PATH_PATTERN =
  /^\/api\/permission\/oauth2\/(?:account\/\w+\/|enterprise_id\/\w+\/)?token$/;

/** Returns a new access token: `czs_` and 32 random bytes as unpadded base64url. */
function newAccessToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const base64 = btoa(String.fromCharCode(...bytes));
  return `czs_${base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}

function issueToken(
  assertion: VerifiedAssertion,
  body: TokenRequestBody,
  path: string,
  expiresInOverride: number | undefined,
): Response {
  const { claims } = assertion;
  const record: IssuedRecord = {
    session_name: typeof claims.session_name === "string" ? claims.session_name : undefined,
    duration_seconds: body.durationSeconds,
    expires_in: expiresInOverride ?? clientNow(assertion.state) + body.durationSeconds,
    scope: body.scope,
    path,
    kid: assertion.kid,
    header: assertion.header,
    claims,
  };
  const accessToken = newAccessToken();
  recordIssuedToken(assertion.clientId, accessToken, record);
  return jsonResponse({
    access_token: accessToken,
    expires_in: record.expires_in,
    token_type: "Bearer",
  });
}

function rejectRequest(issuer: string | undefined, rejection: TokenRequestRejected): Response {
  logEvent("token_request_rejected", {
    client_id: issuer,
    error_code: rejection.errorCode,
    error_message: rejection.message,
  });
  return oauthError(rejection.errorCode, rejection.message);
}

/**
 * Handles one token request. The client is found from the JWT's unverified `iss`, its request is
 * counted, and the added latency passes. Then the client's next queued fault, if any, takes over.
 * Otherwise the body and the JWT are checked as Coze checks them and a new token is issued.
 */
export async function handleTokenRequest(request: Request, path: string): Promise<Response> {
  const jwt = bearerCredential(request.headers.get("Authorization"));
  const issuer = unverifiedIssuer(jwt);
  const state = issuer === undefined ? undefined : clientState(issuer);
  if (state !== undefined) state.requests += 1;

  // Reading the body before any fault responds means no fault leaves the upload unread.
  const body = await parseTokenRequestBody(request);
  await sleep(settings.latencyMs);

  let expiresInOverride: number | undefined;
  const fault = state?.faults.shift();
  if (fault !== undefined) {
    const outcome = await applyFault(fault);
    if ("response" in outcome) return outcome.response;
    expiresInOverride = outcome.continueWith.expiresIn;
  }
  if (body instanceof TokenRequestRejected) return rejectRequest(issuer, body);

  let assertion: VerifiedAssertion;
  try {
    assertion = await verifyAssertion(jwt, issuer);
  } catch (error) {
    if (error instanceof TokenRequestRejected) return rejectRequest(issuer, error);
    throw error;
  }
  return issueToken(assertion, body, path, expiresInOverride);
}
