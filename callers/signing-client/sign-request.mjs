// Generated from sign-request.ts by `node callers/signing-client/build.mjs`. Do not edit:
// change sign-request.ts and run the script again.

/**
 * Signs requests for the token Worker's public route (`COZE-TOKEN-HMAC-SHA256`). It uses only
 * Web Crypto, so it runs unchanged in Node.js 20+, in Workers, in Deno and in browsers, with no
 * dependency.
 *
 * ```ts
 * const body = JSON.stringify({ subject: "u42" });
 * const url = "https://tokens.example.com/v1/token";
 * const { headers } = await signRequest({ caller: "billing", keyId: "k1", secret, url, body });
 * const response = await fetch(url, { method: "POST", headers, body });
 * ```
 *
 * `sign-request.mjs` next to this file is generated from it by `node
 * callers/signing-client/build.mjs`, for Node.js, which cannot run TypeScript directly.
 *
 * @module
 */
/** The scheme label: the first line of the signed string and the start of the header. */
export const SIGNATURE_SCHEME = "COZE-TOKEN-HMAC-SHA256";
/** The only content type the route accepts. */
export const CONTENT_TYPE = "application/json";
const CALLER_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const KEY_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
const NONCE_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;
const TIMESTAMP_PATTERN = /^[0-9]{10}$/;
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]+$/;
/**
 * Builds the string to sign: the scheme label and the ten fields, one per line, joined by "\n"
 * with no trailing newline. Throws when a field contains a newline.
 */
export function buildCanonicalRequest(fields) {
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
    fields.bodySha256,
  ];
  if (lines.some((line) => line.includes("\n"))) {
    throw new Error("A signed field contains a newline.");
  }
  return lines.join("\n");
}
/** Builds the `Authorization` header value. */
export function buildAuthorization(fields, signature) {
  return (
    `${SIGNATURE_SCHEME} Credential=${fields.caller}/${fields.keyId}, ` +
    `Timestamp=${fields.timestamp}, Nonce=${fields.nonce}, Signature=${signature}`
  );
}
/**
 * Signs one request. Returns the headers to send with exactly `options.body`. Throws a
 * `TypeError` naming the option at fault.
 */
export async function signRequest(options) {
  const target = targetOf(options);
  const timestamp = String(options.now ?? Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? randomNonce();
  checkField("caller", options.caller, CALLER_PATTERN);
  checkField("keyId", options.keyId, KEY_ID_PATTERN);
  checkField("now", timestamp, TIMESTAMP_PATTERN);
  checkField("nonce", nonce, NONCE_PATTERN);
  const body = typeof options.body === "string" ? encode(options.body) : options.body;
  const fields = {
    caller: options.caller,
    keyId: options.keyId,
    timestamp,
    nonce,
    method: options.method ?? "POST",
    host: target.host,
    path: target.path,
    query: "",
    contentType: options.contentType ?? CONTENT_TYPE,
    bodySha256: toHex(await crypto.subtle.digest("SHA-256", body)),
  };
  const canonicalRequest = buildCanonicalRequest(fields);
  const signature = await hmacSha256Hex(secretBytes(options.secret), canonicalRequest);
  return {
    headers: {
      Authorization: buildAuthorization(fields, signature),
      "Content-Type": fields.contentType,
    },
    canonicalRequest,
    signature,
    timestamp,
    nonce,
  };
}
/** Returns the host and path to sign, as a URL parser on the server gives them. */
function targetOf(options) {
  const url = new URL(options.url);
  if (url.href.split("#")[0].includes("?")) {
    throw new TypeError("url must have no query: the route rejects every request with one.");
  }
  return { host: (options.host ?? url.host).toLowerCase(), path: url.pathname };
}
function checkField(name, value, pattern) {
  if (!pattern.test(value)) {
    throw new TypeError(`${name} is invalid; it must match ${pattern.source}.`);
  }
}
function secretBytes(secret) {
  if (typeof secret !== "string") return secret;
  if (!BASE64URL_PATTERN.test(secret)) {
    throw new TypeError("secret must be unpadded base64url text (A-Z a-z 0-9 - _).");
  }
  const standard = secret.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(standard + "=".repeat((4 - (standard.length % 4)) % 4));
  return Uint8Array.from(binary, (character) => character.charCodeAt(0));
}
async function hmacSha256Hex(secret, message) {
  const algorithm = { name: "HMAC", hash: "SHA-256" };
  const key = await crypto.subtle.importKey("raw", secret, algorithm, false, ["sign"]);
  return toHex(await crypto.subtle.sign("HMAC", key, encode(message)));
}
function randomNonce() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
function encode(text) {
  return new TextEncoder().encode(text);
}
function toHex(buffer) {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");
}
