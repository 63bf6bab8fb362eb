/**
 * One exchange of a signed JWT for an access token at Coze's token endpoint.
 *
 * @module
 */

import { TokenWorkerError } from "../errors";
import { type CozeToken, parseTokenResponse } from "./token-response";

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

  try {
    const response = await options.fetch(exchange.endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        Authorization: `Bearer ${exchange.assertion}`,
      },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    const text = await response.text();
    return parseTokenResponse(
      {
        status: response.status,
        contentType: response.headers.get("Content-Type") ?? "",
        logId: response.headers.get("X-Tt-Logid") ?? undefined,
        retryAfter: response.headers.get("Retry-After"),
        body: text,
      },
      options.nowSeconds(),
    );
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
}
