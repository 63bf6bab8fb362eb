/**
 * The emulator's settings, read from its bindings once per isolate.
 *
 * @module
 */

import { ClientKeyError, parseClientKeyEntry, registerClientKey } from "./client-keys";
import { logEvent } from "./log";
import { settings } from "./state";

/** The emulator's bindings. All are optional strings. */
export interface EmulatorEnv {
  /** JSON list of `{ client_id, kid, public_key }`, the public key as SPKI PEM. Default `[]`. */
  readonly EMULATOR_CLIENTS?: string;
  /** The `aud` every JWT must carry. Default `api.coze.cn`. */
  readonly EMULATOR_AUDIENCE?: string;
  /** Delay added before every token response, in milliseconds. Default 0. */
  readonly EMULATOR_LATENCY_MS?: string;
}

/** A binding with an invalid value. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const DEFAULT_AUDIENCE = "api.coze.cn";

let configured: Promise<void> | undefined;

function parseLatency(text: string | undefined): number {
  if (text === undefined || text.trim() === "") return 0;
  if (!/^\d+$/.test(text.trim())) {
    throw new ConfigError(
      `EMULATOR_LATENCY_MS must be a whole number of milliseconds, got "${text}"`,
    );
  }
  return Number(text.trim());
}

function parseClientList(text: string | undefined): unknown[] {
  if (text === undefined || text.trim() === "") return [];
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    throw new ConfigError("EMULATOR_CLIENTS is not valid JSON");
  }
  if (!Array.isArray(list)) {
    throw new ConfigError("EMULATOR_CLIENTS must be a JSON list of { client_id, kid, public_key }");
  }
  return list;
}

async function configure(env: EmulatorEnv): Promise<void> {
  settings.audience = env.EMULATOR_AUDIENCE?.trim() || DEFAULT_AUDIENCE;
  settings.latencyMs = parseLatency(env.EMULATOR_LATENCY_MS);
  const entries = parseClientList(env.EMULATOR_CLIENTS);
  for (const [index, value] of entries.entries()) {
    try {
      await registerClientKey(parseClientKeyEntry(value));
    } catch (error) {
      if (!(error instanceof ClientKeyError)) throw error;
      throw new ConfigError(`EMULATOR_CLIENTS[${index}]: ${error.message}`);
    }
  }
}

/**
 * Applies the bindings on the first request of the isolate; later calls return the same promise.
 * Rejects with a {@link ConfigError} when a binding is invalid, on every call, and logs the error
 * once. Later changes through the admin API, such as the latency, are kept.
 */
export function ensureConfigured(env: EmulatorEnv): Promise<void> {
  if (configured === undefined) {
    configured = configure(env);
    configured.catch((error: unknown) => {
      logEvent("configuration_invalid", { error: String(error) });
    });
  }
  return configured;
}
