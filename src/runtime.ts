/**
 * The per-isolate state of the token Worker: validated configuration, the imported key and the
 * token service. Built once per isolate and shared by every request, RPC or HTTP.
 *
 * @module
 */

import { importSigningKey } from "./config/private-key";
import { type TokenConfig, parseTokenConfig } from "./config/token-config";
import type { Env } from "./env";
import { consoleLogger } from "./log";
import { TokenService } from "./tokens/token-service";

/** Time allowed for one upstream exchange, in milliseconds. */
export const UPSTREAM_TIMEOUT_MS = 10_000;

/** The state shared by every request in one isolate. */
export interface Runtime {
  readonly config: TokenConfig;
  readonly tokens: TokenService;
}

// Keyed by the bindings object: workerd hands every request in an isolate the same `env`, and a
// test that builds its own `env` gets its own runtime.
const runtimes = new WeakMap<Env, Promise<Runtime>>();

async function buildRuntime(env: Env): Promise<Runtime> {
  const config = parseTokenConfig(env);
  const signingKey = await importSigningKey(config.privateKeyPkcs8);
  const tokens = new TokenService({
    config,
    signingKey,
    fetch: (input, init) => fetch(input, init),
    clock: Date.now,
    logger: consoleLogger,
    upstreamTimeoutMs: UPSTREAM_TIMEOUT_MS,
  });
  return { config, tokens };
}

/**
 * Returns the isolate's runtime for `env`, building it on first use. A configuration error is
 * kept too, so every request reports it without parsing the key again.
 */
export function getRuntime(env: Env): Promise<Runtime> {
  let runtime = runtimes.get(env);
  if (!runtime) {
    runtime = buildRuntime(env);
    runtimes.set(env, runtime);
  }
  return runtime;
}
