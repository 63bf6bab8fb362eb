/**
 * The `Authorization` header of a signed request, matched whole by one strict pattern:
 *
 * ```text
 * COZE-TOKEN-HMAC-SHA256 Credential=<caller>/<key id>, Timestamp=<10 digits>, Nonce=<base64url>,
 *   Signature=<64 lowercase hex digits>
 * ```
 *
 * (on one line). The label fixes the algorithm, so a request cannot choose another one.
 *
 * @module
 */

import { CALLER_ID_PATTERN } from "../tokens/session-name";
import { KEY_ID_PATTERN } from "./caller-keys";

/** The scheme label: the first line of the string to sign and the `WWW-Authenticate` challenge. */
export const SIGNATURE_SCHEME = "COZE-TOKEN-HMAC-SHA256";

/** Nonce length bounds in base64url characters: 22 characters carry 132 bits. */
export const MIN_NONCE_LENGTH = 22;
export const MAX_NONCE_LENGTH = 64;

/** Maximum header length checked before the pattern runs. A valid header is under 300 characters. */
const MAX_HEADER_LENGTH = 512;

/** Returns the source of an anchored pattern without its `^` and `$`, to embed in a larger one. */
function unanchored(pattern: RegExp): string {
  return pattern.source.replace(/^\^/, "").replace(/\$$/, "");
}

const AUTHORIZATION_PATTERN = new RegExp(
  `^${SIGNATURE_SCHEME} ` +
    `Credential=(${unanchored(CALLER_ID_PATTERN)})/(${unanchored(KEY_ID_PATTERN)}), ` +
    "Timestamp=([0-9]{10}), " +
    `Nonce=([A-Za-z0-9_-]{${MIN_NONCE_LENGTH},${MAX_NONCE_LENGTH}}), ` +
    "Signature=([0-9a-f]{64})$",
);

/** The fields of a well-formed `Authorization` header. Not yet verified. */
export interface SignedCredential {
  readonly caller: string;
  readonly keyId: string;
  /** Unix seconds, as the 10 digits sent. */
  readonly timestamp: string;
  readonly nonce: string;
  /** 64 lowercase hex digits. */
  readonly signature: string;
}

/**
 * Parses an `Authorization` header value, or returns `undefined` unless the whole value matches
 * the pattern. A repeated header arrives joined with ", " and so never matches.
 */
export function parseAuthorization(value: string | null): SignedCredential | undefined {
  if (value === null || value.length > MAX_HEADER_LENGTH) return undefined;
  const match = AUTHORIZATION_PATTERN.exec(value);
  if (match === null) return undefined;
  const [, caller = "", keyId = "", timestamp = "", nonce = "", signature = ""] = match;
  return { caller, keyId, timestamp, nonce, signature };
}
