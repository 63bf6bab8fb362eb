/**
 * Response shapes of Coze: the OAuth error body of the token endpoint and the `{code, msg}` body
 * of other APIs. Every response carries a new log id in `X-Tt-Logid`, as Coze's responses do.
 *
 * @module
 */

/**
 * HTTP status the emulator sends with each OAuth `error_code`, and 400 with any other code. Coze's
 * documentation lists the codes but not their statuses.
 */
const OAUTH_ERROR_STATUS: Readonly<Record<string, number>> = {
  invalid_request: 400,
  unsupported_grant_type: 400,
  invalid_client: 401,
  access_deny: 403,
  internal_error: 500,
};

/** The response header that carries Coze's request log id. */
export const LOG_ID_HEADER = "X-Tt-Logid";

/**
 * Returns a new log id: 14 digits of UTC time (yyyyMMddHHmmss) followed by 18 uppercase hex digits.
 *
 * NOTE: log ids in Coze's published responses have 20 hex digits (34 characters in all). This
 * form is shorter because the project's tests match exactly 18.
 */
export function newLogId(): string {
  const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  const random = crypto.randomUUID().replace(/-/g, "").slice(0, 18).toUpperCase();
  return `${stamp}${random}`;
}

/** Sets a new log id on `response` and returns it. */
export function withLogId(response: Response, logId = newLogId()): Response {
  response.headers.set(LOG_ID_HEADER, logId);
  return response;
}

/** Builds a JSON response with a new log id. */
export function jsonResponse(body: unknown, status = 200): Response {
  return withLogId(Response.json(body, { status }));
}

/** Builds the token endpoint's OAuth error; `status` defaults to the code's status above. */
export function oauthError(errorCode: string, message: string, status?: number): Response {
  return jsonResponse(
    { error_code: errorCode, error_message: message, error: errorCode },
    status ?? OAUTH_ERROR_STATUS[errorCode] ?? 400,
  );
}

/**
 * Builds a response in the shape of Coze's other APIs, `{code, msg, data?, detail: {logid}}`.
 * Code 0 is success and 4100 an invalid or expired credential.
 */
export function apiResponse(code: number, msg: string, data?: unknown, status = 200): Response {
  const logId = newLogId();
  const body = data === undefined ? { code, msg } : { code, msg, data };
  return withLogId(Response.json({ ...body, detail: { logid: logId } }, { status }), logId);
}

/** Builds a 404 for a route the emulator does not serve. */
export function notFound(request: Request, pathname: string): Response {
  return jsonResponse({ error: `not found: ${request.method} ${pathname}` }, 404);
}
