/**
 * Signs the JWT that Coze's OAuth JWT grant exchanges for an access token.
 *
 * @module
 */

import { SignJWT } from "jose";

/** Lifetime of the signed JWT in seconds. The JWT is used once, right away. */
export const ASSERTION_LIFETIME_SECONDS = 3600;
/** Random bytes in each `jti`. Coze recommends more than 32 bytes of randomness per JWT. */
export const JTI_BYTES = 32;

/** The claims and key id of one JWT. */
export interface AssertionInput {
  readonly clientId: string;
  readonly kid: string;
  readonly audience: string;
  readonly sessionName: string;
  /** Unix time in seconds used as `iat`. */
  readonly nowSeconds: number;
}

/** Returns a fresh `jti`: {@link JTI_BYTES} random bytes, base64url without padding. */
export function newJti(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(JTI_BYTES));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Signs an RS256 JWT with header `alg`, `typ` and `kid`, and claims `iss`, `aud`, `iat`, `exp`,
 * `jti` and `session_name`. Every call gets a new `jti`, because Coze accepts each JWT once.
 */
export function signAssertion(key: CryptoKey, input: AssertionInput): Promise<string> {
  return new SignJWT({ session_name: input.sessionName })
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: input.kid })
    .setIssuer(input.clientId)
    .setAudience(input.audience)
    .setIssuedAt(input.nowSeconds)
    .setExpirationTime(input.nowSeconds + ASSERTION_LIFETIME_SECONDS)
    .setJti(newJti())
    .sign(key);
}
