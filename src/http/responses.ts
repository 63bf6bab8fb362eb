/**
 * Every response of the token Worker's HTTP side. Each one carries `Date`, so callers can see
 * their clock skew, and `Cache-Control: no-store`.
 *
 * @module
 */

import { type TokenWorkerError, httpStatusFor } from "../errors";
import type { HealthReport } from "../health";
import type { TokenResult } from "../issue";
import { SIGNATURE_SCHEME } from "../signed/authorization-header";

/** The path of the public route that issues tokens. */
export const TOKEN_ROUTE_PATH = "/v1/token";
/** The path of the public route's health check, signed like a token request. */
export const HEALTH_ROUTE_PATH = "/v1/health";

/** Codes whose message concerns the operator, not the caller; the caller sees a generic one. */
const OPERATOR_CODES = new Set([
  "CONFIG_MISSING",
  "CONFIG_INVALID",
  "PRIVATE_KEY_INVALID",
  "REGION_MISMATCH",
  "INTERNAL",
]);

function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "Cache-Control": "no-store",
      Date: new Date().toUTCString(),
      "X-Content-Type-Options": "nosniff",
      ...headers,
    },
  });
}

function errorBody(code: string, message: string, requestId?: string) {
  return {
    error: { code, message, ...(requestId === undefined ? {} : { request_id: requestId }) },
  };
}

/** 404 for any path but the token route, and for every request while the route is off. */
export function notFoundResponse(): Response {
  return jsonResponse(404, errorBody("NOT_FOUND", "Not found."));
}

/** 405 for the token route with a method other than POST. */
export function methodNotAllowedResponse(): Response {
  return jsonResponse(405, errorBody("METHOD_NOT_ALLOWED", `Use POST ${TOKEN_ROUTE_PATH}.`), {
    Allow: "POST",
  });
}

/**
 * Returns the one response for every authentication failure, whatever the reason, so that the
 * response reveals nothing to an attacker. The reason goes to the log under the same request id.
 */
export function unauthenticatedResponse(requestId: string): Response {
  return jsonResponse(
    401,
    errorBody(
      "UNAUTHENTICATED",
      `The request is not signed correctly for ${SIGNATURE_SCHEME}. Check the key, the clock ` +
        "and the signed fields, and use a new nonce for every request.",
      requestId,
    ),
    { "WWW-Authenticate": SIGNATURE_SCHEME },
  );
}

/**
 * Returns the response for a {@link TokenWorkerError}, with its HTTP status, and `Retry-After` when the
 * error gives a wait time. Configuration errors and bugs get a generic message.
 */
export function errorResponse(error: TokenWorkerError, requestId: string): Response {
  const message = OPERATOR_CODES.has(error.code)
    ? "The token Worker cannot serve this request; its operator can find the reason in the logs " +
      "under this request_id."
    : error.message;
  const headers: Record<string, string> = {};
  if (error.retryAfterSeconds !== undefined) {
    // Capped at an hour, so a hostile upstream value never reaches callers as "Infinity".
    headers["Retry-After"] = String(Math.min(Math.ceil(error.retryAfterSeconds), 3600));
  }
  return jsonResponse(
    httpStatusFor(error.code),
    errorBody(error.code, message, requestId),
    headers,
  );
}

/**
 * 200 with the token in the single-file Worker's shape, plus `session_name`. `expires_in` is
 * Coze's absolute expiry in Unix seconds, not a lifetime.
 */
export function tokenResponse(token: TokenResult): Response {
  return jsonResponse(200, {
    access_token: token.accessToken,
    expires_in: token.expiresAt,
    token_type: token.tokenType,
    session_name: token.sessionName,
  });
}

/**
 * Builds the health check response: 200 when the configuration is valid and the caller allowed,
 * 503 otherwise. A configuration error is reported by code and variable, without its message.
 */
export function healthResponse(report: HealthReport): Response {
  const error = report.error && { code: report.error.code, variable: report.error.variable };
  return jsonResponse(report.ok ? 200 : 503, { ...report, error });
}
