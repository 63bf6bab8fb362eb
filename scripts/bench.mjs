#!/usr/bin/env node
/**
 * `npm run bench`: measures the token Worker locally and prints a table of results, goals and
 * whether each goal is met.
 *
 * It starts, on 127.0.0.1 and free ports, the Coze emulator with EMULATOR_LATENCY_MS=50 (standing
 * in for the network to Coze) and one `wrangler dev` process with the bench driver Worker
 * (scripts/bench/) and two instances of the token Worker. The token Worker runs from configs
 * generated under `.bench/` with throwaway credentials, so the developer's `.dev.vars` is never
 * read. Then:
 *
 * - RPC floor: batches of sequential cached `getToken()` calls against batches of `ping()`, timed
 *   inside the driver (workerd's clocks tick in whole milliseconds, so batches are divided). The
 *   cached calls go to two instances of the token Worker in turn: one with the shipped
 *   `AUDIT_CACHE_HITS = "true"` (one audit line per token) and one with "false" (no line for a
 *   cache hit). Under `wrangler dev` every log line goes through wrangler's Node process. For
 *   context, also `ping()` plus one log line per call in the driver.
 * - Cached against uncached (`forceRefresh`, a signature and an upstream call every time):
 *   latency p50/p99 per request and throughput with 32 requests in flight, measured from Node.
 * - Upstream calls per 1,000 concurrent requests for 1 and for 100 sessions, counted by the
 *   emulator's statistics.
 * - Signing one JWT with `signAssertion` against a bare Web Crypto RSA signature of the same bytes.
 * - The size of the bundle `wrangler deploy --dry-run` builds, raw and gzipped.
 *
 * Compared variants alternate round by round. Every loop is bounded; the script stops all the
 * processes it started when it ends, fails or receives Ctrl-C. It writes the results as JSON to
 * `.bench/results.json` too.
 *
 * Environment variables:
 *   BENCH_VERBOSE=1   Print the wrangler output as it comes (otherwise only on failure).
 *   BENCH_STARTUP_TIMEOUT_SECONDS  Time allowed for each `wrangler dev` to respond. Default 120.
 *
 * @module
 */

import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import {
  emulatorCounter,
  measureLatency,
  measureRpcFloor,
  measureSigning,
  measureThroughput,
  measureUpstreamCalls,
} from "./lib/bench-measure.mjs";
import { describeMachine, formatTable, measureBundle } from "./lib/bench-report.mjs";
import { buildRows } from "./lib/bench-rows.mjs";
import { startBenchWorkers } from "./lib/bench-setup.mjs";
import { integerFromEnv } from "./lib/net.mjs";
import { ProcessSet } from "./lib/process-set.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Sizes of every measurement. Each loop below is bounded by these. */
export const PLAN = {
  emulatorLatencyMs: 50,
  // 24 rounds: each of the 4 rotated variants takes each position 6 times.
  rpcFloor: { rounds: 24, calls: 2_000 },
  latency: { requestsPerKind: 200 },
  throughput: { rounds: 4, concurrency: 32, cachedRequests: 4_000, uncachedRequests: 640 },
  upstream: { requests: 1_000 },
  signing: { rounds: 15, count: 200 },
};

const processes = new ProcessSet();
const wranglerOutput = [];
const verbose = process.env.BENCH_VERBOSE === "1";
/** Upstream retries the token Worker logged, counted from wrangler's printout of its records. */
let upstreamRetries = 0;

function onWranglerLine(line) {
  if (line.includes("event: 'upstream_retry'")) upstreamRetries++;
  wranglerOutput.push(line);
  if (wranglerOutput.length > 200) wranglerOutput.shift();
  if (verbose) console.log(`  [wrangler] ${line}`);
}

async function step(title, run) {
  process.stdout.write(`- ${title}… `);
  const started = performance.now();
  const result = await run();
  console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

async function measureAll(urls) {
  const { driverUrl, emulatorUrl, clientId } = urls;
  const emulator = emulatorCounter(emulatorUrl, clientId);
  const runId = randomBytes(4).toString("hex");
  const results = {};
  results.rpcFloor = await step("RPC floor: cached getToken (audit on, off) vs ping", () =>
    measureRpcFloor(driverUrl, PLAN.rpcFloor),
  );
  results.latency = await step("latency: cached vs uncached", () =>
    measureLatency(driverUrl, PLAN.latency),
  );
  results.throughput = await step("throughput: cached vs uncached", () =>
    measureThroughput(driverUrl, emulator, PLAN.throughput),
  );
  results.oneSession = await step("upstream calls: 1,000 requests, 1 session", () =>
    measureUpstreamCalls(driverUrl, emulator, {
      ...PLAN.upstream,
      sessions: 1,
      prefix: `one-${runId}`,
    }),
  );
  results.manySessions = await step("upstream calls: 1,000 requests, 100 sessions", () =>
    measureUpstreamCalls(driverUrl, emulator, {
      ...PLAN.upstream,
      sessions: 100,
      prefix: `many-${runId}`,
    }),
  );
  results.signing = await step("signing: JWT vs bare RSA signature", () =>
    measureSigning(driverUrl, PLAN.signing),
  );

  return results;
}

async function main() {
  const timeoutMs = integerFromEnv("BENCH_STARTUP_TIMEOUT_SECONDS", 120, 1, 3600) * 1000;
  processes.onStopSignal(async () => {
    console.log("\nStopping…");
    await processes.stopAll();
    process.exit(130);
  });

  const machine = describeMachine(ROOT);
  console.log(`Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB`);
  console.log(`Node ${machine.node}, wrangler ${machine.wrangler}, workerd ${machine.workerd}\n`);
  const bundle = await step("bundle size: wrangler deploy --dry-run", () => measureBundle(ROOT));
  const urls = await step("starting the emulator, the driver and the token Workers", () =>
    startBenchWorkers({
      root: ROOT,
      latencyMs: PLAN.emulatorLatencyMs,
      timeoutMs,
      processes,
      onLine: onWranglerLine,
    }),
  );
  const results = { ...(await measureAll(urls)), bundle, upstreamRetries };
  await processes.stopAll();

  console.log(`\n${formatTable(buildRows(results, PLAN))}\n`);
  mkdirSync(join(ROOT, ".bench"), { recursive: true });
  const report = { date: new Date().toISOString(), machine, plan: PLAN, results };
  writeFileSync(join(ROOT, ".bench", "results.json"), `${JSON.stringify(report, null, 2)}\n`);
  console.log("Raw results: .bench/results.json");
}

main().catch(async (error) => {
  console.error(`\nThe benchmark failed: ${error.message}`);
  if (!verbose && wranglerOutput.length > 0) {
    console.error(`Last wrangler output:\n${wranglerOutput.slice(-40).join("\n")}`);
  }
  await processes.stopAll();
  process.exit(1);
});
