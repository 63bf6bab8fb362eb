/**
 * The test-only admin API under `/__emulator/`: register keys, read counters, queue faults,
 * shift a client's clock, set the added latency and reset a client.
 *
 * @module
 */

import { isFault } from "./faults";
import { jsonResponse } from "./responses";
import { clientState, registerKey, resetClient, settings } from "./state";

type Body = Record<string, unknown>;

function badRequest(message: string): Response {
  return jsonResponse({ error: message }, 400);
}

function requireString(body: Body, field: string): string | Response {
  const value = body[field];
  return typeof value === "string" && value !== "" ? value : badRequest(`${field} is required`);
}

async function readBody(request: Request): Promise<Body | Response> {
  try {
    const body = (await request.json()) as unknown;
    if (typeof body === "object" && body !== null && !Array.isArray(body)) return body as Body;
  } catch {
    // Falls through to the error below.
  }
  return badRequest("body must be a JSON object");
}

function stats(url: URL): Response {
  const clientId = url.searchParams.get("client_id");
  if (!clientId) return badRequest("client_id is required");
  const state = clientState(clientId);
  return jsonResponse({
    issued: state.issued.length,
    requests: state.requests,
    tokens: state.issued,
  });
}

async function post(action: string, body: Body): Promise<Response> {
  if (action === "latency") {
    if (!Number.isInteger(body.ms) || (body.ms as number) < 0) return badRequest("ms must be >= 0");
    settings.latencyMs = body.ms as number;
    return jsonResponse({ ok: true });
  }
  const clientId = requireString(body, "client_id");
  if (clientId instanceof Response) return clientId;

  switch (action) {
    case "clients": {
      const kid = requireString(body, "kid");
      const key = requireString(body, "public_key");
      if (kid instanceof Response) return kid;
      if (key instanceof Response) return key;
      registerKey(clientId, kid, key);
      return jsonResponse({ ok: true });
    }
    case "faults": {
      const faults = body.faults;
      if (!Array.isArray(faults) || !faults.every(isFault))
        return badRequest("faults must be a list of faults");
      clientState(clientId).faults.push(...faults);
      return jsonResponse({ ok: true, queued: clientState(clientId).faults.length });
    }
    case "clock": {
      if (!Number.isInteger(body.offset_seconds))
        return badRequest("offset_seconds must be an integer");
      clientState(clientId).clockOffsetSeconds = body.offset_seconds as number;
      return jsonResponse({ ok: true });
    }
    case "reset":
      resetClient(clientId);
      return jsonResponse({ ok: true });
    default:
      return jsonResponse({ error: "not found" }, 404);
  }
}

/** Serves one admin request. */
export async function handleAdmin(request: Request, url: URL): Promise<Response> {
  const action = url.pathname.slice("/__emulator/".length);
  if (request.method === "GET" && action === "stats") return stats(url);
  if (request.method !== "POST") return jsonResponse({ error: "not found" }, 404);
  const body = await readBody(request);
  if (body instanceof Response) return body;
  return post(action, body);
}
