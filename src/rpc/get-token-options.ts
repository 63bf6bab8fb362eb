/**
 * Validates the argument of the `getToken` RPC method. It comes from another Worker's code, so
 * every field is checked and unknown fields are rejected rather than ignored.
 *
 * @module
 */

import { MAX_DURATION_SECONDS, MIN_DURATION_SECONDS } from "../config/token-config";
import { TokenWorkerError } from "../errors";
import { validateSubject } from "../tokens/session-name";

/** The argument of `getToken`. Every field is optional. */
export interface GetTokenOptions {
  /** End-user id; the session name becomes `caller:subject`. */
  subject?: string;
  /** Token lifetime in seconds, from 60 to 86399; defaults to `TOKEN_DURATION`. */
  durationSeconds?: number;
  /** Minimum remaining lifetime in seconds of a cached token; a shorter one is replaced. */
  minRemainingSeconds?: number;
  /** Mints a new token even when a cached one is still valid. */
  forceRefresh?: boolean;
}

const KNOWN_FIELDS = new Set(["subject", "durationSeconds", "minRemainingSeconds", "forceRefresh"]);

function argumentError(field: string, rule: string): TokenWorkerError {
  return new TokenWorkerError("ARGUMENT_INVALID", `getToken: ${field} ${rule}`, {
    variable: field,
  });
}

/** Tests for `{...}` literals, so a Map, Date or class instance cannot pass as `{}`. */
function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isWholeNumber(value: unknown, min: number, max: number): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
}

/** Checks `options` and returns it typed; throws `ARGUMENT_INVALID`, `SUBJECT_INVALID` or `DURATION_INVALID`. */
export function parseGetTokenOptions(options: unknown): GetTokenOptions {
  if (options === undefined || options === null) return {};
  if (typeof options !== "object" || !isPlainObject(options)) {
    throw argumentError("options", 'must be an object such as { subject: "u1" } or omitted.');
  }
  const input = options as Record<string, unknown>;
  for (const field of Object.keys(input)) {
    if (!KNOWN_FIELDS.has(field)) {
      throw argumentError(
        JSON.stringify(field.slice(0, 40)),
        `is not a known option; use ${[...KNOWN_FIELDS].join(", ")}.`,
      );
    }
  }

  const parsed: GetTokenOptions = {};
  if (input.subject !== undefined) parsed.subject = validateSubject(input.subject);
  if (input.durationSeconds !== undefined) {
    if (!isWholeNumber(input.durationSeconds, MIN_DURATION_SECONDS, MAX_DURATION_SECONDS)) {
      throw new TokenWorkerError(
        "DURATION_INVALID",
        `getToken: durationSeconds must be a whole number from ${MIN_DURATION_SECONDS} to ` +
          `${MAX_DURATION_SECONDS}.`,
        { variable: "durationSeconds" },
      );
    }
    parsed.durationSeconds = input.durationSeconds;
  }
  if (input.minRemainingSeconds !== undefined) {
    if (!isWholeNumber(input.minRemainingSeconds, 0, MAX_DURATION_SECONDS)) {
      throw argumentError(
        "minRemainingSeconds",
        `must be a whole number from 0 to ${MAX_DURATION_SECONDS}.`,
      );
    }
    parsed.minRemainingSeconds = input.minRemainingSeconds;
  }
  if (input.forceRefresh !== undefined) {
    if (typeof input.forceRefresh !== "boolean")
      throw argumentError("forceRefresh", "must be true or false.");
    parsed.forceRefresh = input.forceRefresh;
  }
  return parsed;
}
