/**
 * Parsing of the token request's body, with the checks Coze documents for each field.
 *
 * @module
 */

import { isPlainObject, readJsonObject } from "./http";
import { TokenRequestRejected } from "./rejection";

/** The only `grant_type` the OAuth JWT flow accepts. */
export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/** Token lifetime when the request has no `duration_seconds`, in seconds. */
export const DEFAULT_DURATION_SECONDS = 900;

/** Maximum `duration_seconds` Coze accepts, in seconds. */
export const MAX_DURATION_SECONDS = 86399;

/** A valid token request body. */
export interface TokenRequestBody {
  readonly durationSeconds: number;
  readonly scope?: Record<string, unknown>;
}

function invalidRequest(parameter: string): TokenRequestRejected {
  return new TokenRequestRejected("invalid_request", `invalid request: ${parameter}`);
}

function isValidDuration(value: unknown): value is number {
  return (
    typeof value === "number" &&
    Number.isInteger(value) &&
    value >= 1 &&
    value <= MAX_DURATION_SECONDS
  );
}

/**
 * Reads and checks the token request body. Returns the fields or the rejection, which the caller
 * sends only if no fault takes over the request. The rejection is `invalid_request` for a wrong
 * content type, a body that is not a JSON object, a bad `duration_seconds` or a `scope` that is
 * not an object, and `unsupported_grant_type` for any other `grant_type` than
 * {@link JWT_BEARER_GRANT}.
 */
export async function parseTokenRequestBody(
  request: Request,
): Promise<TokenRequestBody | TokenRequestRejected> {
  if (!/^application\/json\s*(;|$)/i.test(request.headers.get("Content-Type") ?? "")) {
    // Reads the body anyway, so the client's upload is never cut off.
    await request.arrayBuffer();
    return invalidRequest("Content-Type must be application/json");
  }
  const body = await readJsonObject(request);
  if (body === undefined) return invalidRequest("body must be a JSON object");

  if (body.grant_type !== JWT_BEARER_GRANT) {
    const grantType = JSON.stringify(body.grant_type ?? null).slice(0, 100);
    return new TokenRequestRejected(
      "unsupported_grant_type",
      `unsupported grant_type: ${grantType}`,
    );
  }
  const duration = body.duration_seconds ?? DEFAULT_DURATION_SECONDS;
  if (!isValidDuration(duration)) return invalidRequest("duration_seconds");

  const scope = body.scope;
  if (scope !== undefined && !isPlainObject(scope)) return invalidRequest("scope");
  return { durationSeconds: duration, scope };
}
