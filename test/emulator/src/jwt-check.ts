/**
 * Checks a client assertion the way Coze documents it. The JWT must be RS256 signed with the key
 * registered for its `kid`, and `iss` must be the app id that key belongs to. `aud` must be the
 * region's API host. `iat` and `exp` are integers, with `exp` later and not past. The `jti` has
 * at least 32 characters and is used only once.
 *
 * @module
 */

import { compactVerify, decodeJwt, decodeProtectedHeader, importSPKI } from "jose";

import { type ClientState, clientNow, clientState, ownerOfKid, settings } from "./state";

/** Largest allowed gap between `iat` and the emulator's clock, in seconds, for clock skew. */
export const IAT_SKEW_SECONDS = 60;

/** A verified assertion. */
export interface VerifiedAssertion {
  readonly clientId: string;
  readonly state: ClientState;
  readonly kid: string;
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
}

/** An assertion Coze would reject, with Coze's error code and message. */
export class AssertionRejected extends Error {
  constructor(
    readonly errorCode: "invalid_client" | "invalid_request",
    message: string,
  ) {
    super(message);
  }
}

function reject(message: string): never {
  throw new AssertionRejected("invalid_client", `invalid jwt: ${message}`);
}

/** Returns the `iss` of a JWT without verifying it, to find whose faults apply. */
export function unverifiedIssuer(authorization: string | null): string | undefined {
  const jwt = /^Bearer (\S+)$/.exec(authorization ?? "")?.[1];
  if (!jwt) return undefined;
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
    reject("malformed header");
  }
  if (header.alg !== "RS256") reject(`alg ${String(header.alg)} is not RS256`);
  if (header.typ !== "JWT") reject("typ must be JWT");
  if (typeof header.kid !== "string") reject("kid is missing");
  return { header, kid: header.kid };
}

function checkClaims(claims: Record<string, unknown>, clientId: string, state: ClientState): void {
  const now = clientNow(state);
  if (claims.iss !== clientId) reject("iss does not match the app of this kid");
  if (claims.aud !== settings.audience) reject(`aud must be ${settings.audience}`);
  const { iat, exp, jti } = claims;
  if (!Number.isInteger(iat) || !Number.isInteger(exp)) reject("iat and exp must be integers");
  if ((exp as number) <= (iat as number)) reject("exp must be later than iat");
  if ((exp as number) <= now) reject("jwt expired");
  if ((iat as number) > now + IAT_SKEW_SECONDS) reject("iat is in the future");
  if (typeof jti !== "string" || jti.length < 32) reject("jti must be at least 32 characters");
  if (state.usedJtis.has(jti)) reject("jti has been used");
  if (claims.session_name !== undefined && typeof claims.session_name !== "string") {
    reject("session_name must be a string");
  }
  const context = claims.session_context;
  if (context !== undefined && (typeof context !== "object" || context === null)) {
    reject("session_context must be an object");
  }
}

/** Verifies the assertion in `authorization` and marks its `jti` used. */
export async function verifyAssertion(authorization: string | null): Promise<VerifiedAssertion> {
  const jwt = /^Bearer (\S+)$/.exec(authorization ?? "")?.[1];
  if (!jwt) reject("Authorization must be Bearer <jwt>");

  const { header, kid } = checkHeader(jwt);
  const clientId = ownerOfKid(kid);
  if (!clientId) reject("kid not been registred");
  const state = clientState(clientId);

  let claims: Record<string, unknown>;
  try {
    const key = await importSPKI(state.keys.get(kid)!, "RS256");
    const { payload } = await compactVerify(jwt, key, { algorithms: ["RS256"] });
    claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
  } catch {
    reject("signature verification failed");
  }

  checkClaims(claims, clientId, state);
  state.usedJtis.set(claims.jti as string, claims.exp as number);
  return { clientId, state, kid, header, claims };
}
