/**
 * A local emulator of Coze's OAuth JWT token endpoint and of one Coze API call, for tests,
 * `npm run dev` and `npm run bench`. It checks every request as Coze documents and responds in
 * Coze's shapes. Its state lives in module memory, per client id, for the life of the isolate.
 * Bindings are described on {@link EmulatorEnv}; the admin routes in `admin.ts`.
 *
 * @module
 */

import { ADMIN_PREFIX, handleAdmin } from "./admin";
import { ConfigError, type EmulatorEnv, ensureConfigured } from "./config";
import { handleCurrentUser } from "./coze-api";
import { jsonResponse, notFound } from "./responses";
import { TOKEN_PATH_PATTERN, handleTokenRequest } from "./token-endpoint";

export type { EmulatorEnv };

function route(request: Request): Promise<Response> | Response {
  const url = new URL(request.url);
  if (url.pathname.startsWith(ADMIN_PREFIX)) return handleAdmin(request, url);
  if (request.method === "POST" && TOKEN_PATH_PATTERN.test(url.pathname)) {
    return handleTokenRequest(request, url.pathname);
  }
  if (request.method === "GET" && url.pathname === "/v1/users/me") {
    return handleCurrentUser(request);
  }
  return notFound(request, url.pathname);
}

export default {
  async fetch(request: Request, env: EmulatorEnv): Promise<Response> {
    try {
      await ensureConfigured(env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return jsonResponse({ error: `invalid emulator configuration: ${error.message}` }, 500);
    }
    return route(request);
  },
} satisfies ExportedHandler<EmulatorEnv>;
