/**
 * Builds the Coze `session_name` from the verified caller id and an optional end-user subject.
 *
 * Coze isolates conversation history per session name, so the mapping must be one-to-one. A caller
 * id never contains `:`. So the first `:` in `caller:subject` marks where the caller id ends, and a
 * name without `:` belongs to a caller acting for itself.
 *
 * @module
 */

import { TokenWorkerError } from "../errors";

/** Caller ids: lowercase ASCII letters, digits and inner hyphens, 1 to 63 characters. */
export const CALLER_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Subjects: 1 to 128 characters of letters, digits and `. _ ~ @ + = : -`. */
export const SUBJECT_PATTERN = /^[A-Za-z0-9._~@+=:-]{1,128}$/;

/** Throws `SUBJECT_INVALID` unless `subject` is a string matching {@link SUBJECT_PATTERN}. */
export function validateSubject(subject: unknown): string {
  if (typeof subject === "string" && SUBJECT_PATTERN.test(subject)) return subject;
  throw new TokenWorkerError(
    "SUBJECT_INVALID",
    "subject must be 1 to 128 characters of letters, digits and . _ ~ @ + = : - " +
      "(an end-user id). Hash or encode other ids before passing them.",
    { variable: "subject" },
  );
}

/** Returns `caller` alone, or `caller:subject` when a subject is given. */
export function buildSessionName(caller: string, subject?: string): string {
  return subject === undefined ? caller : `${caller}:${subject}`;
}
