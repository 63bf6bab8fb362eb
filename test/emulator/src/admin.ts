/**
 * The test-only admin API under `/__emulator/`. It takes and returns JSON:
 * - `POST clients` `{client_id, kid, public_key}` registers a key at run time;
 * - `GET stats?client_id=X` returns `{issued, requests, tokens}`;
 * - `POST faults` `{client_id, faults}` appends faults to the client's queue;
 * - `POST clock` `{client_id, offset_seconds}` sets the client's clock offset from real time;
 * - `POST latency` `{ms}` sets the delay added before every token response;
 * - `POST reset` `{client_id}` clears the client's state except its keys.
 *
 * Any other method or path gets a 404.
 *
 * @module
 */

import { ClientKeyError, parseClientKeyEntry, registerClientKey } from "./client-keys";
import { FaultError, parseFault } from "./fault-parse";
import type { Fault } from "./faults";
import { readJsonObject } from "./http";
import { logEvent } from "./log";
import { jsonResponse, notFound } from "./responses";
import { clientState, resetClient, settings } from "./state";

/** The path prefix of every admin route. */
export const ADMIN_PREFIX = "/__emulator/";

type Body = Record<string, unknown>;

function badRequest(message: string): Response {
  logEvent("admin_request_rejected", { error: message });
  return jsonResponse({ error: message }, 400);
}

function stats(url: URL): Response {
  const clientId = url.searchParams.get("client_id");
  if (!clientId) return badRequest("the client_id query parameter is missing");
  const state = clientState(clientId);
  return jsonResponse({
    issued: state.issued.length,
    requests: state.requests,
    tokens: state.issued,
  });
}

async function registerClient(body: Body): Promise<Response> {
  try {
    await registerClientKey(parseClientKeyEntry(body));
  } catch (error) {
    if (error instanceof ClientKeyError) return badRequest(error.message);
    throw error;
  }
  return jsonResponse({ ok: true });
}

function queueFaults(clientId: string, body: Body): Response {
  if (!Array.isArray(body.faults)) return badRequest("faults must be a list of faults");

  // Parses every fault before queueing any, so a list with a bad fault changes nothing.
  const faults: Fault[] = [];
  for (const [index, value] of body.faults.entries()) {
    try {
      faults.push(parseFault(value));
    } catch (error) {
      if (!(error instanceof FaultError)) throw error;
      return badRequest(`invalid fault at index ${index}: ${error.message}`);
    }
  }
  const state = clientState(clientId);
  state.faults.push(...faults);
  return jsonResponse({ ok: true, queued: state.faults.length });
}

function setClock(clientId: string, body: Body): Response {
  if (!Number.isInteger(body.offset_seconds)) {
    return badRequest("offset_seconds must be an integer number of seconds");
  }
  clientState(clientId).clockOffsetSeconds = body.offset_seconds as number;
  return jsonResponse({ ok: true });
}

function setLatency(body: Body): Response {
  if (!Number.isInteger(body.ms) || (body.ms as number) < 0) {
    return badRequest("ms must be a non-negative integer number of milliseconds");
  }
  settings.latencyMs = body.ms as number;
  return jsonResponse({ ok: true });
}

function withClientId(body: Body, action: (clientId: string, body: Body) => Response): Response {
  const clientId = body.client_id;
  if (typeof clientId !== "string" || clientId === "") {
    return badRequest("client_id is missing or not a non-empty string");
  }
  return action(clientId, body);
}

function reset(clientId: string): Response {
  resetClient(clientId);
  return jsonResponse({ ok: true });
}

const POST_ROUTES = new Map<string, (body: Body) => Response | Promise<Response>>([
  ["clients", registerClient],
  ["latency", setLatency],
  ["faults", (body) => withClientId(body, queueFaults)],
  ["clock", (body) => withClientId(body, setClock)],
  ["reset", (body) => withClientId(body, reset)],
]);

/** Handles one request whose path starts with {@link ADMIN_PREFIX}. */
export async function handleAdmin(request: Request, url: URL): Promise<Response> {
  const action = url.pathname.slice(ADMIN_PREFIX.length);
  if (request.method === "GET" && action === "stats") return stats(url);
  const route = POST_ROUTES.get(action);
  if (request.method !== "POST" || route === undefined) return notFound(request, url.pathname);

  const body = await readJsonObject(request);
  if (body === undefined) return badRequest("the body must be a JSON object");
  return route(body);
}
