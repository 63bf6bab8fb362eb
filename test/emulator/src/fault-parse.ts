/**
 * Validation of the faults that `POST /__emulator/faults` queues, so a malformed fault fails when
 * it is queued rather than in the middle of a later token request.
 *
 * @module
 */

import type { Fault } from "./faults";
import { isPlainObject } from "./http";

/** A fault that does not match any {@link Fault} kind; the message names the field. */
export class FaultError extends Error {
  override readonly name = "FaultError";
}

/** Statuses whose responses must have no body, so the Fetch API rejects a body with them. */
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new FaultError(message);
}

function isStatus(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 200 && (value as number) <= 599;
}

function optional(value: unknown, test: (value: unknown) => boolean): boolean {
  return value === undefined || test(value);
}

function isStringRecord(value: unknown): boolean {
  return isPlainObject(value) && Object.values(value).every((item) => typeof item === "string");
}

function checkStatusFault(fault: Record<string, unknown>): void {
  check(isStatus(fault.status), "status must be an integer from 200 to 599");
  check(
    optional(fault.body, (body) => typeof body === "string"),
    "body must be a string",
  );
  check(optional(fault.headers, isStringRecord), "headers must be an object of strings");
  check(
    !NULL_BODY_STATUSES.has(fault.status) || !fault.body,
    `status ${fault.status} cannot have a body`,
  );
}

function checkCozeErrorFault(fault: Record<string, unknown>): void {
  check(
    typeof fault.error_code === "string" && fault.error_code !== "",
    "error_code must be a non-empty string",
  );
  check(optional(fault.status, isStatus), "status must be an integer from 200 to 599");
  check(
    optional(fault.retryAfter, (value) => typeof value === "string"),
    "retryAfter must be a string",
  );
  check(
    optional(fault.error_message, (value) => typeof value === "string"),
    "error_message must be a string",
  );
}

function checkFields(fault: Record<string, unknown>): void {
  switch (fault.kind) {
    case "status":
      return checkStatusFault(fault);
    case "empty":
      check(optional(fault.status, isStatus), "status must be an integer from 200 to 599");
      return;
    case "delay":
      check(
        Number.isInteger(fault.ms) && (fault.ms as number) >= 0,
        "ms must be a non-negative integer",
      );
      return;
    case "coze_error":
      return checkCozeErrorFault(fault);
    case "expires_in":
      check(Number.isFinite(fault.value), "value must be a number");
      return;
    case "html":
    case "truncated":
    case "abort":
      return;
    default:
      throw new FaultError(`unknown fault kind ${JSON.stringify(fault.kind)}`);
  }
}

/** Checks that `value` is a {@link Fault}; throws a {@link FaultError} naming what is wrong. */
export function parseFault(value: unknown): Fault {
  check(isPlainObject(value), "a fault must be an object with a kind");
  checkFields(value);
  return value as unknown as Fault;
}
