/**
 * `GET /v1/users/me`, one ordinary Coze API call. It accepts only unexpired tokens this emulator
 * issued and otherwise sends Coze's `{code: 4100}` error.
 *
 * @module
 */

import { apiError, jsonResponse } from "./responses";
import { accessTokens, clientNow, clientState } from "./state";

/** Serves the current user for a valid access token. */
export function handleCurrentUser(request: Request): Response {
  const token = /^Bearer (\S+)$/.exec(request.headers.get("Authorization") ?? "")?.[1];
  const entry = token === undefined ? undefined : accessTokens.get(token);
  if (!entry) return apiError(4100, "authentication is invalid");
  if (entry.record.expires_in <= clientNow(clientState(entry.clientId))) {
    return apiError(4100, "authentication is invalid: token expired");
  }

  const sessionName = entry.record.session_name ?? "";
  const response = jsonResponse({
    code: 0,
    msg: "",
    data: {
      user_id: `emulated-${entry.clientId}`,
      user_name: "emulator",
      nick_name: "Coze emulator",
      avatar_url: "",
    },
  });
  // An emulator extension, so demos and tests can see which session a token belongs to.
  response.headers.set("X-Emulator-Session-Name", sessionName);
  return response;
}
