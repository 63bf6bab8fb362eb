/**
 * The one error type of the token Worker, with a closed union of stable codes.
 *
 * Errors cross the RPC boundary between Workers, where `instanceof` a custom class is always false
 * on the caller's side, but the `name` and own properties such as `code` survive (from
 * compatibility date 2026-04-21). Callers switch on `code`.
 *
 * @module
 */

/** Codes for a configuration that cannot work. The operator fixes these. */
export type ConfigErrorCode =
  | "CONFIG_MISSING"
  | "CONFIG_INVALID"
  | "PRIVATE_KEY_INVALID"
  | "REGION_MISMATCH";

/** Codes for a request the caller must change. */
export type RequestErrorCode =
  | "CALLER_MISSING"
  | "CALLER_INVALID"
  | "ARGUMENT_INVALID"
  | "SUBJECT_INVALID"
  | "DURATION_INVALID"
  | "POLICY_DENIED"
  | "RATE_LIMITED";

/** Codes for Coze's OAuth error responses, one per documented `error_code`. */
export type CozeErrorCode =
  | "COZE_INVALID_CLIENT"
  | "COZE_INVALID_REQUEST"
  | "COZE_ACCESS_DENIED"
  | "COZE_UNSUPPORTED_GRANT_TYPE"
  | "COZE_INTERNAL_ERROR"
  | "COZE_RATE_LIMITED"
  | "COZE_ERROR";

/** Codes for a token endpoint response that is not a usable Coze response. */
export type UpstreamErrorCode =
  | "UPSTREAM_NETWORK"
  | "UPSTREAM_TIMEOUT"
  | "UPSTREAM_HTML"
  | "UPSTREAM_EMPTY"
  | "UPSTREAM_MALFORMED"
  | "UPSTREAM_STATUS"
  | "UPSTREAM_EXPIRY_INVALID";

/** Codes of the signed public route. */
export type HttpErrorCode =
  | "UNAUTHENTICATED"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "BODY_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "BODY_INVALID"
  | "NONCE_LIMIT"
  | "LEDGER_UNAVAILABLE";

/** Every code a {@link TokenWorkerError} can carry. */
export type ErrorCode =
  | ConfigErrorCode
  | RequestErrorCode
  | CozeErrorCode
  | UpstreamErrorCode
  | HttpErrorCode
  | "INTERNAL";

/** Optional facts attached to an error. None of them may carry a secret or a token. */
export interface ErrorDetails {
  /** The configuration variable or argument at fault, by name. */
  readonly variable?: string;
  /** Coze's `error_code` as received, for upstream errors. */
  readonly cozeErrorCode?: string;
  /** Coze's request log id (`X-Tt-Logid`), which Coze support requests. */
  readonly cozeLogId?: string;
  /** HTTP status of the upstream response. */
  readonly upstreamStatus?: number;
  /** Seconds the caller should wait before trying again. */
  readonly retryAfterSeconds?: number;
}

/**
 * An error with a stable {@link ErrorCode}. Its message states what is wrong and how to fix it, and
 * never contains a key, secret, JWT or token.
 */
export class TokenWorkerError extends Error {
  override readonly name = "TokenWorkerError";
  readonly code: ErrorCode;
  readonly variable?: string;
  readonly cozeErrorCode?: string;
  readonly cozeLogId?: string;
  readonly upstreamStatus?: number;
  readonly retryAfterSeconds?: number;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.code = code;
    // Only defined facts become own properties, so the error stays small across RPC.
    for (const [key, value] of Object.entries(details)) {
      if (value !== undefined) Object.defineProperty(this, key, { value, enumerable: true });
    }
  }
}

/** Tests whether a thrown value is a {@link TokenWorkerError}, also after it crossed RPC. */
export function isTokenWorkerError(value: unknown): value is TokenWorkerError {
  return (
    value instanceof TokenWorkerError ||
    (value instanceof Error && value.name === "TokenWorkerError" && "code" in value)
  );
}

const HTTP_STATUS: Record<ErrorCode, number> = {
  CONFIG_MISSING: 500,
  CONFIG_INVALID: 500,
  PRIVATE_KEY_INVALID: 500,
  REGION_MISMATCH: 500,
  CALLER_MISSING: 401,
  CALLER_INVALID: 401,
  ARGUMENT_INVALID: 400,
  SUBJECT_INVALID: 400,
  DURATION_INVALID: 400,
  POLICY_DENIED: 403,
  RATE_LIMITED: 429,
  COZE_INVALID_CLIENT: 502,
  COZE_INVALID_REQUEST: 502,
  COZE_ACCESS_DENIED: 502,
  COZE_UNSUPPORTED_GRANT_TYPE: 502,
  COZE_INTERNAL_ERROR: 502,
  COZE_RATE_LIMITED: 503,
  COZE_ERROR: 502,
  UPSTREAM_NETWORK: 502,
  UPSTREAM_TIMEOUT: 504,
  UPSTREAM_HTML: 502,
  UPSTREAM_EMPTY: 502,
  UPSTREAM_MALFORMED: 502,
  UPSTREAM_STATUS: 502,
  UPSTREAM_EXPIRY_INVALID: 502,
  UNAUTHENTICATED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  BODY_INVALID: 400,
  NONCE_LIMIT: 429,
  LEDGER_UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** Maps an error code to the HTTP status the public route responds with. */
export function httpStatusFor(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

/**
 * Converts anything thrown into a {@link TokenWorkerError}. An unexpected error becomes `INTERNAL`
 * with a generic message, because its own message may quote input such as a key.
 */
export function toTokenWorkerError(value: unknown): TokenWorkerError {
  if (value instanceof TokenWorkerError) return value;
  if (isTokenWorkerError(value)) {
    return new TokenWorkerError(value.code, value.message, value);
  }
  return new TokenWorkerError("INTERNAL", "The token Worker failed unexpectedly; see its logs.");
}
