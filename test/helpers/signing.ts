/**
 * Builds and sends signed requests to the token Worker under test, with the shipped signing
 * client. Requests are kept as plain parts (URL, method, header list, body bytes) so that tests
 * can change any of them before sending.
 *
 * @module
 */

import { env, exports } from "cloudflare:workers";

import {
  CONTENT_TYPE,
  type CanonicalRequestFields,
  type SignRequestOptions,
  buildAuthorization,
  buildCanonicalRequest,
  signRequest,
} from "../../callers/signing-client/sign-request";

/** The host the Worker under test is configured to expect (PUBLIC_HOST in vitest.config.ts). */
export const PUBLIC_HOST = env.PUBLIC_HOST ?? "";
/** The route's URL as callers address it. */
export const ROUTE_URL = `https://${PUBLIC_HOST}/v1/token`;

/** A request as parts that a test may change before sending. */
export interface RequestParts {
  url: string;
  method: string;
  /** Headers in order; a name may repeat. */
  headers: Array<[string, string]>;
  body: Uint8Array;
}

/** Returns the test secret of `caller`'s key `keyId` from CALLER_KEYS, as base64url. */
export function secretOf(caller: string, keyId = "k1"): string {
  const keys = JSON.parse(env.CALLER_KEYS ?? "{}") as Record<string, Record<string, string>>;
  const secret = keys[caller]?.[keyId];
  if (secret === undefined) throw new Error(`CALLER_KEYS has no key ${caller}/${keyId}.`);
  return secret;
}

/** Options for {@link signedParts}; every field has a valid default for alice/k1 now. */
export interface SignedPartsOptions extends Partial<Omit<SignRequestOptions, "body" | "url">> {
  readonly body?: string | Uint8Array;
  /** The URL the request is sent to; the signed host and path come from `signUrl`. */
  readonly url?: string;
  /** The URL whose host and path are signed; defaults to `url`. */
  readonly signUrl?: string;
}

/** Signs a request with the shipped client and returns it as parts. */
export async function signedParts(options: SignedPartsOptions = {}): Promise<RequestParts> {
  const caller = options.caller ?? "alice";
  const keyId = options.keyId ?? "k1";
  const body = options.body ?? '{"subject":"u1"}';
  const url = options.url ?? ROUTE_URL;
  const signed = await signRequest({
    ...options,
    caller,
    keyId,
    secret: options.secret ?? secretOf(caller, keyId),
    url: options.signUrl ?? url,
    host: options.host ?? PUBLIC_HOST,
    body,
  });
  return {
    url,
    method: options.method ?? "POST",
    headers: [
      ["Authorization", signed.headers.Authorization],
      ["Content-Type", signed.headers["Content-Type"]],
    ],
    body: typeof body === "string" ? new TextEncoder().encode(body) : body,
  };
}

/** Returns the value of the first header named `name` (case-insensitive). */
export function headerOf(parts: RequestParts, name: string): string {
  const entry = parts.headers.find(([key]) => key.toLowerCase() === name.toLowerCase());
  if (entry === undefined) throw new Error(`no ${name} header`);
  return entry[1];
}

/** Returns a copy of `parts` with the header `name` replaced by `value`. */
export function withHeader(parts: RequestParts, name: string, value: string): RequestParts {
  const headers = parts.headers.filter(([key]) => key.toLowerCase() !== name.toLowerCase());
  return { ...parts, headers: [...headers, [name, value]] };
}

/** Sends `parts` to the token Worker's fetch handler. */
export function send(parts: RequestParts): Promise<Response> {
  const headers = new Headers();
  for (const [name, value] of parts.headers) headers.append(name, value);
  const hasBody = parts.method !== "GET" && parts.method !== "HEAD";
  return exports.default.fetch(parts.url, {
    method: parts.method,
    headers,
    body: hasBody ? parts.body : undefined,
  });
}

/** Signs and sends a valid request; `options` changes any part. */
export async function sendSigned(options: SignedPartsOptions = {}): Promise<Response> {
  return send(await signedParts(options));
}

/** The body of an error response. */
export interface ErrorBody {
  error: { code: string; message: string; request_id?: string };
}

/** The body of a token response. */
export interface TokenBody {
  access_token: string;
  expires_in: number;
  token_type: string;
  session_name: string;
}

/** Current Unix time in seconds. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Returns the bytes of unpadded base64url `text`. */
export function base64UrlBytes(text: string): Uint8Array {
  const standard = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(standard + "=".repeat((4 - (standard.length % 4)) % 4));
  return Uint8Array.from(binary, (character) => character.charCodeAt(0));
}

/** Returns the lowercase hex of `bytes`. */
export function hex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Returns the hex SHA-256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", bytes));
}

/** Returns the hex HMAC-SHA-256 of `message` under `secret` (base64url). */
export async function hmacHex(secret: string, message: string): Promise<string> {
  const algorithm = { name: "HMAC", hash: "SHA-256" };
  const key = await crypto.subtle.importKey("raw", base64UrlBytes(secret), algorithm, false, [
    "sign",
  ]);
  return hex(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message)));
}

/**
 * Builds parts from raw canonical fields, skipping the client's checks, so that a test can sign
 * values the client refuses (a negative timestamp, another label). `tag` computes the signature
 * from the canonical string; it defaults to HMAC-SHA-256 under alice/k1's secret.
 */
export async function partsFromFields(
  fields: CanonicalRequestFields,
  body: Uint8Array,
  tag: (canonical: string) => Promise<string> = (canonical) =>
    hmacHex(secretOf(fields.caller, fields.keyId), canonical),
): Promise<RequestParts> {
  const signature = await tag(buildCanonicalRequest(fields));
  return {
    url: `https://${fields.host}${fields.path}`,
    method: fields.method,
    headers: [
      ["Authorization", buildAuthorization(fields, signature)],
      ["Content-Type", fields.contentType],
    ],
    body,
  };
}

/** Returns valid canonical fields for alice/k1 now, for `body`, with `overrides` applied. */
export async function validFields(
  body: Uint8Array,
  overrides: Partial<CanonicalRequestFields> = {},
): Promise<CanonicalRequestFields> {
  return {
    caller: "alice",
    keyId: "k1",
    timestamp: String(nowSeconds()),
    nonce: hex(crypto.getRandomValues(new Uint8Array(16))),
    method: "POST",
    host: PUBLIC_HOST,
    path: "/v1/token",
    query: "",
    contentType: CONTENT_TYPE,
    bodySha256: await sha256Hex(body),
    ...overrides,
  };
}

/**
 * Waits until the current second has at least 800 ms left, so that a request built now reaches
 * the Worker within the same second and tests at the edge of the clock window are exact.
 */
export async function waitForFreshSecond(): Promise<void> {
  for (;;) {
    const intoSecond = Date.now() % 1000;
    if (intoSecond < 200) return;
    await new Promise((resolve) => setTimeout(resolve, 1005 - intoSecond));
  }
}

export { CONTENT_TYPE };
