/**
 * Authenticates a request to the public route: parses the `Authorization` header, reads the body
 * up to its cap, verifies the signature and claims the nonce, in that order. The nonce is claimed
 * only after the signature checks out, so only the key holder can use up a caller's nonces.
 *
 * @module
 */

import { TokenWorkerError } from "../errors";
import { parseAuthorization } from "../signed/authorization-header";
import { BODY_CONTENT_TYPE, MAX_BODY_BYTES, readBodyCapped } from "../signed/body";
import { claimNonce } from "../signed/claim-nonce";
import type { CallerKeys } from "../signed/caller-keys";
import type { NonceLedger } from "../ledger/nonce-ledger";
import { type VerifyFailure, verifySignedRequest } from "../signed/verify-request";

/** The reason a request failed authentication. It is logged, never sent to the caller. */
export type RejectionReason =
  | "authorization_missing"
  | "authorization_malformed"
  | "query_present"
  | VerifyFailure
  | "nonce_replayed";

/** Facts about an authentication failure, for the log. No secret, signature or signed string. */
export interface RejectionFacts {
  readonly reason: RejectionReason;
  readonly caller?: string;
  readonly keyId?: string;
  /** Request timestamp minus the Worker's clock, in seconds, for timestamp rejections. */
  readonly skewSeconds?: number;
}

/** Thrown for every authentication failure. The route responds to each one with the same 401. */
export class AuthenticationFailure extends Error {
  override readonly name = "AuthenticationFailure";
  readonly facts: RejectionFacts;

  constructor(facts: RejectionFacts) {
    super(`Authentication failed: ${facts.reason}.`);
    this.facts = facts;
  }
}

/** The route settings that authentication needs. */
export interface AuthenticationSettings {
  readonly host: string;
  readonly keys: CallerKeys;
  readonly ledger: DurableObjectNamespace<NonceLedger>;
}

/** A request whose signature and nonce checked out. */
export interface AuthenticatedRequest {
  readonly caller: string;
  readonly keyId: string;
  readonly body: Uint8Array;
}

/** Returns the error for a body over {@link MAX_BODY_BYTES}, announced or read. */
export function bodyTooLarge(): TokenWorkerError {
  return new TokenWorkerError(
    "BODY_TOO_LARGE",
    `The body is larger than ${MAX_BODY_BYTES} bytes; a token request body is a small JSON object.`,
  );
}

/**
 * Returns the verified caller and the body bytes. Throws {@link AuthenticationFailure},
 * `BODY_TOO_LARGE`, `NONCE_LIMIT` or `LEDGER_UNAVAILABLE`. `onLedgerError` receives the
 * ledger's own error before `LEDGER_UNAVAILABLE` is thrown.
 */
export async function authenticateRequest(
  request: Request,
  settings: AuthenticationSettings,
  onLedgerError: (error: unknown) => void,
): Promise<AuthenticatedRequest> {
  const header = request.headers.get("Authorization");
  const credential = parseAuthorization(header);
  if (credential === undefined) {
    const reason = header === null ? "authorization_missing" : "authorization_malformed";
    throw new AuthenticationFailure({ reason });
  }
  const ids = { caller: credential.caller, keyId: credential.keyId };

  const body = await readBodyCapped(request);
  if (body === undefined) throw bodyTooLarge();
  const url = new URL(request.url);
  // The URL parser keeps a "?" in href whenever the request had one, even with nothing after it.
  if (url.href.split("#")[0]!.includes("?")) {
    throw new AuthenticationFailure({ ...ids, reason: "query_present" });
  }

  const nowSeconds = Math.floor(Date.now() / 1000);
  const facts = {
    credential,
    host: settings.host,
    method: request.method,
    path: url.pathname,
    query: "",
    contentType: BODY_CONTENT_TYPE,
    body,
  };
  const verdict = verifySignedRequest(facts, settings.keys, nowSeconds);
  if (!verdict.ok) {
    const skew = Number(credential.timestamp) - nowSeconds;
    const skewSeconds = verdict.reason === "timestamp_out_of_window" ? skew : undefined;
    throw new AuthenticationFailure({ ...ids, reason: verdict.reason, skewSeconds });
  }

  const timestamp = Number(credential.timestamp);
  const claim = await claimNonce(
    settings.ledger,
    { caller: credential.caller, nonce: credential.nonce, timestamp },
    onLedgerError,
  );
  if (claim === "replayed") throw new AuthenticationFailure({ ...ids, reason: "nonce_replayed" });
  return { ...ids, body };
}
