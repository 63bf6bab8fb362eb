/**
 * Turns the benchmark's results into table rows, each with its goal and whether it is met.
 *
 * @module
 */

import { formatNumber } from "./stats.mjs";

/** Largest cached-to-ping time ratio: a cached token may cost at most 20 % over an empty call. */
export const RPC_FLOOR_MAX_RATIO = 1.2;
/** Largest JWT-to-bare-signature time ratio: building the JWT may add at most 10 %. */
export const SIGNING_MAX_RATIO = 1.1;
/**
 * Largest gzipped bundle, in bytes: the Workers Free plan's Worker size limit (3 MB after
 * compression, developers.cloudflare.com/workers/platform/limits/, read in 2026).
 */
export const BUNDLE_MAX_GZIP_BYTES = 3 * 1000 * 1000;

const ms = (value) => `${formatNumber(value, value < 10 ? 2 : 1)} ms`;
const us = (value) => `${formatNumber(value, 1)} µs`;
const times = (value) => `${formatNumber(value, 2)}×`;
const kb = (bytes) => `${formatNumber(bytes / 1000, 1)} kB`;

/** Returns the row of one cached variant (`cached` or `cachedNoHitAudit`) against `ping()`. */
function rpcFloorRow({ rpcFloor }, variant, setting) {
  const consistent = rpcFloor.unexpectedCacheState === 0;
  const { us: cachedUs, ratio } = rpcFloor[variant];
  return {
    measurement: `cached getToken vs ping() over RPC, per call, AUDIT_CACHE_HITS=${setting}`,
    result:
      `${us(cachedUs)} vs ${us(rpcFloor.pingUs)} = ${times(ratio)}` +
      (consistent ? "" : ` (${rpcFloor.unexpectedCacheState} calls not cached)`),
    goal: `≤ ${times(RPC_FLOOR_MAX_RATIO)}`,
    met: consistent && ratio <= RPC_FLOOR_MAX_RATIO,
  };
}

function throughputRows({ throughput, latency, upstreamRetries }, plan) {
  const inFlight = plan.throughput.concurrency;
  return [
    {
      measurement: `throughput, ${inFlight} in flight: cached vs uncached`,
      result:
        `${formatNumber(throughput.cachedRps)} vs ${formatNumber(throughput.uncachedRps)} ` +
        `req/s = ${times(throughput.ratio)}`,
      goal: "cached faster (> 1×)",
      met: throughput.ratio > 1,
    },
    {
      measurement: "upstream calls per uncached request",
      result:
        formatNumber(throughput.upstreamPerUncachedRequest, 2) +
        ` (${upstreamRetries} retries in the whole run)`,
      goal: "≥ 1 (no uncached request shares a mint)",
      met: throughput.upstreamPerUncachedRequest >= 1,
    },
    {
      measurement: "latency, cached: p50 / p99",
      result: `${ms(latency.cached.p50)} / ${ms(latency.cached.p99)}`,
      goal: "p99 below uncached p50",
      met: latency.cached.p99 < latency.uncached.p50,
    },
    {
      measurement: "latency, uncached: p50 / p99",
      result: `${ms(latency.uncached.p50)} / ${ms(latency.uncached.p99)}`,
      goal: "— (emulator adds 50 ms)",
      met: null,
    },
  ];
}

function upstreamRow(burst, sessions) {
  const failed = burst.requests - burst.ok;
  return {
    measurement: `upstream calls per 1,000 concurrent requests, ${sessions} session${sessions > 1 ? "s" : ""}`,
    result:
      formatNumber(burst.per1000, burst.per1000 % 1 === 0 ? 0 : 1) +
      (failed > 0 ? ` (${failed} failed: ${JSON.stringify(burst.errors)})` : ""),
    goal: String(sessions),
    met: failed === 0 && burst.per1000 === sessions,
  };
}

function signingRow({ signing }) {
  return {
    measurement: `sign one JWT vs bare RSA-2048 signature (${signing.signingInputBytes} B input)`,
    result: `${us(signing.jwtUs)} vs ${us(signing.rawUs)} = ${times(signing.ratio)}`,
    goal: `≤ ${times(SIGNING_MAX_RATIO)}`,
    met: signing.ratio <= SIGNING_MAX_RATIO,
  };
}

function bundleRow({ bundle }) {
  return {
    measurement: "bundle (wrangler deploy --dry-run): raw / gzip",
    result: `${kb(bundle.rawBytes)} / ${kb(bundle.gzipBytes)}`,
    goal: "gzip ≤ 3 MB (Workers Free limit)",
    met: bundle.gzipBytes <= BUNDLE_MAX_GZIP_BYTES,
  };
}

function loggingRow({ rpcFloor }) {
  return {
    measurement: "ping() + one log line in the driver, per call (context)",
    result: us(rpcFloor.pingLoggedUs),
    goal: "— (token Worker logs one line per token)",
    met: null,
  };
}

/** Returns the table rows `{ measurement, result, goal, met }` for `results`. */
export function buildRows(results, plan) {
  return [
    rpcFloorRow(results, "cached", "true (default)"),
    rpcFloorRow(results, "cachedNoHitAudit", "false"),
    loggingRow(results),
    ...throughputRows(results, plan),
    upstreamRow(results.oneSession, 1),
    upstreamRow(results.manySessions, 100),
    signingRow(results),
    bundleRow(results),
  ];
}
