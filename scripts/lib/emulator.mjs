/**
 * Starts the project's Coze emulator (test/emulator/) with `wrangler dev` and reads its admin
 * statistics.
 *
 * @module
 */

import { LOOPBACK, waitForHttp } from "./net.mjs";
import { startWranglerDev } from "./wrangler-dev.mjs";

/** The emulator's wrangler config, relative to the repository root. */
export const EMULATOR_CONFIG = "test/emulator/wrangler.toml";

/**
 * Starts the emulator on 127.0.0.1:`port` and waits until it responds.
 *
 * @param {object} options
 * @param {string} options.root Repository root.
 * @param {number} options.port Port to listen on.
 * @param {{ clientId: string, kid: string, publicKeyPem: string }[]} options.clients Apps whose
 *   JWTs the emulator accepts.
 * @param {string} options.audience JWT `aud` the emulator requires.
 * @param {number} [options.latencyMs] Delay the emulator adds to every token response.
 * @param {number} options.timeoutMs Time allowed for startup.
 * @param {(line: string) => void} options.onLine Receives the process's output lines.
 * @returns the wrangler handle and the emulator's base URL.
 */
export async function startEmulator({
  root,
  port,
  clients,
  audience,
  latencyMs,
  timeoutMs,
  onLine,
}) {
  const vars = {
    EMULATOR_CLIENTS: JSON.stringify(
      clients.map((client) => ({
        client_id: client.clientId,
        kid: client.kid,
        public_key: client.publicKeyPem,
      })),
    ),
    EMULATOR_AUDIENCE: audience,
  };
  if (latencyMs !== undefined) vars.EMULATOR_LATENCY_MS = String(latencyMs);

  const handle = startWranglerDev({ root, configs: [EMULATOR_CONFIG], port, vars, onLine });
  const baseUrl = `http://${LOOPBACK}:${port}`;
  const exitedEarly = new AbortController();
  void handle.exited.then(() =>
    exitedEarly.abort(
      new Error(
        "The Coze emulator's wrangler dev exited before it responded. Its output is above.",
      ),
    ),
  );
  try {
    await waitForHttp(statsUrl(baseUrl, clients[0].clientId), {
      timeoutMs,
      abortSignal: exitedEarly.signal,
    });
  } catch (error) {
    await handle.stop();
    throw error;
  }
  return { handle, baseUrl };
}

function statsUrl(baseUrl, clientId) {
  return `${baseUrl}/__emulator/stats?client_id=${encodeURIComponent(clientId)}`;
}

/** Returns the emulator's statistics for one app, as its admin endpoint sends them. */
export async function fetchEmulatorStats(baseUrl, clientId) {
  const response = await fetch(statsUrl(baseUrl, clientId));
  if (!response.ok) {
    throw new Error(`GET /__emulator/stats failed with HTTP ${response.status}.`);
  }
  return response.json();
}
