/**
 * The error type for token requests that Coze would reject.
 *
 * @module
 */

/** OAuth error codes of Coze's token endpoint that the emulator's own checks produce. */
export type RejectionCode = "invalid_request" | "invalid_client" | "unsupported_grant_type";

/** A token request that Coze would reject, with the OAuth error code and message to send. */
export class TokenRequestRejected extends Error {
  override readonly name = "TokenRequestRejected";

  constructor(
    readonly errorCode: RejectionCode,
    message: string,
  ) {
    super(message);
  }
}
