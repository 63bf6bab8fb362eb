/**
 * A local emulator of Coze's token endpoint and of one Coze API call, for tests, `npm run dev` and
 * `npm run bench`. It checks every JWT as Coze documents and responds in Coze's shapes.
 *
 * Settings: `EMULATOR_CLIENTS` (JSON list of `{ client_id, kid, public_key }`, public key as SPKI
 * PEM), `EMULATOR_AUDIENCE` (expected `aud`, default `api.coze.cn`) and `EMULATOR_LATENCY_MS`
 * (delay added to every token response, default 0).
 *
 * @module
 */

import { handleAdmin } from "./admin";
import { handleCurrentUser } from "./coze-api";
import { jsonResponse } from "./responses";
import { registerKey, settings } from "./state";
import { TOKEN_PATH_PATTERN, handleTokenRequest } from "./token-endpoint";

/** The emulator's settings, as bindings. */
export interface EmulatorEnv {
  readonly EMULATOR_CLIENTS?: string;
  readonly EMULATOR_AUDIENCE?: string;
  readonly EMULATOR_LATENCY_MS?: string;
}

interface ClientEntry {
  readonly client_id: string;
  readonly kid: string;
  readonly public_key: string;
}

function configure(env: EmulatorEnv): void {
  if (settings.configured) return;
  settings.configured = true;
  settings.audience = env.EMULATOR_AUDIENCE || "api.coze.cn";
  settings.latencyMs = Number(env.EMULATOR_LATENCY_MS ?? 0) || 0;
  const clients = JSON.parse(env.EMULATOR_CLIENTS || "[]") as ClientEntry[];
  for (const client of clients) registerKey(client.client_id, client.kid, client.public_key);
}

export default {
  async fetch(request: Request, env: EmulatorEnv): Promise<Response> {
    configure(env);
    const url = new URL(request.url);
    if (url.pathname.startsWith("/__emulator/")) return handleAdmin(request, url);
    if (request.method === "POST" && TOKEN_PATH_PATTERN.test(url.pathname)) {
      return handleTokenRequest(request, url.pathname);
    }
    if (request.method === "GET" && url.pathname === "/v1/users/me")
      return handleCurrentUser(request);
    return jsonResponse({ code: 4000, msg: `no such API: ${request.method} ${url.pathname}` }, 404);
  },
} satisfies ExportedHandler<EmulatorEnv>;
