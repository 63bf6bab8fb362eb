/**
 * Turns the `PRIVATE_KEY` value, as people paste it, into an RSA signing key.
 *
 * Accepted: PKCS#8 PEM (`BEGIN PRIVATE KEY`), PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`, wrapped into
 * PKCS#8 here), the base64 body of either without PEM lines, literal `\n` sequences in place of
 * newlines, CRLF line ends, surrounding whitespace and one pair of surrounding quotes. Everything
 * else is rejected with a message that names the problem and the fix, never the key itself.
 *
 * @module
 */

import { TokenWorkerError } from "../errors";
import { DER_TAG, concatBytes, encodeElement, readChildren, readElement } from "./der";

/** Smallest RSA modulus accepted, in bits. Coze generates 2048-bit key pairs. */
export const MIN_MODULUS_BITS = 2048;

const RSA_ENCRYPTION_OID = "2a864886f70d010101"; // 1.2.840.113549.1.1.1
const EC_PUBLIC_KEY_OID = "2a8648ce3d0201"; // 1.2.840.10045.2.1
const ED25519_OID = "2b6570"; // 1.3.101.112

const CONVERT_HINT =
  "Paste the private key file that Coze offered for download when the key pair was created, " +
  "from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----.";

/** The key format found in a PEM label or DER structure. */
export type KeyFormat = "pkcs8" | "pkcs1";

function keyError(message: string): TokenWorkerError {
  return new TokenWorkerError("PRIVATE_KEY_INVALID", `PRIVATE_KEY ${message}`, {
    variable: "PRIVATE_KEY",
  });
}

