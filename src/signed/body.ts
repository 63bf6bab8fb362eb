/**
 * The body of a signed token request: read up to a size cap, then parsed as strict JSON.
 *
 * ```json
 * { "subject": "u42", "duration_seconds": 900 }
 * ```
 *
 * Both fields are optional, so `{}` requests a token for the caller's own session with the default
 * lifetime.
 *
 * @module
 */

import { MAX_DURATION_SECONDS, MIN_DURATION_SECONDS } from "../config/token-config";
import { TokenWorkerError } from "../errors";
import { validateSubject } from "../tokens/session-name";
import { StrictJsonError, parseStrictJson } from "./strict-json";

/** Largest body accepted, in bytes. A larger body gets 413 and is never truncated. */
export const MAX_BODY_BYTES = 1024;

/** The only media type accepted, compared as the exact header value. */
export const BODY_CONTENT_TYPE = "application/json";

/** The token request fields of a signed body. */
export interface TokenRequestBody {
  readonly subject?: string;
  readonly durationSeconds?: number;
}

const KNOWN_FIELDS = ["subject", "duration_seconds", "caller"];

function bodyError(message: string): TokenWorkerError {
  return new TokenWorkerError("BODY_INVALID", message);
}

/**
 * Returns whether the request's `Content-Length` header announces more than `maxBytes`. A
 * missing or unparsable header returns false: the bytes read decide in {@link readBodyCapped}.
 */
export function announcesLargeBody(request: Request, maxBytes = MAX_BODY_BYTES): boolean {
  const header = request.headers.get("Content-Length");
  return header !== null && /^[0-9]+$/.test(header) && Number(header) > maxBytes;
}

/** Reads one chunk; a connection that fails mid-body becomes `BODY_INVALID`, not `INTERNAL`. */
async function readChunk(reader: ReadableStreamDefaultReader<Uint8Array>) {
  try {
    return await reader.read();
  } catch {
    throw new TokenWorkerError(
      "BODY_INVALID",
      "The request body could not be read completely; the connection ended early.",
    );
  }
}

/**
 * Reads the whole body, or returns `undefined` as soon as more than `maxBytes` arrive (and
 * cancels the rest), whatever `Content-Length` announced.
 */
export async function readBodyCapped(
  request: Request,
  maxBytes = MAX_BODY_BYTES,
): Promise<Uint8Array | undefined> {
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await readChunk(reader);
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function decodeJsonObject(bytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    // fatal: invalid UTF-8 is an error. ignoreBOM keeps a byte order mark, which JSON rejects.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw bodyError("The body is not valid UTF-8.");
  }
  let document: unknown;
  try {
    document = parseStrictJson(text);
  } catch (error) {
    if (!(error instanceof StrictJsonError)) throw error;
    const detail =
      error.duplicateKey === undefined
        ? error.message
        : `duplicate key ${JSON.stringify(error.duplicateKey.slice(0, 40))}`;
    throw bodyError(`The body is not strict JSON (${detail}). Send a JSON object such as {}.`);
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw bodyError('The body must be a JSON object such as {} or {"subject": "u42"}.');
  }
  return document as Record<string, unknown>;
}

function parseDuration(value: unknown): number {
  const valid =
    typeof value === "number" &&
    Number.isInteger(value) &&
    value >= MIN_DURATION_SECONDS &&
    value <= MAX_DURATION_SECONDS;
  if (valid) return value;
  throw new TokenWorkerError(
    "DURATION_INVALID",
    `duration_seconds must be a whole number from ${MIN_DURATION_SECONDS} to ` +
      `${MAX_DURATION_SECONDS}.`,
    { variable: "duration_seconds" },
  );
}

/**
 * Parses a signed request body for the verified `caller`. Throws `BODY_INVALID` for invalid
 * JSON, duplicate keys, unknown fields or a `caller` field naming anyone else, and
 * `SUBJECT_INVALID` or `DURATION_INVALID` for bad values.
 */
export function parseTokenRequestBody(bytes: Uint8Array, caller: string): TokenRequestBody {
  const document = decodeJsonObject(bytes);
  for (const field of Object.keys(document)) {
    if (!KNOWN_FIELDS.includes(field)) {
      throw bodyError(
        `The body has an unknown field ${JSON.stringify(field.slice(0, 40))}; the fields are ` +
          '"subject" and "duration_seconds".',
      );
    }
  }
  if (document.caller !== undefined && document.caller !== caller) {
    throw bodyError(
      'The body\'s "caller" names another caller than the Credential. The caller is always the ' +
        'one whose key signed the request; remove "caller" from the body.',
    );
  }
  const parsed: { subject?: string; durationSeconds?: number } = {};
  if (document.subject !== undefined) parsed.subject = validateSubject(document.subject);
  if (document.duration_seconds !== undefined) {
    parsed.durationSeconds = parseDuration(document.duration_seconds);
  }
  return parsed;
}
