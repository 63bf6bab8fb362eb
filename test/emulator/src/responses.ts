/**
 * Response shapes of Coze: the OAuth error body of the token endpoint and the `{code, msg}` body
 * of other APIs, each with an `X-Tt-Logid` header as Coze sends.
 *
 * @module
 */

/** HTTP status Coze-like errors are sent with, by OAuth `error_code`. */
const OAUTH_STATUS: Record<string, number> = {
  invalid_request: 400,
  unsupported_grant_type: 400,
  invalid_client: 401,
  access_deny: 403,
  internal_error: 500,
};

/** Returns a fresh log id in the style of `X-Tt-Logid`. */
export function newLogId(): string {
  const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  return `${stamp}${crypto.randomUUID().replace(/-/g, "").slice(0, 18).toUpperCase()}`;
}

/** Builds a JSON response carrying a new `X-Tt-Logid`. */
export function jsonResponse(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  const response = Response.json(body, { status, headers });
  response.headers.set("X-Tt-Logid", newLogId());
  return response;
}

/** Builds the token endpoint's OAuth error response. */
export function oauthError(errorCode: string, message: string, status?: number): Response {
  return jsonResponse(
    { error_code: errorCode, error_message: message, error: errorCode },
    status ?? OAUTH_STATUS[errorCode] ?? 400,
  );
}

/** Builds the `{code, msg}` error other Coze APIs send; 4100 is an invalid credential. */
export function apiError(code: number, msg: string, status = 401): Response {
  return jsonResponse({ code, msg, detail: { logid: newLogId() } }, status);
}
