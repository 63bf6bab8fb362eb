/**
 * Loopback networking for the local scripts: free ports, port checks and waiting for a server to
 * respond. Every address here is 127.0.0.1.
 *
 * @module
 */

import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** The only address the local scripts listen on or connect to. */
export const LOOPBACK = "127.0.0.1";

/**
 * Lowest and highest port {@link findFreePort} picks from. The range lies below Linux's default
 * ephemeral range (32768 to 60999), from which workerd and the kernel take ports for their own
 * listeners and connections, so a port found free here is unlikely to be taken before use.
 */
const PICK_RANGE = { min: 20000, max: 32000 };

/** Returns a TCP port on 127.0.0.1 that was free a moment ago, picked at random from a range. */
export async function findFreePort() {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = PICK_RANGE.min + Math.floor(Math.random() * (PICK_RANGE.max - PICK_RANGE.min));
    if (await isPortFree(port)) return port;
  }
  throw new Error(`No free port found on ${LOOPBACK} in ${PICK_RANGE.min}-${PICK_RANGE.max}.`);
}

/** Resolves to whether `port` on 127.0.0.1 can be listened on right now. */
export function isPortFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, LOOPBACK, () => server.close(() => resolve(true)));
  });
}

/**
 * Reads a whole number from the environment variable `name`, or returns `fallback` when it is not
 * set. Throws when the value is not a whole number from `min` to `max`.
 */
export function integerFromEnv(name, fallback, min, max) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}; it is "${raw}".`);
  }
  return value;
}

/** Reads a TCP port from the environment variable `name`, or returns `fallback` when unset. */
export function portFromEnv(name, fallback) {
  return integerFromEnv(name, fallback, 1, 65535);
}

/** Returns whether `url` names a loopback host (localhost, 127.0.0.0/8 or [::1]). */
export function isLoopbackUrl(url) {
  const { hostname } = new URL(url);
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Polls `url` with GET until the server sends any HTTP response, then returns that response's
 * status. Throws after `timeoutMs`, or as soon as `abortSignal` aborts (for example because the
 * server's process exited).
 */
export async function waitForHttp(url, { timeoutMs, abortSignal }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    abortSignal?.throwIfAborted();
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      return response.status;
    } catch {
      // Not listening yet, or not responding yet, so try again below.
    }
    if (Date.now() > deadline) {
      throw new Error(`No response from ${url} within ${Math.round(timeoutMs / 1000)} s.`);
    }
    await sleep(250);
  }
}