/** Undoes what dashboards and env files do to a pasted PEM. */
export function cleanPastedPem(raw: string): string {
  let text = raw.trim();
  const quoted = /^(["'])([\s\S]*)\1$/.exec(text);
  if (quoted) text = quoted[2]!.trim();
  return text
    .replace(/\\r\\n|\\n|\\r/g, "\n")
    .replace(/\r\n?/g, "\n")
    .trim();
}

function rejectLabel(label: string): never {
  if (/PUBLIC KEY|CERTIFICATE/.test(label)) {
    throw keyError(
      `contains a ${label.toLowerCase()}, not a private key. The public key belongs on Coze's ` +
        `OAuth app page; PRIVATE_KEY needs the private half. ${CONVERT_HINT}`,
    );
  }
  if (label === "ENCRYPTED PRIVATE KEY") {
    throw keyError(
      "is encrypted with a passphrase. Decrypt it once with " +
        "`openssl pkcs8 -in key.pem -nocrypt -topk8 -out key-pkcs8.pem` and store the result.",
    );
  }
  if (label === "EC PRIVATE KEY" || label === "OPENSSH PRIVATE KEY") {
    throw keyError(
      `is an ${label === "EC PRIVATE KEY" ? "EC" : "OpenSSH"} key. Coze's OAuth JWT grant needs ` +
        `an RSA key for RS256. ${CONVERT_HINT}`,
    );
  }
  throw keyError(`has the PEM label "${label}", which is not a private key label. ${CONVERT_HINT}`);
}

function decodeBase64(body: string): Uint8Array {
  const compact = body.replace(/\s+/g, "");
  if (compact === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact) || compact.length % 4 === 1) {
    throw keyError(
      "is garbled: its body is not base64. Paste the key file unchanged, including the " +
        "BEGIN and END lines.",
    );
  }
  const binary = atob(compact.padEnd(Math.ceil(compact.length / 4) * 4, "="));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function truncatedError(): TokenWorkerError {
  return keyError(
    "is truncated or garbled: its DER structure ends early or is malformed. Paste the whole " +
      "key file again; `openssl pkey -in key.pem -noout` checks a key file locally.",
  );
}

/**
 * Identifies the DER structure of a key: PKCS#8 RSA, PKCS#1 RSA, or a rejection naming what it
 * is instead (an EC key, an Ed25519 key, a public key, or a truncated or garbled one).
 */
export function classifyDer(der: Uint8Array): KeyFormat {
  const outer = readElement(der, 0);
  if (!outer || outer.tag !== DER_TAG.sequence || outer.end !== der.length) throw truncatedError();
  const fields = readChildren(der, outer);
  if (!fields || fields.length < 2) throw truncatedError();

  const [first, second] = fields as [(typeof fields)[0], (typeof fields)[0]];
  if (first.tag === DER_TAG.sequence) {
    throw keyError(`contains a public key, not a private key. ${CONVERT_HINT}`);
  }
  if (first.tag !== DER_TAG.integer) throw truncatedError();
  if (second.tag === DER_TAG.integer) {
    if (fields.length < 9) throw truncatedError();
    return "pkcs1";
  }
  if (second.tag !== DER_TAG.sequence) throw truncatedError();

  const algorithm = readChildren(der, second)?.[0];
  if (!algorithm || algorithm.tag !== DER_TAG.oid) throw truncatedError();
  const oid = hex(der.subarray(algorithm.start, algorithm.end));
  if (oid === RSA_ENCRYPTION_OID) return "pkcs8";
  if (oid === EC_PUBLIC_KEY_OID || oid === ED25519_OID) {
    throw keyError(
      `is an ${oid === ED25519_OID ? "Ed25519" : "EC"} key. Coze's OAuth JWT grant needs an ` +
        `RSA key for RS256. ${CONVERT_HINT}`,
    );
  }
  throw keyError(`uses an algorithm other than RSA. ${CONVERT_HINT}`);
}

/** Wraps a PKCS#1 `RSAPrivateKey` into a PKCS#8 `PrivateKeyInfo`. */
export function wrapPkcs1(pkcs1: Uint8Array): Uint8Array {
  const version = encodeElement(DER_TAG.integer, new Uint8Array([0]));
  const oidBytes = Uint8Array.from(RSA_ENCRYPTION_OID.match(/../g)!, (pair) => parseInt(pair, 16));
  const algorithm = encodeElement(
    DER_TAG.sequence,
    concatBytes(
      encodeElement(DER_TAG.oid, oidBytes),
      encodeElement(DER_TAG.null, new Uint8Array()),
    ),
  );
  const privateKey = encodeElement(DER_TAG.octetString, pkcs1);
  return encodeElement(DER_TAG.sequence, concatBytes(version, algorithm, privateKey));
}

/** Extracts the DER bytes from a cleaned PEM, or from a bare base64 body. */
function pemToDer(text: string): Uint8Array {
  const begin = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text);
  if (!begin) return decodeBase64(text);

  const label = begin[1]!;
  if (label !== "PRIVATE KEY" && label !== "RSA PRIVATE KEY") rejectLabel(label);
  const endMarker = `-----END ${label}-----`;
  const endIndex = text.indexOf(endMarker, begin.index);
  if (endIndex < 0) {
    throw keyError(
      `is truncated: "${endMarker}" is missing. Paste the whole key file, or store it with ` +
        "`wrangler secret put PRIVATE_KEY < key.pem`, which keeps every line.",
    );
  }
  return decodeBase64(text.slice(begin.index + begin[0].length, endIndex));
}

/** Normalises a pasted `PRIVATE_KEY` into PKCS#8 DER bytes, ready for Web Crypto's importKey. */
export function privateKeyToPkcs8(raw: string): Uint8Array {
  const der = pemToDer(cleanPastedPem(raw));
  return classifyDer(der) === "pkcs1" ? wrapPkcs1(der) : der;
}

/**
 * Imports PKCS#8 bytes from {@link privateKeyToPkcs8} as a non-extractable RS256 signing key. Call
 * once per isolate: the import parses the whole key and is far slower than a signature.
 */
export async function importSigningKey(pkcs8: Uint8Array): Promise<CryptoKey> {
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey(
      "pkcs8",
      pkcs8,
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      false,
      ["sign"],
    );
  } catch {
    throw keyError(
      "could not be imported as an RSA key: its structure is sound but its content is garbled. " +
        "Paste the key file unchanged; `openssl pkey -in key.pem -noout` checks it locally.",
    );
  }

  const bits = (key.algorithm as { modulusLength: number }).modulusLength;
  if (bits < MIN_MODULUS_BITS) {
    throw keyError(
      `is a ${bits}-bit RSA key; at least ${MIN_MODULUS_BITS} bits are required. ` +
        "Create a new key pair on Coze's OAuth app page.",
    );
  }
  return key;
}
