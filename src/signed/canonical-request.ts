/**
 * The string a signed request's HMAC covers: one field per line, joined by "\n", no trailing
 * newline.
 *
 * ```text
 * COZE-TOKEN-HMAC-SHA256         scheme label
 * billing                        caller id
 * k1                             key id
 * 1767225600                     timestamp, Unix seconds
 * 4d2vJ0aQ0bq8b1mX7y3pZg         nonce
 * POST                           method
 * tokens.example.com             PUBLIC_HOST, as configured (not the request's Host header)
 * /v1/token                      path, as the Worker receives it
 *                                query: always empty, because a request with a query is rejected
 * application/json               Content-Type header value
 * 4f53…                          hex SHA-256 of the raw body bytes
 * ```
 *
 * No field can contain "\n": ids, timestamp, nonce and method come from strict patterns, the host
 * is validated at start-up, a URL path or query has no raw line breaks, and the content type must
 * equal `application/json`. So two different requests cannot produce the same string. The body,
 * and with it the subject and duration, is covered by its hash.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

import { SIGNATURE_SCHEME } from "./authorization-header";

/** The request facts the signature covers. */
export interface CanonicalFields {
  readonly caller: string;
  readonly keyId: string;
  readonly timestamp: string;
  readonly nonce: string;
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly query: string;
  readonly contentType: string;
  readonly body: Uint8Array;
}

const SEPARATOR = "\n";

/** Returns the lowercase hex SHA-256 of `body`. */
export function hashBody(body: Uint8Array): string {
  return bytesToHex(sha256(body));
}

/**
 * Builds the string to sign. Throws when a field contains the separator, which the checks before
 * it rule out, so such a request can never be verified against an ambiguous string.
 */
export function buildCanonicalRequest(fields: CanonicalFields): string {
  const lines = [
    SIGNATURE_SCHEME,
    fields.caller,
    fields.keyId,
    fields.timestamp,
    fields.nonce,
    fields.method,
    fields.host,
    fields.path,
    fields.query,
    fields.contentType,
    hashBody(fields.body),
  ];
  for (const line of lines) {
    if (line.includes(SEPARATOR)) throw new Error("A canonical request field contains a newline.");
  }
  return lines.join(SEPARATOR);
}
