/**
 * The benchmark's measurements. Each one drives the driver Worker over HTTP on 127.0.0.1 with a
 * bounded number of requests, and alternates the variants it compares round by round so that
 * machine noise hits both alike.
 *
 * @module
 */

import { fetchEmulatorStats } from "./emulator.mjs";
import { median, percentile } from "./stats.mjs";

/** GETs `url` and returns its JSON body; throws with the body's message on an HTTP error. */
export async function getJson(url) {
  const response = await fetch(url);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = body.error ? `${body.error.code ?? ""} ${body.error.message}` : "";
    throw new Error(`GET ${url} failed with HTTP ${response.status}. ${detail}`.trim());
  }
  return body;
}

/** Returns `[a, b]` in even rounds and `[b, a]` in odd ones. */
function alternate(round, a, b) {
  return round % 2 === 0 ? [a, b] : [b, a];
}

/** Returns `variants` rotated by `round` places, so each one takes each position in turn. */
function rotate(round, variants) {
  const shift = round % variants.length;
  return [...variants.slice(shift), ...variants.slice(0, shift)];
}

/**
 * Times batches of `calls` sequential RPC calls inside the driver, rotating their order each
 * round: `ping()`, a cached `getToken()` from the token Worker with the shipped settings, a cached
 * `getToken()` from the instance with `AUDIT_CACHE_HITS = "false"`, and for context `ping()`
 * followed by one log line in the driver. Per-call time is batch time / calls, because workerd's
 * clocks tick in whole milliseconds. Each cached variant's ratio is taken against the `ping()`
 * batch of the same round.
 */
export async function measureRpcFloor(driverUrl, { rounds, calls }) {
  const batch = `${driverUrl}/batch?calls=${calls}`;
  const variants = {
    ping: `${batch}&kind=ping`,
    cached: `${batch}&kind=cached`,
    cachedNoHitAudit: `${batch}&kind=cached&binding=TOKENS_NO_HIT_AUDIT`,
    pingLogged: `${batch}&kind=ping&log=1`,
  };
  for (const url of Object.values(variants)) await getJson(url);
  const perCallUs = { ping: [], cached: [], cachedNoHitAudit: [], pingLogged: [] };
  const ratios = { cached: [], cachedNoHitAudit: [] };
  let unexpectedCacheState = 0;
  for (let round = 0; round < rounds; round++) {
    const results = {};
    for (const name of rotate(round, Object.keys(variants))) {
      results[name] = await getJson(variants[name]);
      perCallUs[name].push((results[name].elapsedMs * 1000) / calls);
      unexpectedCacheState += results[name].unexpectedCacheState;
    }
    for (const name of Object.keys(ratios)) {
      ratios[name].push(results[name].elapsedMs / results.ping.elapsedMs);
    }
  }
  const summary = (name) => ({
    us: median(perCallUs[name]),
    ratio: median(ratios[name]),
    ratioRange: [Math.min(...ratios[name]), Math.max(...ratios[name])],
  });
  return {
    pingUs: median(perCallUs.ping),
    cached: summary("cached"),
    cachedNoHitAudit: summary("cachedNoHitAudit"),
    pingLoggedUs: median(perCallUs.pingLogged),
    unexpectedCacheState,
    rounds,
    calls,
  };
}

/** Times one GET in Node with the high-resolution clock, in milliseconds. */
async function timedCall(url) {
  const started = performance.now();
  await getJson(url);
  return performance.now() - started;
}

/**
 * Measures per-request latency from Node over HTTP to the driver, one request at a time,
 * alternating cached and uncached requests for one session.
 */
export async function measureLatency(driverUrl, { requestsPerKind }) {
  const subject = "latency";
  const url = (kind) => `${driverUrl}/call?kind=${kind}&subject=${subject}`;
  await getJson(url("cached"));
  const samples = { cached: [], uncached: [] };
  for (let i = 0; i < requestsPerKind; i++) {
    for (const kind of alternate(i, "cached", "uncached"))
      samples[kind].push(await timedCall(url(kind)));
  }
  const summary = (values) => ({ p50: percentile(values, 50), p99: percentile(values, 99) });
  return { cached: summary(samples.cached), uncached: summary(samples.uncached), requestsPerKind };
}

