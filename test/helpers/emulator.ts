/**
 * A client for the Coze emulator's admin API under `/__emulator/`. Every fetch of the `workers`
 * project goes to the emulator (`outboundService`), so the host name is only a label.
 *
 * @module
 */

import type { Fault } from "../emulator/src/faults";
import type { IssuedRecord } from "../emulator/src/state";

export type { Fault };

/** Base URL that reaches the emulator from tests and from the token Worker. */
export const EMULATOR_BASE = "https://api.coze.cn";
/** The emulator's token endpoint. */
export const TOKEN_ENDPOINT = `${EMULATOR_BASE}/api/permission/oauth2/token`;

/** Counters of one emulated client. */
export interface EmulatorStats {
  /** Tokens issued. */
  readonly issued: number;
  /** Token requests received, including rejected and faulted ones. */
  readonly requests: number;
  readonly tokens: IssuedRecord[];
}

async function post(action: string, body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${EMULATOR_BASE}/__emulator/${action}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    throw new Error(`emulator ${action} failed: HTTP ${response.status} ${await response.text()}`);
  }
}

/** Registers `publicKeyPem` (SPKI) as the key `kid` of `clientId`. */
export function registerClient(clientId: string, kid: string, publicKeyPem: string): Promise<void> {
  return post("clients", { client_id: clientId, kid, public_key: publicKeyPem });
}

/** Queues faults that the client's next token requests receive, one each, in order. */
export function queueFaults(clientId: string, faults: Fault[]): Promise<void> {
  return post("faults", { client_id: clientId, faults });
}

/** Moves the client's clock on the emulator by `offsetSeconds` from real time. */
export function setClockOffset(clientId: string, offsetSeconds: number): Promise<void> {
  return post("clock", { client_id: clientId, offset_seconds: offsetSeconds });
}

/** Forgets the client's tokens, faults, clock offset and counters, keeping its keys. */
export function resetClient(clientId: string): Promise<void> {
  return post("reset", { client_id: clientId });
}

/** Returns the client's counters and the records of the tokens it was issued. */
export async function emulatorStats(clientId: string): Promise<EmulatorStats> {
  const response = await fetch(`${EMULATOR_BASE}/__emulator/stats?client_id=${clientId}`);
  if (!response.ok) throw new Error(`emulator stats failed: HTTP ${response.status}`);
  return (await response.json()) as EmulatorStats;
}
