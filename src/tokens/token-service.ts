/**
 * Mints Coze access tokens: signs a JWT and exchanges it at the token endpoint.
 *
 * @module
 */

import type { TokenConfig } from "../config/token-config";
import { signAssertion } from "../coze/assertion";
import { type CozeScope, exchangeAssertion } from "../coze/token-request";
import type { CozeToken } from "../coze/token-response";
import { toTokenWorkerError } from "../errors";
import type { Logger } from "../log";

/** Current time in milliseconds since the Unix epoch; tests inject their own. */
export type Clock = () => number;

/** Everything that decides which token a caller gets. */
export interface TokenRequest {
  readonly caller: string;
  readonly sessionName: string;
  readonly durationSeconds: number;
  /** Full token endpoint URL, including any account or enterprise variant. */
  readonly endpoint: string;
  readonly scope?: CozeScope;
  /** A cached token is reused only with at least this many seconds left. */
  readonly minRemainingSeconds?: number;
  /** Skips the cache and mints a new token. */
  readonly forceRefresh?: boolean;
  /** Id that ties log lines of one request together. */
  readonly requestId?: string;
}

/** A token handed to a caller. */
export interface IssuedToken extends CozeToken {
  readonly sessionName: string;
  /** Whether the token came from the cache rather than a new upstream request. */
  readonly cached: boolean;
}

/** What a {@link TokenService} needs from its surroundings. */
export interface TokenServiceOptions {
  readonly config: TokenConfig;
  readonly signingKey: CryptoKey;
  readonly fetch: typeof fetch;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Time allowed for one upstream exchange, in milliseconds. */
  readonly upstreamTimeoutMs: number;
}

/** Mints tokens for any session of one Coze app. One instance lives per isolate. */
export class TokenService {
  readonly #options: TokenServiceOptions;

  constructor(options: TokenServiceOptions) {
    this.#options = options;
  }

  /** Returns a token for the request's session. */
  async getToken(request: TokenRequest): Promise<IssuedToken> {
    const token = await this.#mint(request);
    return { ...token, sessionName: request.sessionName, cached: false };
  }

  /** Signs a new JWT and exchanges it once, logging the outcome. */
  async #mint(request: TokenRequest): Promise<CozeToken> {
    const { config, signingKey, clock, logger } = this.#options;
    const started = clock();
    const nowSeconds = () => Math.floor(clock() / 1000);
    try {
      const assertion = await signAssertion(signingKey, {
        clientId: config.clientId,
        kid: config.kid,
        audience: config.audience,
        sessionName: request.sessionName,
        nowSeconds: nowSeconds(),
      });
      const token = await exchangeAssertion(
        {
          endpoint: request.endpoint,
          assertion,
          durationSeconds: request.durationSeconds,
          scope: request.scope,
        },
        { fetch: this.#options.fetch, timeoutMs: this.#options.upstreamTimeoutMs, nowSeconds },
      );
      logger({
        event: "upstream_call",
        outcome: "ok",
        caller: request.caller,
        sessionName: request.sessionName,
        cozeLogId: token.cozeLogId,
        durationMs: clock() - started,
        requestId: request.requestId,
      });
      return token;
    } catch (thrown) {
      const error = toTokenWorkerError(thrown);
      logger({
        event: "upstream_call",
        outcome: "error",
        code: error.code,
        caller: request.caller,
        sessionName: request.sessionName,
        cozeLogId: error.cozeLogId,
        durationMs: clock() - started,
        requestId: request.requestId,
      });
      throw error;
    }
  }
}