/**
 * Sends `requests` GETs of one kind from `concurrency` workers, each worker on its own subject
 * so that no uncached call can join another's upstream mint. Returns requests per second.
 */
async function runThroughput(driverUrl, kind, requests, concurrency, subjectPrefix) {
  let next = 0;
  const worker = async (index) => {
    const url = `${driverUrl}/call?kind=${kind}&subject=${subjectPrefix}-${index}`;
    while (next < requests) {
      next++;
      await getJson(url);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, index) => worker(index)));
  return requests / ((performance.now() - started) / 1000);
}

/**
 * Measures throughput of cached and uncached requests from Node with `concurrency` requests in
 * flight, alternating kinds each round, and counts the token requests the emulator receives
 * during the uncached rounds to confirm each uncached request reached it.
 */
export async function measureThroughput(driverUrl, emulator, options) {
  const { rounds, concurrency, cachedRequests, uncachedRequests } = options;
  const prefix = "throughput";
  for (let index = 0; index < concurrency; index++) {
    await getJson(`${driverUrl}/call?kind=cached&subject=${prefix}-${index}`);
  }
  const rps = { cached: [], uncached: [] };
  let upstreamCalls = 0;
  for (let round = 0; round < rounds; round++) {
    for (const kind of alternate(round, "cached", "uncached")) {
      const before = await emulator.upstreamCalls();
      const requests = kind === "cached" ? cachedRequests : uncachedRequests;
      rps[kind].push(await runThroughput(driverUrl, kind, requests, concurrency, prefix));
      if (kind === "uncached") upstreamCalls += (await emulator.upstreamCalls()) - before;
    }
  }
  return {
    cachedRps: median(rps.cached),
    uncachedRps: median(rps.uncached),
    ratio: median(rps.cached) / median(rps.uncached),
    upstreamPerUncachedRequest: upstreamCalls / (rounds * uncachedRequests),
    rounds,
    concurrency,
  };
}

/**
 * Issues `requests` concurrent `getToken` calls spread over `sessions` new sessions and returns
 * how many token requests reached the emulator meanwhile.
 */
export async function measureUpstreamCalls(driverUrl, emulator, { requests, sessions, prefix }) {
  const before = await emulator.upstreamCalls();
  const burst = await getJson(
    `${driverUrl}/burst?requests=${requests}&sessions=${sessions}&prefix=${prefix}`,
  );
  const upstreamCalls = (await emulator.upstreamCalls()) - before;
  return { ...burst, upstreamCalls, per1000: (upstreamCalls * 1000) / requests };
}

/**
 * Times batches of `count` signatures inside the driver: a whole JWT from `signAssertion` against
 * a bare RSA signature over the same signing input, alternating their order each round.
 */
export async function measureSigning(driverUrl, { rounds, count }) {
  const batch = (kind) => getJson(`${driverUrl}/sign?kind=${kind}&count=${count}`);
  await batch("jwt");
  await batch("raw");
  const perSignUs = { jwt: [], raw: [] };
  const ratios = [];
  let signingInputBytes = 0;
  for (let round = 0; round < rounds; round++) {
    const results = {};
    for (const kind of alternate(round, "jwt", "raw")) results[kind] = await batch(kind);
    perSignUs.jwt.push((results.jwt.elapsedMs * 1000) / count);
    perSignUs.raw.push((results.raw.elapsedMs * 1000) / count);
    ratios.push(results.jwt.elapsedMs / results.raw.elapsedMs);
    signingInputBytes = results.raw.signingInputBytes;
  }
  return {
    jwtUs: median(perSignUs.jwt),
    rawUs: median(perSignUs.raw),
    ratio: median(ratios),
    signingInputBytes,
    rounds,
    count,
  };
}

/**
 * Returns an object whose `upstreamCalls()` reads how many token requests the emulator has
 * received for `clientId`, counted on arrival, before any check.
 */
export function emulatorCounter(emulatorUrl, clientId) {
  return {
    async upstreamCalls() {
      const stats = await fetchEmulatorStats(emulatorUrl, clientId);
      if (!Number.isInteger(stats.requests)) {
        throw new Error(`The emulator's stats carry no request count: ${JSON.stringify(stats)}`);
      }
      return stats.requests;
    },
  };
}
