/**
 * The audit trail: one record per token issued or refused, for every channel.
 *
 * @module
 */

import type { TokenWorkerError } from "../errors";
import type { Logger } from "../log";

/** The facts of one request that the audit trail keeps. */
export interface AuditFacts {
  readonly channel: "rpc" | "http";
  readonly requestId: string;
  /** The verified caller id; absent when the caller could not be identified. */
  readonly caller?: string;
  readonly subject?: string;
  readonly sessionName?: string;
  readonly durationSeconds?: number;
}

// Errors that already have a `token_refused` record, so the entrypoint does not write a second.
const refusedErrors = new WeakSet<object>();

/** Tests whether {@link auditRefused} has recorded `error`. */
export function isAudited(error: unknown): boolean {
  return typeof error === "object" && error !== null && refusedErrors.has(error);
}

/** Writes a `token_issued` record. */
export function auditIssued(
  logger: Logger,
  facts: AuditFacts,
  result: { cached: boolean; expiresAt: number; cozeLogId?: string },
): void {
  logger({
    event: "token_issued",
    outcome: "issued",
    ...facts,
    cache: result.cached ? "hit" : "miss",
    expiresAt: result.expiresAt,
    cozeLogId: result.cozeLogId,
  });
}

/** Writes a `token_refused` record with the error code and, when Coze responded, its log id. */
export function auditRefused(logger: Logger, facts: AuditFacts, error: TokenWorkerError): void {
  refusedErrors.add(error);
  logger({
    event: "token_refused",
    outcome: "error",
    ...facts,
    code: error.code,
    cozeLogId: error.cozeLogId,
  });
}
