/**
 * Hands out Coze access tokens: from the per-isolate cache while a cached token is fresh,
 * otherwise from one shared upstream request per cache key.
 *
 * @module
 */

import type { TokenConfig } from "../config/token-config";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, sleep } from "../coze/retry";
import type { CozeScope } from "../coze/token-request";
import type { CozeToken } from "../coze/token-response";
import { TokenWorkerError, toTokenWorkerError } from "../errors";
import type { Logger } from "../log";
import { SingleFlight } from "./single-flight";
import {
  type CacheVerdict,
  type CachedToken,
  TokenCache,
  judgeCachedToken,
  remainingSeconds,
  tokenCacheKey,
} from "./token-cache";
import { TokenMinter } from "./token-minter";

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
  /** Skips the cache and mints a new token, joining a mint already running for the same key. */
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

/** Dependencies and limits of a {@link TokenService}. */
export interface TokenServiceOptions {
  readonly config: TokenConfig;
  readonly signingKey: CryptoKey;
  readonly fetch: typeof fetch;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Time allowed for one upstream exchange, in milliseconds. */
  readonly upstreamTimeoutMs: number;
  /** Largest number of cached tokens; defaults to 1,000. */
  readonly maxCachedTokens?: number;
  /** Retry limits of upstream calls; defaults to {@link DEFAULT_RETRY_POLICY}. */
  readonly retryPolicy?: Partial<RetryPolicy>;
  /** Waits between retries; defaults to a real timer. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Source of backoff jitter in [0, 1); defaults to `Math.random`. */
  readonly random?: () => number;
}

/**
 * Returns tokens for any session of one Coze app. One instance lives per isolate.
 *
 * A cached token is reused while it is fresh (see {@link judgeCachedToken}). Otherwise concurrent
 * requests for the same cache key share one upstream mint. When that mint fails, a caller whose
 * cached token has not expired yet receives that token, marked `cached`, unless it asked for
 * `forceRefresh` or the token has fewer than its `minRemainingSeconds` left.
 */
export class TokenService {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #cache: TokenCache;
  readonly #flights = new SingleFlight<CozeToken>();
  readonly #minter: TokenMinter;

  constructor(options: TokenServiceOptions) {
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#cache = new TokenCache(options.maxCachedTokens);
    this.#minter = new TokenMinter({
      config: options.config,
      signingKey: options.signingKey,
      fetch: options.fetch,
      logger: options.logger,
      upstreamTimeoutMs: options.upstreamTimeoutMs,
      retryPolicy: { ...DEFAULT_RETRY_POLICY, ...options.retryPolicy },
      tools: {
        clock: options.clock,
        sleep: options.sleep ?? sleep,
        random: options.random ?? Math.random,
      },
    });
  }

  /** Number of tokens in this isolate's cache. */
  get cachedTokenCount(): number {
    return this.#cache.size;
  }

  /**
   * Returns a token for the request's session, from the cache when fresh, otherwise new. Rejects
   * with `ARGUMENT_INVALID` when `minRemainingSeconds` is not below `durationSeconds`, because no
   * token could then satisfy it.
   */
  async getToken(request: TokenRequest): Promise<IssuedToken> {
    checkMinRemaining(request);
    const key = tokenCacheKey(request);
    const now = this.#clock();
    const entry = this.#cache.get(key, now);
    const verdict = request.forceRefresh
      ? "forced"
      : judgeCachedToken(entry, now, request.minRemainingSeconds);
    if (verdict === "fresh" && entry !== undefined) return issue(request, entry.token, true);

    const flight = this.#flights.run(key, () => this.#mintAndStore(key, request, verdict));
    try {
      return issue(request, await flight.promise, false);
    } catch (thrown) {
      const stale = this.#usableAfterFailure(request, entry);
      if (stale === undefined) throw thrown;
      this.#logStaleServed(request, stale, toTokenWorkerError(thrown));
      return issue(request, stale.token, true);
    }
  }

  /** Mints a token and caches it before the flight ends, so no later caller misses it. */
  async #mintAndStore(
    key: string,
    request: TokenRequest,
    verdict: CacheVerdict | "forced",
  ): Promise<CozeToken> {
    this.#logger({
      event: "token_cache_miss",
      outcome: "miss",
      reason: verdict,
      caller: request.caller,
      sessionName: request.sessionName,
      requestId: request.requestId,
    });
    const token = await this.#minter.mint(request);
    this.#cache.set(key, { token, receivedAtMs: this.#clock() });
    return token;
  }

  /** Returns the cached entry a failed refresh may fall back to, if any. */
  #usableAfterFailure(
    request: TokenRequest,
    entry: CachedToken | undefined,
  ): CachedToken | undefined {
    if (entry === undefined || request.forceRefresh) return undefined;
    const remaining = remainingSeconds(entry, this.#clock());
    if (remaining <= 0 || remaining < (request.minRemainingSeconds ?? 0)) return undefined;
    return entry;
  }

  #logStaleServed(request: TokenRequest, entry: CachedToken, error: TokenWorkerError): void {
    this.#logger({
      event: "stale_token_served",
      outcome: "stale",
      code: error.code,
      cozeLogId: error.cozeLogId,
      caller: request.caller,
      sessionName: request.sessionName,
      requestId: request.requestId,
      remainingSeconds: Math.floor(remainingSeconds(entry, this.#clock())),
    });
  }
}

function checkMinRemaining(request: TokenRequest): void {
  const min = request.minRemainingSeconds;
  if (min === undefined || min < request.durationSeconds) return;
  throw new TokenWorkerError(
    "ARGUMENT_INVALID",
    `minRemainingSeconds (${min}) must be less than the token duration ` +
      `(${request.durationSeconds} s), or no token could satisfy it. Lower minRemainingSeconds ` +
      "or request a longer durationSeconds.",
    { variable: "minRemainingSeconds" },
  );
}

function issue(request: TokenRequest, token: CozeToken, cached: boolean): IssuedToken {
  return { ...token, sessionName: request.sessionName, cached };
}
