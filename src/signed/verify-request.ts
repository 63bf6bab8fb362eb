/**
 * Verifies the signature and freshness of a signed request. The nonce is checked afterwards, by
 * the replay ledger, and only for requests that pass here.
 *
 * @module
 */

import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { hexToBytes, randomBytes, utf8ToBytes } from "@noble/hashes/utils.js";

import type { SignedCredential } from "./authorization-header";
import { buildCanonicalRequest } from "./canonical-request";
import type { CallerKeys } from "./caller-keys";
import { timingSafeEqual } from "./constant-time";

/** Largest accepted difference between a request's timestamp and the Worker's clock, either way. */
export const CLOCK_SKEW_SECONDS = 300;

/** The reason verification failed. It goes to the log only, never to the caller. */
export type VerifyFailure = "timestamp_out_of_window" | "unknown_key" | "signature_mismatch";

/** The request facts to verify, as the Worker received them. */
export interface SignedRequestFacts {
  readonly credential: SignedCredential;
  /** The configured public host, which the caller signed. */
  readonly host: string;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly contentType: string;
  readonly body: Uint8Array;
}

/** The outcome of {@link verifySignedRequest}. */
export type VerifyResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: VerifyFailure };

// Stands in for an unknown key, so that a request naming an unknown caller or key id costs the
// same HMAC computation as one naming a known key, and timing does not reveal which ids exist.
// Made on first use: workerd forbids generating random values at module scope.
let placeholderKey: Uint8Array | undefined;

/** Computes the HMAC-SHA-256 of the canonical request under `key`. */
export function signCanonicalRequest(key: Uint8Array, canonicalRequest: string): Uint8Array {
  return hmac(sha256, key, utf8ToBytes(canonicalRequest));
}

/** Returns whether `timestamp` (Unix seconds) is within {@link CLOCK_SKEW_SECONDS} of `nowSeconds`. */
export function isTimestampFresh(timestamp: string, nowSeconds: number): boolean {
  return Math.abs(Number(timestamp) - nowSeconds) <= CLOCK_SKEW_SECONDS;
}

/**
 * Checks the timestamp window, looks up the caller's key by key id and compares the request's
 * signature with the expected HMAC in constant time.
 */
export function verifySignedRequest(
  facts: SignedRequestFacts,
  keys: CallerKeys,
  nowSeconds: number,
): VerifyResult {
  const { credential } = facts;
  if (!isTimestampFresh(credential.timestamp, nowSeconds)) {
    return { ok: false, reason: "timestamp_out_of_window" };
  }

  const key = keys.get(credential.caller)?.get(credential.keyId);
  const canonical = buildCanonicalRequest({ ...credential, ...facts });
  placeholderKey ??= randomBytes(32);
  const expected = signCanonicalRequest(key ?? placeholderKey, canonical);
  const matches = timingSafeEqual(expected, hexToBytes(credential.signature));
  if (key === undefined) return { ok: false, reason: "unknown_key" };
  return matches ? { ok: true } : { ok: false, reason: "signature_mismatch" };
}
