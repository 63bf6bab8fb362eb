/**
 * Hides end-user subjects in logs when the operator sets `AUDIT_HASH_SUBJECTS`. A hashed subject
 * still lets the operator correlate one user's requests, without storing the id itself.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

import type { Logger, LogRecord } from "../log";

/** Returns `sha256:` and the first 16 bytes, hex, of SHA-256 over `caller:subject`. */
export function hashSubject(caller: string, subject: string): string {
  return `sha256:${bytesToHex(sha256(utf8ToBytes(`${caller}:${subject}`))).slice(0, 32)}`;
}

/** Replaces the subject part of a session name `caller:subject` with its hash. */
export function hashSessionName(sessionName: string): string {
  const separator = sessionName.indexOf(":");
  if (separator < 0) return sessionName;
  const caller = sessionName.slice(0, separator);
  return `${caller}:${hashSubject(caller, sessionName.slice(separator + 1))}`;
}

/**
 * Wraps a logger so that every `sessionName` and `subject` field is hashed before it is written.
 * Without `hashSubjects`, returns `logger` unchanged.
 */
export function subjectHidingLogger(logger: Logger, hashSubjects: boolean): Logger {
  if (!hashSubjects) return logger;
  return (record: LogRecord) => {
    const { sessionName, subject, caller } = record;
    logger({
      ...record,
      sessionName: typeof sessionName === "string" ? hashSessionName(sessionName) : sessionName,
      subject:
        typeof subject === "string" && typeof caller === "string"
          ? hashSubject(caller, subject)
          : subject,
    });
  };
}
