/**
 * Reads the `CALLER_KEYS` secret: the HMAC keys of the public route's callers, several per caller
 * so that keys can be rotated.
 *
 * ```json
 * { "billing": { "k1": "<base64url, 32+ random bytes>", "k2": "<base64url>" }, "ci": { ... } }
 * ```
 *
 * Rotation: add a key id next to the old one, move the caller to it, then remove the old key id.
 * A removed key id stops working as soon as the new secret is deployed.
 *
 * @module
 */

import { TokenWorkerError } from "../errors";
import { CALLER_ID_PATTERN } from "../tokens/session-name";
import { decodeBase64Url } from "./base64url";
import { StrictJsonError, parseStrictJson } from "./strict-json";

/** Key ids: 1 to 32 lowercase ASCII letters, digits and hyphens, starting with a letter or digit. */
export const KEY_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
/** Smallest secret accepted, in bytes: HMAC-SHA-256 gains nothing from longer keys up to 64. */
export const MIN_SECRET_BYTES = 32;
/** Largest secret accepted, in bytes. */
export const MAX_SECRET_BYTES = 128;
/** Largest number of keys per caller: an active one, a retiring one and room to spare. */
export const MAX_KEYS_PER_CALLER = 8;

/** HMAC secrets by caller id, then by key id. */
export type CallerKeys = ReadonlyMap<string, ReadonlyMap<string, Uint8Array>>;

const VARIABLE = "CALLER_KEYS";
const SHAPE =
  'a JSON object of caller ids to objects of key ids to secrets, such as {"billing": ' +
  '{"k1": "<secret>"}}';
const GENERATE =
  "Generate each secret with `openssl rand -base64 32 | tr '+/' '-_' | tr -d =` or " +
  "`node -e \"console.log(require('crypto').randomBytes(32).toString('base64url'))\"`.";

function keysError(message: string): TokenWorkerError {
  return new TokenWorkerError("CONFIG_INVALID", `${VARIABLE} ${message}`, { variable: VARIABLE });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseDocument(raw: string): Record<string, unknown> {
  let document: unknown;
  try {
    document = parseStrictJson(raw);
  } catch (error) {
    if (!(error instanceof StrictJsonError)) throw error;
    // Only a duplicate that is a valid id is named; any other text of the secret stays out.
    const key = error.duplicateKey;
    const isId = key !== undefined && (CALLER_ID_PATTERN.test(key) || KEY_ID_PATTERN.test(key));
    const named = isId ? ` "${key}"` : "";
    const problem =
      key === undefined ? `is not valid JSON (${error.message})` : `has a duplicate key${named}`;
    throw keysError(`${problem}. It must be ${SHAPE}.`);
  }
  if (!isPlainObject(document)) throw keysError(`must be ${SHAPE}.`);
  return document;
}

function parseSecret(caller: string, keyId: string, value: unknown): Uint8Array {
  const where = `${caller}/${keyId}`;
  if (typeof value !== "string") {
    throw keysError(`has a non-string secret for ${where}. ${GENERATE}`);
  }
  const bytes = decodeBase64Url(value);
  if (bytes === undefined) {
    throw keysError(
      `has a secret for ${where} that is not unpadded base64url (A-Z a-z 0-9 - _, no "=", "+" ` +
        `or "/"). ${GENERATE}`,
    );
  }
  if (bytes.length < MIN_SECRET_BYTES || bytes.length > MAX_SECRET_BYTES) {
    throw keysError(
      `has a secret for ${where} of ${bytes.length} bytes; use ${MIN_SECRET_BYTES} to ` +
        `${MAX_SECRET_BYTES} random bytes. ${GENERATE}`,
    );
  }
  return bytes;
}

function parseCallerEntry(caller: string, entry: unknown): Map<string, Uint8Array> {
  if (!CALLER_ID_PATTERN.test(caller)) {
    throw keysError(
      "has an invalid caller id. Caller ids are 1 to 63 lowercase letters, digits or inner " +
        'hyphens, such as "billing".',
    );
  }
  if (!isPlainObject(entry)) {
    throw keysError(`has a non-object entry for caller "${caller}". It must be ${SHAPE}.`);
  }
  const keyIds = Object.keys(entry);
  if (keyIds.length > MAX_KEYS_PER_CALLER) {
    throw keysError(
      `lists ${keyIds.length} keys for "${caller}"; the limit is ${MAX_KEYS_PER_CALLER}.`,
    );
  }
  const keys = new Map<string, Uint8Array>();
  for (const keyId of keyIds) {
    if (!KEY_ID_PATTERN.test(keyId)) {
      throw keysError(
        `has an invalid key id for caller "${caller}". Key ids are 1 to 32 lowercase letters, ` +
          'digits or hyphens, such as "k1" or "2025-06".',
      );
    }
    keys.set(keyId, parseSecret(caller, keyId, entry[keyId]));
  }
  return keys;
}

/** Rejects one secret under two names, which would let either caller act as the other. */
function checkSecretsDistinct(keys: CallerKeys): void {
  const owners = new Map<string, string>();
  for (const [caller, callerKeys] of keys) {
    for (const [keyId, secret] of callerKeys) {
      const fingerprint = Array.from(secret, (byte) => byte.toString(16).padStart(2, "0")).join("");
      const owner = owners.get(fingerprint);
      if (owner !== undefined) {
        throw keysError(
          `uses the same secret for ${owner} and ${caller}/${keyId}. Give every key its own ` +
            `random secret. ${GENERATE}`,
        );
      }
      owners.set(fingerprint, `${caller}/${keyId}`);
    }
  }
}

/**
 * Parses and validates `CALLER_KEYS`. Throws `CONFIG_INVALID` naming the caller and key id at
 * fault and the rule, never a secret. Callers with no key ids are kept, and cannot sign anything.
 */
export function parseCallerKeys(raw: string): CallerKeys {
  const document = parseDocument(raw);
  const keys = new Map<string, ReadonlyMap<string, Uint8Array>>();
  for (const caller of Object.keys(document)) {
    keys.set(caller, parseCallerEntry(caller, document[caller]));
  }
  checkSecretsDistinct(keys);
  return keys;
}
