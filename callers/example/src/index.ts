/**
 * An example caller Worker. It gets a token from the token Worker over its service binding and
 * uses it for one Coze API call, the current user, as a real caller would.
 *
 * `GET /token?subject=u1` returns the token's metadata and the Coze call's result. It shows
 * only a short prefix of the token: a caller should not hand tokens to browsers.
 *
 * @module
 */

import type { TokenWorker } from "../../../src/entrypoint";

/** The example caller's bindings. */
export interface CallerEnv {
  readonly COZE_TOKENS: Service<TokenWorker>;
  readonly COZE_API_BASE: string;
}

interface CozeUserResponse {
  readonly code: number;
  readonly msg?: string;
  readonly data?: Record<string, unknown>;
}

function errorResponse(error: unknown): Response {
  const { code, message } = error as { code?: unknown; message?: unknown };
  const status = code === "SUBJECT_INVALID" || code === "ARGUMENT_INVALID" ? 400 : 502;
  return Response.json(
    { error: { code: typeof code === "string" ? code : "INTERNAL", message: String(message) } },
    { status },
  );
}

async function fetchCozeUser(env: CallerEnv, accessToken: string) {
  const response = await fetch(new URL("/v1/users/me", env.COZE_API_BASE), {
    headers: { Authorization: `Bearer ${accessToken}` },
  });
  const body = (await response.json()) as CozeUserResponse;
  return {
    status: response.status,
    code: body.code,
    user: body.data,
    // Sent by the project's local Coze emulator only, to show which session the token is for.
    emulatorSessionName: response.headers.get("X-Emulator-Session-Name") ?? undefined,
  };
}

async function handleToken(url: URL, env: CallerEnv): Promise<Response> {
  const subject = url.searchParams.get("subject") ?? undefined;
  let token;
  try {
    token = await env.COZE_TOKENS.getToken(subject === undefined ? {} : { subject });
  } catch (error) {
    return errorResponse(error);
  }
  const coze = await fetchCozeUser(env, token.accessToken);
  return Response.json({
    sessionName: token.sessionName,
    tokenType: token.tokenType,
    expiresAt: token.expiresAt,
    cached: token.cached,
    accessTokenPrefix: `${token.accessToken.slice(0, 8)}…`,
    coze,
  });
}

export default {
  async fetch(request: Request, env: CallerEnv): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/token") return handleToken(url, env);
    return Response.json(
      { error: { code: "NOT_FOUND", message: "Try GET /token or GET /token?subject=u1" } },
      { status: 404 },
    );
  },
} satisfies ExportedHandler<CallerEnv>;
