/**
 * `GET /v1/users/me`, one ordinary Coze API call, so that demos and tests can use the tokens the
 * emulator issues.
 *
 * @module
 */

import { bearerCredential } from "./http";
import { logEvent } from "./log";
import { apiResponse } from "./responses";
import { clientNow, clientState, findIssuedToken } from "./state";

/** Coze's API code for an invalid or expired credential. */
const CODE_AUTHENTICATION_INVALID = 4100;

/**
 * The emulator's own response header with the `session_name` the token was issued for, empty when
 * the JWT had none. Coze does not send it. It lets demos and tests show session isolation.
 */
export const SESSION_NAME_HEADER = "X-Emulator-Session-Name";

function authenticationInvalid(reason: string, clientId?: string): Response {
  logEvent("api_request_rejected", { path: "/v1/users/me", client_id: clientId, reason });
  return apiResponse(CODE_AUTHENTICATION_INVALID, "authentication is invalid", undefined, 401);
}

/**
 * Returns the app's user for an unexpired access token that this emulator issued, by the token's
 * client clock. Any other credential gets HTTP 401 with code 4100.
 */
export function handleCurrentUser(request: Request): Response {
  const token = bearerCredential(request.headers.get("Authorization"));
  const issued = token === undefined ? undefined : findIssuedToken(token);
  if (issued === undefined) return authenticationInvalid("not a token this emulator issued");
  if (issued.record.expires_in <= clientNow(clientState(issued.clientId))) {
    return authenticationInvalid("token expired", issued.clientId);
  }

  const response = apiResponse(0, "", {
    user_id: `emulated-user-${issued.clientId}`,
    user_name: "emulator",
    nick_name: "Coze emulator",
    avatar_url: "",
  });
  response.headers.set(SESSION_NAME_HEADER, issued.record.session_name ?? "");
  return response;
}
