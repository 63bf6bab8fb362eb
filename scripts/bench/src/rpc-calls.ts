/**
 * The RPC calls the benchmark times: `ping()` (the floor), a cached `getToken()` and an uncached
 * one, in sequential batches and in concurrent bursts.
 *
 * @module
 */

import type { TokenWorker } from "../../../src/entrypoint";

/** Kind of RPC call a batch makes. */
export type CallKind = "ping" | "cached" | "uncached";

/** Outcome of one batch of sequential calls. */
export interface BatchResult {
  readonly kind: CallKind;
  readonly calls: number;
  /** Wall time of the whole batch, in milliseconds. */
  readonly elapsedMs: number;
  /** Calls whose `cached` flag differed from what `kind` expects; always 0 for `ping`. */
  readonly unexpectedCacheState: number;
}

/** Outcome of one burst of concurrent `getToken` calls. */
export interface BurstResult {
  readonly requests: number;
  readonly sessions: number;
  readonly ok: number;
  /** Calls served from the cache. */
  readonly cached: number;
  /** Error codes of the failed calls, with their counts. */
  readonly errors: Record<string, number>;
  readonly elapsedMs: number;
}

/** Makes one call of `kind` and returns whether the token came from the cache (`ping`: null). */
export async function callOnce(
  tokens: Service<TokenWorker>,
  kind: CallKind,
  subject?: string,
): Promise<boolean | null> {
  if (kind === "ping") {
    await tokens.ping();
    return null;
  }
  const options = subject === undefined ? {} : { subject };
  const result = await tokens.getToken(
    kind === "uncached" ? { ...options, forceRefresh: true } : options,
  );
  return result.cached;
}

/** Writes one log line shaped like the token Worker's audit record of a cached token. */
function logAuditShapedLine(): void {
  console.log({
    event: "bench_log_line",
    outcome: "issued",
    channel: "rpc",
    requestId: crypto.randomUUID(),
    caller: "bench",
    sessionName: "bench",
    cache: "hit",
    expiresAt: 1_800_000_000,
  });
}

/**
 * Makes `calls` sequential calls of `kind` and times the whole batch. With `logEach`, the driver
 * also writes one log line per call.
 */
export async function runBatch(
  tokens: Service<TokenWorker>,
  kind: CallKind,
  calls: number,
  logEach = false,
): Promise<BatchResult> {
  let unexpectedCacheState = 0;
  const started = performance.now();
  for (let i = 0; i < calls; i++) {
    const cached = await callOnce(tokens, kind);
    if (cached !== null && cached !== (kind === "cached")) unexpectedCacheState++;
    if (logEach) logAuditShapedLine();
  }
  const elapsedMs = performance.now() - started;
  return { kind, calls, elapsedMs, unexpectedCacheState };
}

/**
 * Starts `requests` cached-path `getToken` calls at once, spread round-robin over `sessions`
 * subjects `${prefix}-0` … `${prefix}-${sessions - 1}`, and waits for all of them.
 */
export async function runBurst(
  tokens: Service<TokenWorker>,
  requests: number,
  sessions: number,
  prefix: string,
): Promise<BurstResult> {
  const started = performance.now();
  const outcomes = await Promise.allSettled(
    Array.from({ length: requests }, (_, i) =>
      tokens.getToken({ subject: `${prefix}-${i % sessions}` }),
    ),
  );
  const elapsedMs = performance.now() - started;

  let ok = 0;
  let cached = 0;
  const errors: Record<string, number> = {};
  for (const outcome of outcomes) {
    if (outcome.status === "fulfilled") {
      ok++;
      if (outcome.value.cached) cached++;
      continue;
    }
    const code = String((outcome.reason as { code?: unknown })?.code ?? "UNKNOWN");
    errors[code] = (errors[code] ?? 0) + 1;
  }
  return { requests, sessions, ok, cached, errors, elapsedMs };
}
