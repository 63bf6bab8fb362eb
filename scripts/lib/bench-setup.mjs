/**
 * Sets up the Workers the benchmark measures, on 127.0.0.1: the Coze emulator, and the driver
 * Worker with two instances of the token Worker in one `wrangler dev` process.
 *
 * The token Worker runs from `.bench/token-worker/` (git-ignored), so the benchmark never reads the
 * developer's own `.dev.vars`. That directory gets a copy of `src/`, the project's wrangler.toml as
 * JSON with the caller "bench" added to CALLER_POLICY and each rate limit raised, and a
 * `.dev.vars` with throwaway credentials for the emulator. Running a copy keeps the measured code
 * fixed: `wrangler dev` reloads a Worker whenever one of its source files changes.
 *
 * A second config in the same directory runs the same code under the service name
 * {@link NO_HIT_AUDIT_SERVICE} with `AUDIT_CACHE_HITS = "false"`, so one run measures the cached
 * path with and without the audit record of a cache hit.
 *
 * @module
 */

import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { createThrowawayDevVars } from "./dev-vars.mjs";
import { startEmulator } from "./emulator.mjs";
import { publicKeyFromPrivate } from "./keys.mjs";
import { LOOPBACK, findFreePort, waitForHttp } from "./net.mjs";
import { startWranglerDev } from "./wrangler-dev.mjs";

/** The driver Worker's config, relative to the repository root. */
export const DRIVER_CONFIG = "scripts/bench/wrangler.toml";
/** Caller id of the driver's service binding. */
export const BENCH_CALLER = "bench";
/**
 * Limit given to each rate limiter in the generated config. The benchmark makes tens of
 * thousands of calls as one caller; the limiter still runs on every call, as deployed.
 */
export const BENCH_RATE_LIMIT = 100_000_000;
/**
 * Service name of the token Worker instance that writes no audit record for cache hits. The
 * driver's wrangler.toml binds it as `TOKENS_NO_HIT_AUDIT`.
 */
export const NO_HIT_AUDIT_SERVICE = "coze-token-worker-no-hit-audit";

/** Returns the project's CALLER_POLICY with the caller "bench" allowed, subjects included. */
function policyWithBenchCaller(rawPolicy) {
  const policy = rawPolicy === undefined ? {} : JSON.parse(rawPolicy);
  policy.callers = { ...policy.callers, [BENCH_CALLER]: { subjects: true } };
  return JSON.stringify(policy);
}

/**
 * Writes `.bench/token-worker/` (a copy of `src/`, `wrangler.json`, `wrangler-no-hit-audit.json`
 * and `.dev.vars`) and returns both config paths (relative to `root`) and the credentials' app
 * id, key id and public key. Both instances read the same `.dev.vars`, so they use one client.
 */
export async function writeBenchTokenWorker(root, emulatorPort) {
  const { experimental_readRawConfig: readRawConfig } = await import("wrangler");
  const { rawConfig } = readRawConfig({ config: join(root, "wrangler.toml") });
  const dir = join(root, ".bench", "token-worker");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (!rawConfig.main?.startsWith("src/")) {
    throw new Error(
      `wrangler.toml's main must be under src/ for the benchmark; it is ${rawConfig.main}.`,
    );
  }
  cpSync(join(root, "src"), join(dir, "src"), { recursive: true });

  const config = {
    ...rawConfig,
    vars: {
      ...rawConfig.vars,
      CALLER_POLICY: policyWithBenchCaller(rawConfig.vars?.CALLER_POLICY),
    },
    ratelimits: (rawConfig.ratelimits ?? []).map((limiter) => ({
      ...limiter,
      simple: { ...limiter.simple, limit: BENCH_RATE_LIMIT },
    })),
  };
  const noHitAudit = {
    ...config,
    name: NO_HIT_AUDIT_SERVICE,
    vars: { ...config.vars, AUDIT_CACHE_HITS: "false" },
  };
  writeFileSync(join(dir, "wrangler.json"), `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(
    join(dir, "wrangler-no-hit-audit.json"),
    `${JSON.stringify(noHitAudit, null, 2)}\n`,
  );
  const vars = createThrowawayDevVars(join(dir, ".dev.vars"), emulatorPort);
  return {
    configPaths: [
      ".bench/token-worker/wrangler.json",
      ".bench/token-worker/wrangler-no-hit-audit.json",
    ],
    client: {
      clientId: vars.CLIENT_ID,
      kid: vars.KID,
      publicKeyPem: publicKeyFromPrivate(vars.PRIVATE_KEY, ".bench/token-worker/.dev.vars"),
    },
  };
}

/**
 * Starts the emulator (with `latencyMs` on every token response) and the driver with both token
 * Worker instances, each on a free port, and registers both processes with `processes`.
 *
 * @returns the driver's and the emulator's base URLs and the app id the emulator counts.
 */
export async function startBenchWorkers({ root, latencyMs, timeoutMs, processes, onLine }) {
  const emulatorPort = await findFreePort();
  const tokenWorker = await writeBenchTokenWorker(root, emulatorPort);
  const onExit = ({ label, code, signal }) => {
    onLine(`wrangler dev (${label}) exited early (${signal ?? `code ${code}`}).`);
  };

  const emulator = await startEmulator({
    root,
    port: emulatorPort,
    clients: [tokenWorker.client],
    audience: "api.coze.cn",
    latencyMs,
    timeoutMs,
    onLine,
  });
  processes.add("emulator", emulator.handle, onExit);

  const driverPort = await findFreePort();
  const handle = startWranglerDev({
    root,
    configs: [DRIVER_CONFIG, ...tokenWorker.configPaths],
    port: driverPort,
    onLine,
  });
  processes.add("workers", handle, onExit);
  const exitedEarly = new AbortController();
  void handle.exited.then(() =>
    exitedEarly.abort(
      new Error("wrangler dev (driver and token Workers) exited before it responded."),
    ),
  );
  const driverUrl = `http://${LOOPBACK}:${driverPort}`;
  await waitForHttp(`${driverUrl}/`, { timeoutMs, abortSignal: exitedEarly.signal });
  return { driverUrl, emulatorUrl: emulator.baseUrl, clientId: tokenWorker.client.clientId };
}
