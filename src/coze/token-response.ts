/**
 * Parses a response of Coze's token endpoint into a token or a {@link TokenWorkerError}.
 *
 * @module
 */

import { type CozeErrorCode, TokenWorkerError } from "../errors";

/** An access token as Coze issued it. */
export interface CozeToken {
  readonly accessToken: string;
  readonly tokenType: "Bearer";
  /** Absolute expiry in Unix seconds: Coze's `expires_in` is a timestamp, not a lifetime. */
  readonly expiresAt: number;
  /** Coze's request log id, when the response carried one. */
  readonly cozeLogId?: string;
}

/** The parts of an HTTP response the parser needs. */
export interface RawTokenResponse {
  readonly status: number;
  readonly contentType: string;
  readonly logId: string | undefined;
  readonly retryAfter: string | null;
  readonly body: string;
}

/** Allowed excess of `expires_in` over now plus Coze's longest duration, for clock differences. */
export const EXPIRY_SLACK_SECONDS = 300;
const MAX_TOKEN_LIFETIME_SECONDS = 86400;
/** Longest `Retry-After` passed on, in seconds; a larger value is taken as this. */
const MAX_RETRY_AFTER_SECONDS = 3600;

/** Returns `value` when it is a string, so hostile JSON (objects with `toString`) cannot throw. */
function stringField(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

const COZE_CODES: Record<string, { code: CozeErrorCode; hint: string }> = {
  invalid_client: {
    code: "COZE_INVALID_CLIENT",
    hint:
      "Coze rejected the JWT. Check that KID is the public key fingerprint of a key on this app, " +
      "CLIENT_ID is the app ID, and AUDIENCE and TOKEN_ENDPOINT name the app's region " +
      "(api.coze.cn for www.coze.cn, api.coze.com for www.coze.com).",
  },
  invalid_request: {
    code: "COZE_INVALID_REQUEST",
    hint: "Coze rejected a request parameter; the message names it.",
  },
  access_deny: {
    code: "COZE_ACCESS_DENIED",
    hint: "The app is deactivated, of the wrong type for this grant, or not authorised.",
  },
  unsupported_grant_type: {
    code: "COZE_UNSUPPORTED_GRANT_TYPE",
    hint: "Coze does not accept the JWT grant for this app; it must be a server-side (JWT) app.",
  },
  internal_error: {
    code: "COZE_INTERNAL_ERROR",
    hint: "Coze failed internally; try again later.",
  },
};

/** Keeps an upstream message printable and short before it goes into an error message. */
function sanitize(text: string): string {
  const printable = text.replace(/[^\x20-\x7e\u4e00-\u9fff]/g, " ").trim();
  return printable.length > 200 ? `${printable.slice(0, 200)}…` : printable;
}

function retryAfterSeconds(header: string | null, nowSeconds: number): number | undefined {
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Math.min(Number(header.trim()), MAX_RETRY_AFTER_SECONDS);
  const date = Date.parse(header);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, Math.ceil(date / 1000 - nowSeconds)), MAX_RETRY_AFTER_SECONDS);
}

