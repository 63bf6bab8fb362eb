/**
 * Reads the public route's settings: `PUBLIC_ROUTE`, `PUBLIC_HOST`, `CALLER_KEYS` and the
 * `NONCE_LEDGER` binding. The route is on only when `PUBLIC_ROUTE` is "on" and `CALLER_KEYS`
 * names at least one caller; otherwise every HTTP request gets 404.
 *
 * @module
 */

import type { Env } from "../env";
import { TokenWorkerError } from "../errors";
import type { NonceLedger } from "../ledger/nonce-ledger";
import { type Logger, consoleLogger } from "../log";
import { type CallerKeys, parseCallerKeys } from "../signed/caller-keys";

/** The public route's settings: off, or on with everything it needs. */
export type PublicRouteConfig =
  | { readonly enabled: false }
  | {
      readonly enabled: true;
      /** Host callers sign, lowercase, with a port when not the default. */
      readonly host: string;
      readonly keys: CallerKeys;
      readonly ledger: DurableObjectNamespace<NonceLedger>;
    };

const HOST_PATTERN = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?(?::[0-9]{1,5})?$/;

function parseHost(raw: string | undefined): string {
  const host = raw?.trim().toLowerCase() ?? "";
  if (host === "") {
    throw new TokenWorkerError(
      "CONFIG_MISSING",
      "PUBLIC_HOST is not set. Set it to the host callers send requests to, such as " +
        "tokens.example.com, in [vars]; callers sign this host.",
      { variable: "PUBLIC_HOST" },
    );
  }
  if (!HOST_PATTERN.test(host)) {
    throw new TokenWorkerError(
      "CONFIG_INVALID",
      "PUBLIC_HOST must be a bare host name with an optional port, such as tokens.example.com " +
        "or 127.0.0.1:8787, without https:// or a path.",
      { variable: "PUBLIC_HOST" },
    );
  }
  return host;
}

function requireLedger(env: Env): DurableObjectNamespace<NonceLedger> {
  if (env.NONCE_LEDGER !== undefined) return env.NONCE_LEDGER;
  throw new TokenWorkerError(
    "CONFIG_MISSING",
    "The NONCE_LEDGER Durable Object binding is missing. Keep the [[durable_objects.bindings]] " +
      "and [[migrations]] entries of the shipped wrangler.toml.",
    { variable: "NONCE_LEDGER" },
  );
}

function parseRouteConfig(env: Env, logger: Logger): PublicRouteConfig {
  const switchValue = env.PUBLIC_ROUTE?.trim() ?? "";
  if (switchValue !== "on") {
    if (switchValue !== "" && switchValue !== "off") {
      logger({
        event: "public_route_off",
        outcome: "error",
        variable: "PUBLIC_ROUTE",
        message: 'PUBLIC_ROUTE is neither "on" nor "off", so the public route stays off.',
      });
    }
    return { enabled: false };
  }
  const keys = env.CALLER_KEYS?.trim() ? parseCallerKeys(env.CALLER_KEYS) : new Map();
  if (keys.size === 0) {
    logger({
      event: "public_route_off",
      outcome: "error",
      variable: "CALLER_KEYS",
      message: 'PUBLIC_ROUTE is "on" but CALLER_KEYS names no caller, so the route stays off.',
    });
    return { enabled: false };
  }
  return { enabled: true, host: parseHost(env.PUBLIC_HOST), keys, ledger: requireLedger(env) };
}

// Keyed by the bindings object, which workerd reuses for every request in an isolate.
const configs = new WeakMap<Env, PublicRouteConfig | TokenWorkerError>();

/**
 * Returns the public route's settings for `env`, validating them once per isolate. Throws the
 * same `CONFIG_INVALID` or `CONFIG_MISSING` error on every request while they are invalid; the
 * error names the variable and the rule, never a secret.
 */
export function getPublicRouteConfig(env: Env, logger: Logger = consoleLogger): PublicRouteConfig {
  let config = configs.get(env);
  if (config === undefined) {
    try {
      config = parseRouteConfig(env, logger);
    } catch (error) {
      if (!(error instanceof TokenWorkerError)) throw error;
      config = error;
      logger({
        event: "config_invalid",
        outcome: "error",
        code: error.code,
        variable: error.variable,
        message: error.message,
      });
    }
    configs.set(env, config);
  }
  if (config instanceof TokenWorkerError) throw config;
  return config;
}
