/**
 * Starts and stops `wrangler dev` for the Node tests that drive Workers over real HTTP on
 * 127.0.0.1. Each process runs in a group of its own, so stopping it also stops workerd.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { waitForHttp } from "../../scripts/lib/net.mjs";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
/** wrangler takes several seconds per process to start on a small machine; allow plenty. */
export const STARTUP_TIMEOUT_MS = 180_000;
/** Time a wrangler process group gets to exit after SIGTERM before it gets SIGKILL. */
const STOP_GRACE_MS = 5_000;

/** A `wrangler dev` process group started by a test. */
export interface WranglerProcess {
  readonly child: ChildProcess;
  readonly output: string[];
  /** Stops the whole process group: SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
}

function wranglerBin(): string {
  const require = createRequire(join(REPO, "package.json"));
  return join(require.resolve("wrangler/package.json"), "..", "bin", "wrangler.js");
}

/** Sends `signal` to the process group `pgid`; returns false when no process of it is left. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

async function stopGroup(pgid: number | undefined): Promise<void> {
  if (pgid === undefined || !signalGroup(pgid, "SIGTERM")) return;
  const deadline = Date.now() + STOP_GRACE_MS;
  while (signalGroup(pgid, 0)) {
    if (Date.now() > deadline) {
      signalGroup(pgid, "SIGKILL");
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Starts `wrangler dev -c <config>` on 127.0.0.1:`port` in a process group of its own and waits
 * until it responds to HTTP. Stops it again and throws with its output when it does not.
 */
export async function startWrangler(
  config: string,
  port: number,
  extraArgs: string[],
): Promise<WranglerProcess> {
  const args = [wranglerBin(), "dev", "-c", config, "--ip", "127.0.0.1", "--port", String(port)];
  const child = spawn(process.execPath, [...args, ...extraArgs], {
    cwd: REPO,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_SEND_METRICS: "false",
      FORCE_COLOR: "0",
    },
  });
  const output: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  const started: WranglerProcess = { child, output, stop: () => stopGroup(child.pid) };

  const exited = new AbortController();
  child.once("exit", () => exited.abort(new Error(`wrangler dev -c ${config} exited`)));
  try {
    await waitForHttp(`http://127.0.0.1:${port}/`, {
      timeoutMs: STARTUP_TIMEOUT_MS,
      abortSignal: exited.signal,
    });
  } catch (error) {
    await started.stop();
    throw new Error(`${(error as Error).message}\n${output.join("")}`);
  }
  return started;
}
