/**
 * Registration of client keys, from `EMULATOR_CLIENTS` at startup or from
 * `POST /__emulator/clients` at run time.
 *
 * @module
 */

import { importSPKI } from "jose";

import { isPlainObject } from "./http";
import { registerKey } from "./state";

/** One registered key: the app id, the key's fingerprint (`kid`) and its public key. */
export interface ClientKeyEntry {
  readonly client_id: string;
  readonly kid: string;
  /** RSA public key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`). */
  readonly public_key: string;
}

/** A client key entry that is malformed or whose public key cannot be imported. */
export class ClientKeyError extends Error {
  override readonly name = "ClientKeyError";
}

const FIELDS = ["client_id", "kid", "public_key"] as const;

/** Checks the shape of a {@link ClientKeyEntry}. Throws a {@link ClientKeyError} naming a field. */
export function parseClientKeyEntry(value: unknown): ClientKeyEntry {
  if (!isPlainObject(value)) {
    throw new ClientKeyError("a client entry must be an object { client_id, kid, public_key }");
  }
  for (const field of FIELDS) {
    const fieldValue = value[field];
    if (typeof fieldValue !== "string" || fieldValue.trim() === "") {
      throw new ClientKeyError(`${field} is missing or not a non-empty string`);
    }
  }
  return value as unknown as ClientKeyEntry;
}

/**
 * Imports the entry's public key for RS256 and registers it. Throws a {@link ClientKeyError}
 * when the key is not an RSA public key in SPKI PEM form. The message never contains the key.
 */
export async function registerClientKey(entry: ClientKeyEntry): Promise<void> {
  let key: CryptoKey;
  try {
    key = await importSPKI(entry.public_key, "RS256");
  } catch {
    throw new ClientKeyError(
      `public_key of client ${entry.client_id}, kid ${entry.kid}, is not an RSA public key in ` +
        "SPKI PEM form (-----BEGIN PUBLIC KEY-----)",
    );
  }
  registerKey(entry.client_id, entry.kid, key);
}
