/**
 * Verification of the client assertion, the JWT in the token request's `Authorization` header,
 * as Coze documents it for the OAuth JWT grant. The JWT must carry an RS256 signature by the key
 * registered for its `kid`, and `iss` must be the app id that key belongs to. `aud` must be the
 * region's API host. `iat` and `exp` are integers, with `exp` later than `iat` and not past. The
 * `jti` has at least 32 characters and is accepted only once.
 *
 * @module
 */

import { compactVerify, decodeJwt, decodeProtectedHeader } from "jose";

import { isPlainObject } from "./http";
import { TokenRequestRejected } from "./rejection";
import { type ClientState, clientNow, clientState, findKidOwner, settings } from "./state";

/** How far `iat` may be ahead of the client's clock, in seconds, to allow for clock skew. */
export const IAT_MAX_FUTURE_SECONDS = 60;

/** Minimum length of `jti`, in characters. */
export const JTI_MIN_LENGTH = 32;

/** A verified assertion: its client, key id, and decoded header and claims. */
export interface VerifiedAssertion {
  readonly clientId: string;
  readonly state: ClientState;
  readonly kid: string;
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
}

/** Throws the `invalid_client` rejection Coze sends for a bad JWT, with a message in its form. */
function reject(reason: string): never {
  throw new TokenRequestRejected("invalid_client", `invalid jwt: ${reason}`);
}

/** Returns the `iss` claim of a JWT without verifying it, or `undefined` if there is none. */
export function unverifiedIssuer(jwt: string | undefined): string | undefined {
  if (jwt === undefined) return undefined;
  try {
    const iss = decodeJwt(jwt).iss;
    return typeof iss === "string" ? iss : undefined;
  } catch {
    return undefined;
  }
}

function checkHeader(jwt: string): { header: Record<string, unknown>; kid: string } {
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(jwt) as Record<string, unknown>;
  } catch {
    reject("the header is not base64url-encoded JSON");
  }
  if (header.alg !== "RS256") reject(`alg must be RS256, got ${String(header.alg)}`);
  if (header.typ !== "JWT") reject(`typ must be JWT, got ${String(header.typ)}`);
  if (typeof header.kid !== "string" || header.kid === "") reject("kid is missing");
  return { header, kid: header.kid };
}

async function verifySignature(jwt: string, key: CryptoKey): Promise<Record<string, unknown>> {
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jwt, key, { algorithms: ["RS256"] }));
  } catch {
    reject("signature verification failed");
  }
  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    reject("the payload is not JSON");
  }
  if (!isPlainObject(claims)) reject("the payload is not a JSON object");
  return claims;
}

function checkTimes(claims: Record<string, unknown>, now: number): void {
  const { iat, exp } = claims;
  if (!Number.isInteger(iat)) reject("iat must be an integer of Unix seconds");
  if (!Number.isInteger(exp)) reject("exp must be an integer of Unix seconds");
  if ((exp as number) <= (iat as number)) reject("exp must be later than iat");
  if ((exp as number) <= now) reject("jwt has expired");
  if ((iat as number) > now + IAT_MAX_FUTURE_SECONDS) {
    reject(`iat is more than ${IAT_MAX_FUTURE_SECONDS} s in the future`);
  }
}

function checkClaims(claims: Record<string, unknown>, clientId: string, state: ClientState): void {
  if (claims.iss !== clientId) reject("iss is not the app id that the kid belongs to");
  if (claims.aud !== settings.audience) reject(`aud must be ${settings.audience}`);
  checkTimes(claims, clientNow(state));
  const { jti, session_name: sessionName, session_context: sessionContext } = claims;
  if (typeof jti !== "string" || jti.length < JTI_MIN_LENGTH) {
    reject(`jti must be a string of at least ${JTI_MIN_LENGTH} characters`);
  }
  if (state.usedJtis.has(jti)) reject("jti has already been used");
  if (sessionName !== undefined && typeof sessionName !== "string") {
    reject("session_name must be a string");
  }
  if (sessionContext !== undefined && !isPlainObject(sessionContext)) {
    reject("session_context must be an object");
  }
}

/**
 * Verifies a client assertion and marks its `jti` used. `claimedIssuer` is the unverified `iss`,
 * which picks the client when two clients registered the same kid. Throws a
 * {@link TokenRequestRejected} for every check that fails.
 */
export async function verifyAssertion(
  jwt: string | undefined,
  claimedIssuer: string | undefined,
): Promise<VerifiedAssertion> {
  if (jwt === undefined) reject("the Authorization header must be Bearer <jwt>");

  const { header, kid } = checkHeader(jwt);
  const clientId = findKidOwner(kid, claimedIssuer);
  // Coze's own message for an unknown kid, spelling included.
  if (clientId === undefined) reject("kid not been registred");
  const state = clientState(clientId);
  const key = state.keys.get(kid);
  if (key === undefined) reject("kid not been registred");

  const claims = await verifySignature(jwt, key);
  checkClaims(claims, clientId, state);
  state.usedJtis.add(claims.jti as string);
  return { clientId, state, kid, header, claims };
}
