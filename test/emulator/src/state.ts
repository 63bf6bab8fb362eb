/**
 * The emulator's memory. Everything is kept per client id, so test files that run at the same
 * time with different client ids never see each other's tokens, faults or clock.
 *
 * @module
 */

import type { Fault } from "./faults";

/** A token the emulator issued, as tests inspect it. The token string is only the map key. */
export interface IssuedRecord {
  readonly session_name?: string;
  readonly duration_seconds: number;
  readonly expires_in: number;
  readonly scope?: unknown;
  readonly path: string;
  readonly kid: string;
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
}

/** One client's state. */
export interface ClientState {
  /** Public keys by `kid`, as PEM. */
  readonly keys: Map<string, string>;
  /** `jti` values already used, with their JWT's `exp` so they can be forgotten after it. */
  readonly usedJtis: Map<string, number>;
  readonly issued: IssuedRecord[];
  requests: number;
  faults: Fault[];
  clockOffsetSeconds: number;
}

const clients = new Map<string, ClientState>();
const kidOwners = new Map<string, string>();
/** Access tokens the emulator issued, to the client and record they belong to. */
export const accessTokens = new Map<string, { clientId: string; record: IssuedRecord }>();

/** Settings shared by all clients. */
export const settings = { latencyMs: 0, audience: "api.coze.cn", configured: false };

/** Returns the client's state, creating it empty on first use. */
export function clientState(clientId: string): ClientState {
  let state = clients.get(clientId);
  if (!state) {
    state = {
      keys: new Map(),
      usedJtis: new Map(),
      issued: [],
      requests: 0,
      faults: [],
      clockOffsetSeconds: 0,
    };
    clients.set(clientId, state);
  }
  return state;
}

/** Registers a public key for a client under `kid`. A `kid` belongs to one client only. */
export function registerKey(clientId: string, kid: string, publicKeyPem: string): void {
  clientState(clientId).keys.set(kid, publicKeyPem);
  kidOwners.set(kid, clientId);
}

/** Returns the client a `kid` was registered for. */
export function ownerOfKid(kid: string): string | undefined {
  return kidOwners.get(kid);
}

/** Current Unix time in seconds as the client sees it, including its clock offset. */
export function clientNow(state: ClientState): number {
  return Math.floor(Date.now() / 1000) + state.clockOffsetSeconds;
}

/** Forgets a client's tokens, faults, clock offset and counters, but keeps its keys. */
export function resetClient(clientId: string): void {
  const state = clientState(clientId);
  state.usedJtis.clear();
  state.issued.length = 0;
  state.requests = 0;
  state.faults = [];
  state.clockOffsetSeconds = 0;
  for (const [token, entry] of accessTokens) {
    if (entry.clientId === clientId) accessTokens.delete(token);
  }
}
