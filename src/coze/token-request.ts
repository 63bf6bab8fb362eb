/**
 * One exchange of a signed JWT for an access token at Coze's token endpoint.
 *
 * @module
 */

import { TokenWorkerError } from "../errors";
import { type CozeToken, type RawTokenResponse, parseTokenResponse } from "./token-response";

/** The OAuth grant type of Coze's JWT flow (RFC 7523). */
export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/** Coze's `scope` object, for example a bot id list for channel apps. Never a list. */
export type CozeScope = Readonly<Record<string, unknown>>;

/** The content of one token request. */
export interface TokenExchange {
  /** Full token endpoint URL, including any `account/{id}` or `enterprise_id/{id}` variant. */
  readonly endpoint: string;
  /** The signed JWT; it travels only in the `Authorization` header. */
  readonly assertion: string;
  readonly durationSeconds: number;
  readonly scope?: CozeScope;
}

/** The network access, timeout and clock of an exchange. */
export interface ExchangeOptions {
  readonly fetch: typeof fetch;
  /** Time allowed for the whole exchange, response body included, in milliseconds. */
  readonly timeoutMs: number;
  /** Current Unix time in seconds, to judge `expires_in` and `Retry-After`. */
  readonly nowSeconds: () => number;
}

function timeoutError(endpoint: string, timeoutMs: number): TokenWorkerError {
  return new TokenWorkerError(
    "UPSTREAM_TIMEOUT",
    `The token endpoint ${new URL(endpoint).host} did not answer within ${timeoutMs} ms.`,
  );
}

/**
 * Sends one token request and parses the response. Resolves with the token or rejects with a
 * {@link TokenWorkerError}; it never hangs past `timeoutMs`.
 */
export async function exchangeAssertion(
  exchange: TokenExchange,
  options: ExchangeOptions,
): Promise<CozeToken> {
  const body: Record<string, unknown> = {
    grant_type: JWT_BEARER_GRANT,
    duration_seconds: exchange.durationSeconds,
  };
  if (exchange.scope !== undefined) body.scope = exchange.scope;

  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);

  let raw: RawTokenResponse;
  try {
    const response = await options.fetch(exchange.endpoint, {
      method: "POST",
      // A redirect would carry the JWT to a URL the policy did not choose; 3xx is an error here.
      redirect: "manual",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        Authorization: `Bearer ${exchange.assertion}`,
      },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    raw = {
      status: response.status,
      contentType: response.headers.get("Content-Type") ?? "",
      logId: validLogId(response.headers.get("X-Tt-Logid")),
      retryAfter: response.headers.get("Retry-After"),
      body: await readCappedText(response),
    };
  } catch (error) {
    if (error instanceof TokenWorkerError) throw error;
    if (timedOut) throw timeoutError(exchange.endpoint, options.timeoutMs);
    throw new TokenWorkerError(
      "UPSTREAM_NETWORK",
      `The token endpoint ${new URL(exchange.endpoint).host} could not be reached, or the ` +
        "connection failed mid-response. Check TOKEN_ENDPOINT and try again.",
    );
  } finally {
    clearTimeout(timer);
  }
  return parseTokenResponse(raw, options.nowSeconds());
}

/** Largest token response body read, in bytes. Coze's token responses are well under 1 KiB. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * Keeps Coze's log id only when it looks like one (digits and hex, such as
 * `20241210152726A4E6C0D5A7D2DE7CC8F6`), because it is copied into logs and error messages.
 */
function validLogId(header: string | null): string | undefined {
  return header !== null && /^[0-9A-Fa-f]{8,64}$/.test(header) ? header : undefined;
}

/** Reads the body as text, or throws `UPSTREAM_MALFORMED` past {@link MAX_RESPONSE_BYTES}. */
async function readCappedText(response: Response): Promise<string> {
  const tooLarge = () =>
    new TokenWorkerError(
      "UPSTREAM_MALFORMED",
      `The token endpoint answered with a body over ${MAX_RESPONSE_BYTES} bytes; Coze's token ` +
        "responses are far smaller. Check TOKEN_ENDPOINT.",
      { upstreamStatus: response.status },
    );
  if (Number(response.headers.get("Content-Length") ?? 0) > MAX_RESPONSE_BYTES) {
    await response.body?.cancel();
    throw tooLarge();
  }
  const text = await response.text();
  if (text.length > MAX_RESPONSE_BYTES) throw tooLarge();
  return text;
}
