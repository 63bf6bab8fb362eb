#!/usr/bin/env node
/**
 * `npm run dev` (also `npm start`): runs the example caller and the token Worker locally, with
 * the project's Coze emulator as the token endpoint, so that a fresh clone responds to
 * `curl http://127.0.0.1:8787/token` after `npm ci` and this one command.
 *
 * 1. Without a `.dev.vars` at the repository root, it writes one with throwaway credentials: a
 *    new RSA-2048 key pair, a made-up app id and key id, and TOKEN_ENDPOINT on the emulator. An
 *    existing `.dev.vars` is used as it is and never overwritten.
 * 2. When TOKEN_ENDPOINT in `.dev.vars` is on loopback, it starts the emulator on that port
 *    (a `wrangler dev` process of its own) and registers the public key of PRIVATE_KEY with it.
 *    Otherwise the token Worker talks to the endpoint it names and no emulator runs.
 * 3. It runs the example caller and the token Worker in one `wrangler dev` process (one workerd),
 *    the caller served on 127.0.0.1 and bound to the token Worker with `props.caller`.
 * 4. Once both respond to HTTP, it prints what to curl. Ctrl-C stops everything it started.
 *
 * Everything listens on 127.0.0.1 only.
 *
 * Environment variables:
 *   DEV_PORT              Port of the example caller, the one to curl. Default 8787.
 *   DEV_EMULATOR_PORT     Port of the emulator written into a new `.dev.vars`. Default 8788.
 *                         Once `.dev.vars` exists, the port in its TOKEN_ENDPOINT decides; setting
 *                         this variable to a different port is an error.
 *   DEV_STARTUP_TIMEOUT_SECONDS  Time allowed for each `wrangler dev` to respond. Default 120.
 *
 * @module
 */

import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import { TOKEN_PATH, createThrowawayDevVars, readDevVars } from "./lib/dev-vars.mjs";
import { startEmulator } from "./lib/emulator.mjs";
import { publicKeyFromPrivate } from "./lib/keys.mjs";
import {
  LOOPBACK,
  integerFromEnv,
  isLoopbackUrl,
  isPortFree,
  portFromEnv,
  waitForHttp,
} from "./lib/net.mjs";
import { ProcessSet } from "./lib/process-set.mjs";
import { startWranglerDev } from "./lib/wrangler-dev.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DEV_VARS_PATH = join(ROOT, ".dev.vars");
const CALLER_CONFIG = "callers/example/wrangler.toml";
const TOKEN_WORKER_CONFIG = "wrangler.toml";
/** Audience the token Worker uses when AUDIENCE is unset and the endpoint is not Coze's. */
const DEFAULT_AUDIENCE = "api.coze.cn";

const processes = new ProcessSet();
const say = (text) => console.log(`[dev] ${text}`);
const prefixed = (label) => (line) => console.log(`[${label}] ${line}`);

/** Reads `.dev.vars`, first writing one with throwaway credentials when there is none. */
function loadDevVars(emulatorPort) {
  const shownPath = relative(process.cwd(), DEV_VARS_PATH) || ".dev.vars";
  const existing = readDevVars(DEV_VARS_PATH);
  if (existing) {
    say(`Using the existing ${shownPath}; it is never overwritten.`);
    return existing;
  }
  const created = createThrowawayDevVars(DEV_VARS_PATH, emulatorPort);
  say(`Wrote ${shownPath} with THROWAWAY LOCAL CREDENTIALS: a new RSA-2048 key pair and a`);
  say(`made-up app id (${created.CLIENT_ID}). They work only against the local Coze emulator.`);
  say(`Put a real Coze app's CLIENT_ID, KID and PRIVATE_KEY there to call Coze itself.`);
  return readDevVars(DEV_VARS_PATH);
}

/** Returns the emulator's port and settings when TOKEN_ENDPOINT is on loopback, else undefined. */
function planEmulator(vars) {
  const endpoint = vars.TOKEN_ENDPOINT?.trim();
  if (!endpoint || !isLoopbackUrl(endpoint)) {
    const target = endpoint ? `${endpoint}, not on loopback` : "not set, so it is Coze's default";
    say(`TOKEN_ENDPOINT in .dev.vars is ${target}. The token Worker calls that endpoint with the`);
    say("credentials in .dev.vars, and the Coze emulator is not started.");
    return undefined;
  }
  const url = new URL(endpoint);
  const port = Number(url.port || 80);
  const requested = portFromEnv("DEV_EMULATOR_PORT", port);
  if (requested !== port) {
    throw new Error(
      `DEV_EMULATOR_PORT is ${requested}, but TOKEN_ENDPOINT in .dev.vars uses port ${port}. ` +
        "Change the port in TOKEN_ENDPOINT, or unset DEV_EMULATOR_PORT.",
    );
  }
  if (!url.pathname.endsWith(TOKEN_PATH)) {
    throw new Error(`TOKEN_ENDPOINT in .dev.vars must end with ${TOKEN_PATH}; it is ${endpoint}.`);
  }
  for (const name of ["CLIENT_ID", "KID", "PRIVATE_KEY"]) {
    if (!vars[name])
      throw new Error(`${name} is missing from .dev.vars. Add it, or delete .dev.vars.`);
  }
  return {
    port,
    audience: vars.AUDIENCE?.trim() || DEFAULT_AUDIENCE,
    client: {
      clientId: vars.CLIENT_ID.trim(),
      kid: vars.KID.trim(),
      publicKeyPem: publicKeyFromPrivate(vars.PRIVATE_KEY, ".dev.vars"),
    },
  };
}

