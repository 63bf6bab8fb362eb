/**
 * The per-isolate state of the token Worker: validated configuration, the imported key and the
 * token service. Built once per isolate and shared by every request, RPC or HTTP.
 *
 * @module
 */

import { importSigningKey } from "./config/private-key";
import { type TokenConfig, parseTokenConfig } from "./config/token-config";
import { DEFAULT_RETRY_POLICY } from "./coze/retry";
import type { Env } from "./env";
import { TokenWorkerError, toTokenWorkerError } from "./errors";
import { subjectHidingLogger } from "./audit/subject-privacy";
import { type Logger, consoleLogger } from "./log";
import { type CallerPolicy, parseCallerPolicy } from "./policy/caller-policy";
import { checkRateLimiterBindings } from "./policy/rate-limit";
import { DEFAULT_MAX_CACHED_TOKENS } from "./tokens/token-cache";
import { TokenService } from "./tokens/token-service";

/** Time allowed for one upstream exchange, in milliseconds. */
export const UPSTREAM_TIMEOUT_MS = 10_000;

/** The state shared by every request in one isolate. */
export interface Runtime {
  readonly config: TokenConfig;
  readonly tokens: TokenService;
  readonly policy: CallerPolicy;
  /** The Worker's bindings, where rate limiters are looked up by name. */
  readonly bindings: Readonly<Record<string, unknown>>;
  /** Writes log and audit records, hashing subjects when `AUDIT_HASH_SUBJECTS` is "true". */
  readonly logger: Logger;
  /** Whether a token served from the cache gets a `token_issued` record (`AUDIT_CACHE_HITS`). */
  readonly auditCacheHits: boolean;
}

// Keyed by the bindings object: workerd hands every request in an isolate the same `env`, and a
// test that builds its own `env` gets its own runtime.
const runtimes = new WeakMap<Env, Promise<Runtime>>();

async function buildRuntime(env: Env): Promise<Runtime> {
  const config = parseTokenConfig(env);
  const policy = parseCallerPolicy(env.CALLER_POLICY);
  const bindings = env as Readonly<Record<string, unknown>>;
  checkRateLimiterBindings(policy, bindings);
  const hashSubjects = parseBooleanVariable("AUDIT_HASH_SUBJECTS", env.AUDIT_HASH_SUBJECTS, false);
  const auditCacheHits = parseBooleanVariable("AUDIT_CACHE_HITS", env.AUDIT_CACHE_HITS, true);
  const logger = subjectHidingLogger(consoleLogger, hashSubjects);
  const signingKey = await importSigningKey(config.privateKeyPkcs8);
  const tokens = new TokenService({
    config,
    signingKey,
    fetch: (input, init) => fetch(input, init),
    clock: Date.now,
    logger,
    upstreamTimeoutMs: UPSTREAM_TIMEOUT_MS,
    // The token cache and its single-flight map live in this one TokenService per isolate.
    maxCachedTokens: DEFAULT_MAX_CACHED_TOKENS,
    retryPolicy: DEFAULT_RETRY_POLICY,
  });
  return { config, tokens, policy, bindings, logger, auditCacheHits };
}

function parseBooleanVariable(variable: string, raw: unknown, fallback: boolean): boolean {
  if (raw === undefined || raw === "") return fallback;
  if (raw === "true" || raw === true) return true;
  if (raw === "false" || raw === false) return false;
  throw new TokenWorkerError(
    "CONFIG_INVALID",
    `${variable} must be "true" or "false" (the default is "${fallback}").`,
    { variable },
  );
}

function logConfigError(thrown: unknown): void {
  const error = toTokenWorkerError(thrown);
  consoleLogger({
    event: "config_invalid",
    outcome: "error",
    code: error.code,
    variable: error.variable,
    message: error.message,
  });
}

/**
 * Returns the isolate's runtime for `env`, building it on first use. A configuration error is
 * kept too, so every request reports it without parsing the key again.
 */
export function getRuntime(env: Env): Promise<Runtime> {
  let runtime = runtimes.get(env);
  if (!runtime) {
    runtime = buildRuntime(env);
    runtime.catch((error: unknown) => logConfigError(error));
    runtimes.set(env, runtime);
  }
  return runtime;
}
