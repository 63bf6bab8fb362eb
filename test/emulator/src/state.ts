/**
 * The emulator's memory, in module scope, so it lasts as long as the isolate. Everything is kept
 * per client id, so test files that run at the same time with different client ids never see each
 * other's keys, tokens, faults or clock.
 *
 * @module
 */

import type { Fault } from "./faults";

/** A token the emulator issued, as `GET /__emulator/stats` returns it. */
export interface IssuedRecord {
  /** The JWT's `session_name` claim, if it had one. */
  readonly session_name?: string;
  /** The requested lifetime, or 900 when the request left it out. */
  readonly duration_seconds: number;
  /** The absolute Unix time in seconds sent as `expires_in`. */
  readonly expires_in: number;
  /** The request's `scope` object, if it had one. */
  readonly scope?: Record<string, unknown>;
  /** The request path, which distinguishes the plain, account and enterprise_id routes. */
  readonly path: string;
  /** The `kid` whose key verified the JWT. */
  readonly kid: string;
  /** The JWT's decoded header. */
  readonly header: Record<string, unknown>;
  /** The JWT's decoded claims. */
  readonly claims: Record<string, unknown>;
}

/** One client's state. */
export interface ClientState {
  /** Public keys by `kid`, imported for RS256 verification. */
  readonly keys: Map<string, CryptoKey>;
  /**
   * `jti` values of accepted JWTs. They are kept until the client is reset, not dropped after the
   * JWT's `exp`, because moving the client's clock back can make an old JWT unexpired again.
   */
  readonly usedJtis: Set<string>;
  /** Records of issued tokens, in issue order. */
  readonly issued: IssuedRecord[];
  /** Token requests received whose unverified `iss` is this client, including failed ones. */
  requests: number;
  /** Faults that the next token requests receive, first in first out. */
  faults: Fault[];
  /** Seconds added to real time for this client's `iat` and `exp` checks and expiry times. */
  clockOffsetSeconds: number;
}

/** An access token's owner and record. */
interface IssuedToken {
  readonly clientId: string;
  readonly record: IssuedRecord;
}

const clients = new Map<string, ClientState>();

/**
 * Every access token issued, for `GET /v1/users/me`, which receives no client id. Tokens are
 * random, so one shared map cannot mix up clients.
 */
const issuedTokens = new Map<string, IssuedToken>();

/** Settings shared by all clients. */
export const settings = {
  /** The `aud` every JWT must carry. */
  audience: "api.coze.cn",
  /** Delay added before every token response, in milliseconds. */
  latencyMs: 0,
};

/** Returns the client's state, creating it empty on first use. */
export function clientState(clientId: string): ClientState {
  let state = clients.get(clientId);
  if (state === undefined) {
    state = {
      keys: new Map(),
      usedJtis: new Set(),
      issued: [],
      requests: 0,
      faults: [],
      clockOffsetSeconds: 0,
    };
    clients.set(clientId, state);
  }
  return state;
}

/** Registers `key` as the client's key `kid`, replacing the client's earlier key with that kid. */
export function registerKey(clientId: string, kid: string, key: CryptoKey): void {
  clientState(clientId).keys.set(kid, key);
}

/**
 * Returns the client that registered `kid`. A kid registered by the JWT's claimed issuer wins, so
 * two clients that happen to register the same kid stay apart. Otherwise any client with that kid
 * is returned, and the caller's `iss` check then rejects the JWT.
 */
export function findKidOwner(kid: string, claimedIssuer: string | undefined): string | undefined {
  if (claimedIssuer !== undefined && clients.get(claimedIssuer)?.keys.has(kid)) {
    return claimedIssuer;
  }
  for (const [clientId, state] of clients) {
    if (state.keys.has(kid)) return clientId;
  }
  return undefined;
}

/** Returns the current Unix time in seconds on the client's clock: real time plus its offset. */
export function clientNow(state: ClientState): number {
  return Math.floor(Date.now() / 1000) + state.clockOffsetSeconds;
}

/** Stores a newly issued access token and its record. */
export function recordIssuedToken(clientId: string, token: string, record: IssuedRecord): void {
  clientState(clientId).issued.push(record);
  issuedTokens.set(token, { clientId, record });
}

/** Returns the owner and record of an access token this emulator issued. */
export function findIssuedToken(token: string): IssuedToken | undefined {
  return issuedTokens.get(token);
}

/** Clears a client's used `jti` values, tokens, counters, faults and clock offset, not its keys. */
export function resetClient(clientId: string): void {
  const state = clientState(clientId);
  state.usedJtis.clear();
  state.issued.length = 0;
  state.requests = 0;
  state.faults = [];
  state.clockOffsetSeconds = 0;
  for (const [token, entry] of issuedTokens) {
    if (entry.clientId === clientId) issuedTokens.delete(token);
  }
}