/** Returns the Coze API base URL for the example caller when no emulator runs. */
function cozeApiBase(vars) {
  const endpoint = vars.TOKEN_ENDPOINT?.trim();
  if (endpoint) return new URL(endpoint).origin;
  return `https://${vars.AUDIENCE?.trim() || DEFAULT_AUDIENCE}`;
}

async function requireFreePort(port, variable) {
  if (!(await isPortFree(port))) {
    throw new Error(
      `Port ${port} on ${LOOPBACK} is in use. Stop whatever listens there, or set ${variable} ` +
        "to a free port.",
    );
  }
}

/** Starts the example caller and the token Worker in one workerd and waits until they respond. */
async function startWorkers({ port, apiBase, timeoutMs, onExit }) {
  const handle = startWranglerDev({
    root: ROOT,
    configs: [CALLER_CONFIG, TOKEN_WORKER_CONFIG],
    port,
    // --var reaches only the first config's Worker, the caller; the token Worker reads .dev.vars.
    vars: { COZE_API_BASE: apiBase },
    onLine: prefixed("workers"),
  });
  processes.add("workers", handle, onExit);
  const exitedEarly = new AbortController();
  void handle.exited.then(() => exitedEarly.abort(new Error("wrangler dev (workers) exited.")));
  await waitForHttp(`http://${LOOPBACK}:${port}/`, { timeoutMs, abortSignal: exitedEarly.signal });
}

function printInstructions(callerPort, emulatorRuns) {
  const base = `http://${LOOPBACK}:${callerPort}`;
  const lines = [
    "",
    "Ready. The example caller gets a token from the token Worker over RPC, then calls Coze's",
    `/v1/users/me with it${emulatorRuns ? " (here: the local emulator)" : ""}. Try:`,
    "",
    `  curl ${base}/token`,
    '      "sessionName": "example-caller"     (from the binding\'s props.caller)',
    "",
    `  curl "${base}/token?subject=u1"`,
    '      "sessionName": "example-caller:u1"  (caller:subject, one Coze session per end user)',
    "",
  ];
  if (emulatorRuns) {
    lines.push(
      'In each response, "coze.emulatorSessionName" is the session name the emulator read from the',
      "token it issued, so it confirms the JWT the token Worker signed. A second identical curl",
      'shows "cached": true.',
      "",
    );
  }
  lines.push("Press Ctrl-C to stop everything.", "");
  console.log(lines.join("\n"));
}

async function main() {
  const callerPort = portFromEnv("DEV_PORT", 8787);
  const timeoutMs = integerFromEnv("DEV_STARTUP_TIMEOUT_SECONDS", 120, 1, 3600) * 1000;
  const vars = loadDevVars(portFromEnv("DEV_EMULATOR_PORT", 8788));
  const emulator = planEmulator(vars);
  await requireFreePort(callerPort, "DEV_PORT");
  if (emulator) await requireFreePort(emulator.port, "DEV_EMULATOR_PORT");

  const stop = async (exitCode) => {
    await processes.stopAll();
    say("Stopped.");
    process.exit(exitCode);
  };
  const onExit = ({ label, code, signal }) => {
    say(`wrangler dev (${label}) exited (${signal ?? `code ${code}`}); stopping the rest.`);
    void stop(1);
  };
  processes.onStopSignal(() => {
    say("Stopping…");
    void stop(0);
  });

  let apiBase = cozeApiBase(vars);
  if (emulator) {
    say(`Starting the Coze emulator on ${LOOPBACK}:${emulator.port}…`);
    const started = await startEmulator({
      root: ROOT,
      port: emulator.port,
      clients: [emulator.client],
      audience: emulator.audience,
      timeoutMs,
      onLine: prefixed("emulator"),
    });
    processes.add("emulator", started.handle, onExit);
    apiBase = started.baseUrl;
  }
  say(`Starting the example caller and the token Worker on ${LOOPBACK}:${callerPort}…`);
  await startWorkers({ port: callerPort, apiBase, timeoutMs, onExit });
  printInstructions(callerPort, emulator !== undefined);
}

main().catch(async (error) => {
  // When a wrangler process exited, its exit handler has already reported it and is stopping the rest.
  if (!processes.stopping) console.error(`[dev] ${error.message}`);
  await processes.stopAll();
  process.exit(1);
});
