/**
 * Claims a verified request's nonce in the caller's replay ledger, with a timeout. Any failure of
 * the ledger fails the request: a nonce that could not be recorded is never accepted.
 *
 * @module
 */

import { TokenWorkerError } from "../errors";
import type { NonceLedger } from "../ledger/nonce-ledger";
import { CLOCK_SKEW_SECONDS } from "./verify-request";

/** Time allowed for one call to the ledger, in milliseconds. */
export const LEDGER_TIMEOUT_MS = 3_000;

/**
 * Seconds a nonce is kept beyond the clock window, in case the ledger's clock runs behind the
 * clock of the Worker that checked the timestamp.
 */
export const LEDGER_MARGIN_SECONDS = 60;

/** The outcome of a claim: the request may proceed, or it is a replay. */
export type NonceClaim = "claimed" | "replayed";

function unavailable(message: string): TokenWorkerError {
  return new TokenWorkerError("LEDGER_UNAVAILABLE", message, { retryAfterSeconds: 1 });
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(unavailable(`The replay ledger did not answer within ${timeoutMs} ms.`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/**
 * Claims `nonce` for `caller` until the request's timestamp leaves the clock window. Throws
 * `LEDGER_UNAVAILABLE` when the ledger fails or times out, after passing the ledger's own error
 * to `onLedgerError`, and `NONCE_LIMIT` when the caller has too many unexpired nonces.
 */
export async function claimNonce(
  ledger: DurableObjectNamespace<NonceLedger>,
  request: { readonly caller: string; readonly nonce: string; readonly timestamp: number },
  onLedgerError: (error: unknown) => void,
): Promise<NonceClaim> {
  const { caller, nonce, timestamp } = request;
  const expiresAt = timestamp + CLOCK_SKEW_SECONDS + LEDGER_MARGIN_SECONDS;
  let outcome: string;
  try {
    const stub = ledger.get(ledger.idFromName(caller));
    outcome = await withTimeout(stub.claim(nonce, expiresAt), LEDGER_TIMEOUT_MS);
  } catch (error) {
    onLedgerError(error);
    if (error instanceof TokenWorkerError) throw error;
    throw unavailable("The replay ledger failed; try again with a new nonce.");
  }
  if (outcome === "claimed" || outcome === "replayed") return outcome;
  if (outcome === "full") {
    throw new TokenWorkerError(
      "NONCE_LIMIT",
      "Too many signed requests from this caller in the last few minutes; slow down and reuse " +
        "tokens until they near expiry.",
      { retryAfterSeconds: 60 },
    );
  }
  throw unavailable("The replay ledger returned an unexpected result.");
}
