/**
 * Starts and stops `wrangler dev` processes for the local scripts. Each one runs in a process
 * group of its own, so stopping it also stops the workerd processes it started.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";

import { LOOPBACK } from "./net.mjs";

/** Time a wrangler process group gets to exit after SIGTERM before it gets SIGKILL. */
const STOP_GRACE_MS = 5_000;

/** Returns the path of the project's own wrangler command-line script. */
function wranglerBin(root) {
  const require = createRequire(join(root, "package.json"));
  return join(require.resolve("wrangler/package.json"), "..", "bin", "wrangler.js");
}

/** Returns whether any process of the group `pgid` is still alive. */
function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if (error.code !== "ESRCH") throw error;
  }
}

function forwardLines(stream, sink) {
  createInterface({ input: stream, crlfDelay: Infinity }).on("line", sink);
}

/**
 * Starts `wrangler dev` on 127.0.0.1 with the given configs (the first one is served on `port`).
 *
 * @param {object} options
 * @param {string} options.root Directory whose node_modules contains wrangler, also the working directory.
 * @param {string[]} options.configs Paths of wrangler configs, relative to `root`.
 * @param {number} options.port Port of the first config's Worker.
 * @param {Record<string, string>} [options.vars] `--var` values; wrangler gives them to the
 *   first config's Worker only.
 * @param {number} [options.inspectorPort] DevTools port; wrangler's default is 9229.
 * @param {(line: string) => void} options.onLine Receives each line the process writes.
 * @returns a handle with `pid`, `exited` (resolves to `{ code, signal }`) and `stop()`.
 */
export function startWranglerDev({ root, configs, port, vars = {}, inspectorPort, onLine }) {
  const args = [wranglerBin(root), "dev", "--ip", LOOPBACK, "--port", String(port)];
  for (const config of configs) args.push("-c", config);
  for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
  if (inspectorPort !== undefined) args.push("--inspector-port", String(inspectorPort));

  const child = spawn(process.execPath, args, {
    cwd: root,
    // A group of its own: Ctrl-C reaches only the calling script, which then stops the group.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      // Miniflare otherwise downloads a sample `Request.cf` object from workers.cloudflare.com
      // and prints a stack trace when it cannot; its built-in placeholder is enough locally.
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      FORCE_COLOR: "0",
    },
  });
  forwardLines(child.stdout, onLine);
  forwardLines(child.stderr, onLine);

  const exited = new Promise((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", (error) => {
      onLine(`could not start wrangler: ${error.message}`);
      resolve({ code: null, signal: null });
    });
  });
  return { pid: child.pid, exited, stop: () => stopGroup(child.pid) };
}

/**
 * Sends SIGTERM to the process group `pgid`, waits until every process in it has exited and
 * sends SIGKILL to whatever is left after {@link STOP_GRACE_MS}.
 */
export async function stopGroup(pgid) {
  if (pgid === undefined) return;
  signalGroup(pgid, "SIGTERM");
  const deadline = Date.now() + STOP_GRACE_MS;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) {
      signalGroup(pgid, "SIGKILL");
      await sleep(200);
      return;
    }
    await sleep(100);
  }
}

/**
 * Sends SIGKILL to each process group in `pgids` at once. Meant for the process `exit` event, where
 * nothing asynchronous runs any more.
 */
export function killGroupsNow(pgids) {
  for (const pgid of pgids) if (pgid !== undefined) signalGroup(pgid, "SIGKILL");
}