function parseJsonObject(raw: RawTokenResponse): Record<string, unknown> {
  const facts = { upstreamStatus: raw.status, cozeLogId: raw.logId };
  const body = raw.body.trim();
  if (body === "") {
    throw new TokenWorkerError(
      "UPSTREAM_EMPTY",
      `The token endpoint answered HTTP ${raw.status} with an empty body. Check TOKEN_ENDPOINT.`,
      facts,
    );
  }
  if (/text\/html/i.test(raw.contentType) || body.startsWith("<")) {
    throw new TokenWorkerError(
      "UPSTREAM_HTML",
      `The token endpoint answered HTTP ${raw.status} with an HTML page instead of JSON. ` +
        "TOKEN_ENDPOINT probably points at a web page or a proxy, not Coze's API host.",
      facts,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new TokenWorkerError(
      "UPSTREAM_MALFORMED",
      `The token endpoint answered HTTP ${raw.status} with a body that is not a JSON object ` +
        "(truncated or malformed).",
      facts,
    );
  }
  return parsed as Record<string, unknown>;
}

function cozeError(raw: RawTokenResponse, json: Record<string, unknown>, nowSeconds: number) {
  const errorCode = stringField(json.error_code) ?? stringField(json.error) ?? "unknown";
  const known = COZE_CODES[errorCode];
  const rateLimited = raw.status === 429;
  const code = rateLimited ? "COZE_RATE_LIMITED" : (known?.code ?? "COZE_ERROR");
  const upstreamMessage = stringField(json.error_message) ?? "";
  const hint = rateLimited ? "Coze is rate limiting token requests." : (known?.hint ?? "");
  return new TokenWorkerError(
    code,
    `Coze answered ${sanitize(errorCode)} (HTTP ${raw.status}): "${sanitize(upstreamMessage)}". ` +
      `${hint} Coze log id: ${raw.logId ?? "none"}.`,
    {
      cozeErrorCode: sanitize(errorCode),
      cozeLogId: raw.logId,
      upstreamStatus: raw.status,
      retryAfterSeconds: retryAfterSeconds(raw.retryAfter, nowSeconds),
    },
  );
}

function statusError(raw: RawTokenResponse, nowSeconds: number): TokenWorkerError {
  const rateLimited = raw.status === 429;
  return new TokenWorkerError(
    rateLimited ? "COZE_RATE_LIMITED" : "UPSTREAM_STATUS",
    `The token endpoint answered HTTP ${raw.status} without a Coze error body.`,
    {
      cozeLogId: raw.logId,
      upstreamStatus: raw.status,
      retryAfterSeconds: retryAfterSeconds(raw.retryAfter, nowSeconds),
    },
  );
}

function checkExpiry(expiresIn: unknown, raw: RawTokenResponse, nowSeconds: number): number {
  const latest = nowSeconds + MAX_TOKEN_LIFETIME_SECONDS + EXPIRY_SLACK_SECONDS;
  if (typeof expiresIn === "number" && Number.isInteger(expiresIn)) {
    if (expiresIn > nowSeconds && expiresIn <= latest) return expiresIn;
  }
  const shown = typeof expiresIn === "number" ? String(expiresIn) : typeof expiresIn;
  return failExpiry(shown, raw);
}

function failExpiry(shown: string, raw: RawTokenResponse): never {
  throw new TokenWorkerError(
    "UPSTREAM_EXPIRY_INVALID",
    `The token endpoint answered expires_in=${shown}, which is not an absolute Unix time ` +
      "between now and 24 hours ahead. The token was discarded.",
    { cozeLogId: raw.logId, upstreamStatus: raw.status },
  );
}

/** Turns a token endpoint response into a {@link CozeToken}, or throws the matching error. */
export function parseTokenResponse(raw: RawTokenResponse, nowSeconds: number): CozeToken {
  const json = parseJsonObject(raw);
  if (typeof json.error_code === "string" || typeof json.error === "string") {
    throw cozeError(raw, json, nowSeconds);
  }
  if (raw.status !== 200) throw statusError(raw, nowSeconds);

  const { access_token: accessToken, token_type: tokenType } = json;
  if (typeof accessToken !== "string" || !/^[\x21-\x7e]{8,4096}$/.test(accessToken)) {
    throw new TokenWorkerError(
      "UPSTREAM_MALFORMED",
      "The token endpoint answered HTTP 200 without a usable access_token.",
      { cozeLogId: raw.logId, upstreamStatus: raw.status },
    );
  }
  if (tokenType !== undefined && stringField(tokenType)?.toLowerCase() !== "bearer") {
    throw new TokenWorkerError(
      "UPSTREAM_MALFORMED",
      `The token endpoint answered a token_type other than Bearer (${sanitize(stringField(tokenType) ?? typeof tokenType)}).`,
      { cozeLogId: raw.logId, upstreamStatus: raw.status },
    );
  }
  const expiresAt = checkExpiry(json.expires_in, raw, nowSeconds);
  return { accessToken, tokenType: "Bearer", expiresAt, cozeLogId: raw.logId };
}
