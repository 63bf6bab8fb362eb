/**
 * The per-isolate cache of minted tokens and the rule that decides when a cached token is reused.
 *
 * A token is keyed by everything that changes what Coze issues: endpoint URL (with its account or
 * enterprise variant), session name, duration and scope. The cache keeps at most a fixed number
 * of entries and evicts the least recently used one, so many distinct sessions cannot exhaust the
 * isolate's memory.
 *
 * @module
 */

import type { CozeScope } from "../coze/token-request";
import type { CozeToken } from "../coze/token-response";
import { TokenWorkerError } from "../errors";

/** Smallest refresh margin, in seconds. */
export const MIN_REFRESH_MARGIN_SECONDS = 30;
/** Share of a token's lifetime that is kept as refresh margin. */
export const REFRESH_MARGIN_FRACTION = 0.1;
/** Number of tokens one isolate caches when the constructor is given no bound. */
// NOTE: all callers share this bound. One caller requesting many distinct durations or subjects
// can evict other callers' tokens, which are then minted again.
export const DEFAULT_MAX_CACHED_TOKENS = 1000;

/** A token in the cache, with the time it was received. */
export interface CachedToken {
  readonly token: CozeToken;
  /** Arrival time of the token endpoint's response, in Unix milliseconds. */
  readonly receivedAtMs: number;
}

/** The request fields that change which token Coze issues. */
export interface TokenKeyFields {
  readonly endpoint: string;
  readonly sessionName: string;
  readonly durationSeconds: number;
  readonly scope?: CozeScope;
}

/**
 * Result of comparing a cached token with a request. Only `fresh` is reused. `absent`,
 * `in_margin` and `below_minimum` lead to a new token.
 */
export type CacheVerdict = "fresh" | "absent" | "in_margin" | "below_minimum";

// Compares by UTF-16 code units, as `Array.prototype.sort` does by default, independent of locale.
function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Serialises JSON data with object keys sorted, so equal scopes give equal strings. */
export function stableJson(value: unknown): string | undefined {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) return item;
    const entries = Object.entries(item as Record<string, unknown>);
    entries.sort(([a], [b]) => compareKeys(a, b));
    return Object.fromEntries(entries);
  });
}

/** Returns the cache key of a request. A missing scope and an empty scope get different keys. */
export function tokenCacheKey(fields: TokenKeyFields): string {
  return JSON.stringify([
    fields.endpoint,
    fields.sessionName,
    fields.durationSeconds,
    stableJson(fields.scope) ?? null,
  ]);
}

/** Returns the refresh margin of a token with the given lifetime: max(30 s, lifetime / 10). */
export function refreshMarginSeconds(lifetimeSeconds: number): number {
  return Math.max(MIN_REFRESH_MARGIN_SECONDS, lifetimeSeconds * REFRESH_MARGIN_FRACTION);
}

/** Returns the seconds a cached token has left at `nowMs`; negative once it has expired. */
export function remainingSeconds(entry: CachedToken, nowMs: number): number {
  return entry.token.expiresAt - nowMs / 1000;
}

/**
 * Judges whether a cached token can be reused at `nowMs`.
 *
 * The rule: a token is reused while its remaining lifetime is above its refresh margin,
 * max(30 s, a tenth of its lifetime), where lifetime is `expiresAt` minus the time it was
 * received. A 900 s token is therefore reused for its first 810 s and a 60 s token for its first
 * 30 s. When the caller sets `minRemainingSeconds`, the token must also have at least that many
 * seconds left.
 */
export function judgeCachedToken(
  entry: CachedToken | undefined,
  nowMs: number,
  minRemainingSeconds = 0,
): CacheVerdict {
  if (entry === undefined) return "absent";
  const lifetime = entry.token.expiresAt - entry.receivedAtMs / 1000;
  const remaining = remainingSeconds(entry, nowMs);
  if (remaining <= refreshMarginSeconds(lifetime)) return "in_margin";
  if (remaining < minRemainingSeconds) return "below_minimum";
  return "fresh";
}

/** A size-bounded map from cache key to token that evicts the least recently used entry. */
export class TokenCache {
  // A Map iterates in insertion order, so re-inserting on every read keeps the least recently
  // used entry first.
  readonly #entries = new Map<string, CachedToken>();
  readonly #maxEntries: number;

  /** @param maxEntries - Largest number of cached tokens; defaults to 1,000. */
  constructor(maxEntries = DEFAULT_MAX_CACHED_TOKENS) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new TokenWorkerError(
        "CONFIG_INVALID",
        `The token cache bound must be a whole number of at least 1, not ${maxEntries}.`,
        { variable: "maxCachedTokens" },
      );
    }
    this.#maxEntries = maxEntries;
  }

  /** Number of cached tokens. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Returns the unexpired entry for `key` and marks it most recently used. An expired entry is
   * dropped and `undefined` returned.
   */
  get(key: string, nowMs: number): CachedToken | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (remainingSeconds(entry, nowMs) <= 0) return undefined;
    this.#entries.set(key, entry);
    return entry;
  }

  /** Stores `entry` under `key` as most recently used, evicting the least recently used. */
  set(key: string, entry: CachedToken): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  /** Tests whether `key` has an entry, expired or not, without marking it used. */
  has(key: string): boolean {
    return this.#entries.has(key);
  }
}
