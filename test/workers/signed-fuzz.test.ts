/**
 * Randomized mutations of valid signed requests: one changed byte in any signed part, headers
 * reordered, repeated or dropped. No mutated request may get 200 or a 5xx. Unmutated requests,
 * in the original or a shuffled header order, are sent in between and must get 200, so the
 * rejections come from the mutations and not from a broken request.
 *
 * The seed is printed with every failure; set FUZZ_SEED below to replay a run.
 */

import { describe, expect, it } from "vitest";

import { type RequestParts, send, signedParts } from "../helpers/signing";

const MUTATIONS = 500;
/** Every Nth request is sent unmutated. */
const BASELINE_EVERY = 10;
const FUZZ_SEED: number | undefined = undefined;

/** mulberry32: a small seeded generator, so that a failing run can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** Returns a byte from `allowed` other than `current`. */
function otherByte(random: Random, current: number, allowed: readonly number[]): number {
  for (;;) {
    const byte = pick(random, allowed);
    if (byte !== current) return byte;
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

// Header values: printable ASCII. Control characters cannot be sent at all, and workerd sends
// other characters as UTF-8 with a warning each; signed-attacks.test.ts sends one on purpose.
const HEADER_BYTES = range(0x20, 0x7e);
// Path characters: printable ASCII except "\", which URL parsers read as "/".
const PATH_BYTES = range(0x21, 0x7e).filter((byte) => byte !== 0x5c);
const BODY_BYTES = range(0x00, 0xff);

function mutateString(random: Random, text: string, allowed: readonly number[]): string {
  const index = Math.floor(random() * text.length);
  const replacement = otherByte(random, text.charCodeAt(index), allowed);
  return text.slice(0, index) + String.fromCharCode(replacement) + text.slice(index + 1);
}

function mutateHeader(random: Random, parts: RequestParts, name: string): RequestParts {
  const headers = parts.headers.map(([key, value]): [string, string] =>
    key === name ? [key, mutateString(random, value, HEADER_BYTES)] : [key, value],
  );
  return { ...parts, headers };
}

function shuffled<T>(random: Random, items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

type Mutation = (random: Random, parts: RequestParts) => RequestParts;

const MUTATIONS_BY_NAME: Record<string, Mutation> = {
  "Authorization byte": (random, parts) => mutateHeader(random, parts, "Authorization"),
  "Content-Type byte": (random, parts) => mutateHeader(random, parts, "Content-Type"),
  "body byte": (random, parts) => {
    const body = parts.body.slice();
    const index = Math.floor(random() * body.length);
    body[index] = otherByte(random, body[index]!, BODY_BYTES);
    return { ...parts, body };
  },
  "path byte": (random, parts) => {
    const url = new URL(parts.url);
    const path = mutateString(random, url.pathname, PATH_BYTES);
    return { ...parts, url: `${url.origin}${path}` };
  },
  "repeated Authorization": (random, parts) => {
    const authorization = parts.headers.find(([name]) => name === "Authorization")!;
    return { ...parts, headers: shuffled(random, [...parts.headers, authorization]) };
  },
  "repeated Content-Type": (random, parts) => {
    const contentType = parts.headers.find(([name]) => name === "Content-Type")!;
    return { ...parts, headers: shuffled(random, [...parts.headers, contentType]) };
  },
  "dropped header": (random, parts) => {
    const dropped = pick(random, ["Authorization", "Content-Type"]);
    return { ...parts, headers: parts.headers.filter(([name]) => name !== dropped) };
  },
  "X-User-ID added": (random, parts) => ({
    ...parts,
    headers: shuffled(random, [...parts.headers, ["X-User-ID", "admin"]]),
  }),
  "other method": (random, parts) => ({
    ...parts,
    method: pick(random, ["PUT", "PATCH", "DELETE"]),
  }),
};

const SINGLE_BYTE = ["Authorization byte", "Content-Type byte", "body byte", "path byte"];

/** Applies a random mutation; a quarter of byte mutations also shuffle the header order. */
function mutate(random: Random, parts: RequestParts): { name: string; parts: RequestParts } {
  const name = pick(random, Object.keys(MUTATIONS_BY_NAME));
  let mutated = MUTATIONS_BY_NAME[name]!(random, parts);
  if (SINGLE_BYTE.includes(name) && random() < 0.25) {
    mutated = { ...mutated, headers: shuffled(random, mutated.headers) };
    return { name: `${name} and header order`, parts: mutated };
  }
  return { name, parts: mutated };
}

/**
 * Sends `parts`; returns the status, or `undefined` when the runtime refuses to send the request
 * at all (a URL that a mutated path turned invalid). The Worker's own failures are responses.
 */
async function statusOf(parts: RequestParts): Promise<number | undefined> {
  try {
    return (await send(parts)).status;
  } catch (error) {
    if (error instanceof TypeError) return undefined;
    throw error;
  }
}

describe("randomized mutations", () => {
  it("never answer 200 or 5xx", async () => {
    const seed = FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32);
    const random = seededRandom(seed);
    const failures: string[] = [];
    const statuses = new Map<number | "unsent", number>();
    let baselines = 0;

    for (let i = 0; i < MUTATIONS; i++) {
      const parts = await signedParts({ body: `{"subject":"fuzz-${i}","duration_seconds":900}` });
      if (i % BASELINE_EVERY === 0) {
        const baseline = { ...parts, headers: shuffled(random, parts.headers) };
        const status = await statusOf(baseline);
        if (status !== 200) failures.push(`seed ${seed}, #${i}: unmutated request got ${status}`);
        baselines++;
        continue;
      }
      const { name, parts: mutated } = mutate(random, parts);
      const status = await statusOf(mutated);
      statuses.set(status ?? "unsent", (statuses.get(status ?? "unsent") ?? 0) + 1);
      if (status === 200 || (status !== undefined && status >= 500)) {
        failures.push(`seed ${seed}, #${i}: ${name} got ${status}`);
      }
    }

    expect(failures).toEqual([]);
    expect(baselines).toBe(MUTATIONS / BASELINE_EVERY);
    // Most mutations must reach signature verification, not only the cheap checks before it.
    expect(statuses.get(401) ?? 0).toBeGreaterThan(MUTATIONS / 4);
  }, 120_000);
});
