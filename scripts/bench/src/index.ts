/**
 * The benchmark's driver Worker. `scripts/bench.mjs` calls its HTTP routes from Node. Each route
 * makes a bounded number of RPC calls to the token Worker (bound with `props.caller = "bench"`)
 * or of signatures, and returns the timings as JSON.
 *
 * - `GET /batch?kind=ping|cached|uncached&calls=N&log=1&binding=B`: N sequential calls, timed as
 *   one batch. With `log=1` the driver also writes one log line per call, as the token Worker does
 *   per token. `binding` selects the token Worker instance: `TOKENS` (the default, with the shipped
 *   settings) or `TOKENS_NO_HIT_AUDIT` (`AUDIT_CACHE_HITS = "false"`).
 * - `GET /call?kind=ping|cached|uncached&subject=S`: one call (subject optional), for
 *   per-request latency and throughput measured in Node.
 * - `GET /burst?requests=N&sessions=S&prefix=P`: N concurrent `getToken` calls over S subjects.
 * - `GET /sign?kind=jwt|raw&count=N`: N signatures, timed as one batch.
 *
 * @module
 */

import type { TokenWorker } from "../../../src/entrypoint";
import { type CallKind, callOnce, runBatch, runBurst } from "./rpc-calls";
import { type SignKind, runSignBatch } from "./signing";

/** The driver's bindings. */
export interface BenchEnv {
  readonly TOKENS: Service<TokenWorker>;
  /** The same token Worker code with `AUDIT_CACHE_HITS = "false"`. */
  readonly TOKENS_NO_HIT_AUDIT: Service<TokenWorker>;
}

/** Largest count any route accepts, so every request stays bounded. */
const MAX_COUNT = 100_000;
const CALL_KINDS: readonly CallKind[] = ["ping", "cached", "uncached"];
const SIGN_KINDS: readonly SignKind[] = ["jwt", "raw"];
const TOKEN_BINDINGS = ["TOKENS", "TOKENS_NO_HIT_AUDIT"] as const;

class BadRequest extends Error {}

function countParam(url: URL, name: string): number {
  const value = Number(url.searchParams.get(name));
  if (!Number.isInteger(value) || value < 1 || value > MAX_COUNT) {
    throw new BadRequest(`${name} must be a whole number from 1 to ${MAX_COUNT}.`);
  }
  return value;
}

function choiceParam<T extends string>(url: URL, name: string, choices: readonly T[]): T {
  const value = url.searchParams.get(name);
  if (!choices.includes(value as T)) {
    throw new BadRequest(`${name} must be one of ${choices.join(", ")}.`);
  }
  return value as T;
}

function tokensParam(url: URL, env: BenchEnv): Service<TokenWorker> {
  if (!url.searchParams.has("binding")) return env.TOKENS;
  return env[choiceParam(url, "binding", TOKEN_BINDINGS)];
}

async function route(url: URL, env: BenchEnv): Promise<unknown> {
  switch (url.pathname) {
    case "/batch": {
      const kind = choiceParam(url, "kind", CALL_KINDS);
      const logEach = url.searchParams.get("log") === "1";
      return runBatch(tokensParam(url, env), kind, countParam(url, "calls"), logEach);
    }
    case "/call": {
      const kind = choiceParam(url, "kind", CALL_KINDS);
      const subject = url.searchParams.get("subject") ?? undefined;
      return { cached: await callOnce(env.TOKENS, kind, subject) };
    }
    case "/burst": {
      const prefix = url.searchParams.get("prefix") ?? "";
      if (!/^[A-Za-z0-9-]{1,40}$/.test(prefix)) {
        throw new BadRequest("prefix must be 1 to 40 letters, digits or hyphens.");
      }
      return runBurst(env.TOKENS, countParam(url, "requests"), countParam(url, "sessions"), prefix);
    }
    case "/sign":
      return runSignBatch(choiceParam(url, "kind", SIGN_KINDS), countParam(url, "count"));
    default:
      throw new BadRequest("Unknown route; use /batch, /call, /burst or /sign.");
  }
}

export default {
  async fetch(request: Request, env: BenchEnv): Promise<Response> {
    try {
      return Response.json(await route(new URL(request.url), env));
    } catch (error) {
      const status = error instanceof BadRequest ? 400 : 500;
      const { code, message } = error as { code?: unknown; message?: unknown };
      return Response.json({ error: { code: code ?? null, message: String(message) } }, { status });
    }
  },
} satisfies ExportedHandler<BenchEnv>;
