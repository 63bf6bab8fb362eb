/**
 * Mints one token from Coze: signs a JWT and exchanges it, retrying transient failures with a new
 * JWT each time, and logs every attempt.
 *
 * @module
 */

import type { TokenConfig } from "../config/token-config";
import { signAssertion } from "../coze/assertion";
import { type RetryPolicy, type RetryTools, withRetries } from "../coze/retry";
import { type CozeScope, exchangeAssertion } from "../coze/token-request";
import type { CozeToken } from "../coze/token-response";
import { type TokenWorkerError, toTokenWorkerError } from "../errors";
import type { Logger } from "../log";

/** The request fields a mint needs, including those that only go into log lines. */
export interface MintRequest {
  readonly caller: string;
  readonly sessionName: string;
  readonly durationSeconds: number;
  readonly endpoint: string;
  readonly scope?: CozeScope;
  readonly requestId?: string;
}

/** Dependencies and limits of a {@link TokenMinter}. */
export interface TokenMinterOptions {
  readonly config: TokenConfig;
  readonly signingKey: CryptoKey;
  readonly fetch: typeof fetch;
  readonly logger: Logger;
  /** Time allowed for one upstream exchange, in milliseconds. */
  readonly upstreamTimeoutMs: number;
  readonly retryPolicy: RetryPolicy;
  readonly tools: RetryTools;
}

/** Signs and exchanges JWTs for one Coze app. */
export class TokenMinter {
  readonly #options: TokenMinterOptions;

  constructor(options: TokenMinterOptions) {
    this.#options = options;
  }

  /**
   * Returns a new token for `request`, retrying as the retry policy allows. Rejects with the last
   * attempt's error, after logging it as `token_mint_failed`.
   */
  async mint(request: MintRequest): Promise<CozeToken> {
    const { retryPolicy, tools, logger } = this.#options;
    const started = tools.clock();
    let attempts = 0;
    try {
      return await withRetries(
        ({ attempt, remainingMs }) => {
          attempts = attempt;
          return this.#attempt(request, attempt, remainingMs);
        },
        retryPolicy,
        tools,
        ({ attempt, error, delayMs }) =>
          logger({
            ...this.#fields(request, error),
            event: "upstream_retry",
            outcome: "retry",
            attempt,
            delayMs,
          }),
      );
    } catch (thrown) {
      const error = toTokenWorkerError(thrown);
      logger({
        ...this.#fields(request, error),
        event: "token_mint_failed",
        outcome: "error",
        attempt: attempts,
        durationMs: tools.clock() - started,
      });
      throw error;
    }
  }

  /** Signs a new JWT, because Coze accepts each `jti` once, and exchanges it. */
  async #attempt(request: MintRequest, attempt: number, remainingMs: number): Promise<CozeToken> {
    const { config, signingKey, tools, logger } = this.#options;
    const started = tools.clock();
    const nowSeconds = () => Math.floor(tools.clock() / 1000);
    try {
      const assertion = await signAssertion(signingKey, {
        clientId: config.clientId,
        kid: config.kid,
        audience: config.audience,
        sessionName: request.sessionName,
        nowSeconds: nowSeconds(),
      });
      const timeoutMs = Math.max(1, Math.min(this.#options.upstreamTimeoutMs, remainingMs));
      const token = await exchangeAssertion(
        {
          endpoint: request.endpoint,
          assertion,
          durationSeconds: request.durationSeconds,
          scope: request.scope,
        },
        { fetch: this.#options.fetch, timeoutMs, nowSeconds },
      );
      logger({
        ...this.#fields(request),
        event: "upstream_call",
        outcome: "ok",
        cozeLogId: token.cozeLogId,
        attempt,
        durationMs: tools.clock() - started,
      });
      return token;
    } catch (thrown) {
      const error = toTokenWorkerError(thrown);
      logger({
        ...this.#fields(request, error),
        event: "upstream_call",
        outcome: "error",
        attempt,
        durationMs: tools.clock() - started,
      });
      throw error;
    }
  }

  /** Log fields shared by every event of one mint. Never the JWT or the token. */
  #fields(request: MintRequest, error?: TokenWorkerError) {
    return {
      caller: request.caller,
      sessionName: request.sessionName,
      requestId: request.requestId,
      code: error?.code,
      cozeLogId: error?.cozeLogId,
      upstreamStatus: error?.upstreamStatus,
    };
  }
}
