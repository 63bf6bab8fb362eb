/**
 * Timing of the signature comparison: a signature wrong in its first byte and one wrong in its
 * last byte must take the same time to reject. Runs in Node, because workerd's clock does not
 * advance during computation.
 *
 * Each sample is the mean time of a batch of calls; the two cases alternate, and the medians of
 * 201 samples each are compared. The same harness must see the leak of an early-exit comparison,
 * so a pass means the harness could have failed.
 */

import { bytesToHex } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";

import { buildCanonicalRequest } from "../../src/signed/canonical-request";
import { timingSafeEqual } from "../../src/signed/constant-time";
import { signCanonicalRequest, verifySignedRequest } from "../../src/signed/verify-request";

const SAMPLES = 201;
/** Largest accepted relative difference between the two medians. */
const TOLERANCE = 0.2;

type Compare = (a: Uint8Array, b: Uint8Array) => boolean;

function earlyExitEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[sorted.length >> 1]!;
}

/** Returns the mean nanoseconds per call of `run` over `calls` calls. */
function timeBatch(run: () => boolean, calls: number): number {
  let accepted = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) if (run()) accepted++;
  const elapsed = Number(process.hrtime.bigint() - started);
  if (accepted !== 0) throw new Error("a wrong value was accepted");
  return elapsed / calls;
}

/** Returns the median nanoseconds per call of each case, measured alternately. */
function medians(first: () => boolean, last: () => boolean, calls: number): [number, number] {
  for (let i = 0; i < 20; i++) {
    timeBatch(first, calls);
    timeBatch(last, calls);
  }
  const firstSamples: number[] = [];
  const lastSamples: number[] = [];
  for (let sample = 0; sample < SAMPLES; sample++) {
    if (sample % 2 === 0) {
      firstSamples.push(timeBatch(first, calls));
      lastSamples.push(timeBatch(last, calls));
    } else {
      lastSamples.push(timeBatch(last, calls));
      firstSamples.push(timeBatch(first, calls));
    }
  }
  return [median(firstSamples), median(lastSamples)];
}

function relativeDifference([a, b]: [number, number]): number {
  return Math.abs(a - b) / Math.max(a, b);
}

function compareCases(compare: Compare): [number, number] {
  const expected = crypto.getRandomValues(new Uint8Array(32));
  const wrongFirst = expected.slice();
  wrongFirst[0]! ^= 0x01;
  const wrongLast = expected.slice();
  wrongLast[31]! ^= 0x01;
  return medians(
    () => compare(expected, wrongFirst),
    () => compare(expected, wrongLast),
    5_000,
  );
}

describe("signature comparison timing", () => {
  it("sees the leak of an early-exit comparison", () => {
    const [first, last] = compareCases(earlyExitEqual);
    expect(last / first).toBeGreaterThan(1 + 2 * TOLERANCE);
  });

  it("times wrong first and last bytes equally", () => {
    const result = compareCases(timingSafeEqual);
    expect(relativeDifference(result), `medians ${result.join(" ns, ")} ns`).toBeLessThan(
      TOLERANCE,
    );
  });

  it("verifies either wrong byte equally fast", () => {
    const keys = new Map([["alice", new Map([["k1", new Uint8Array(32).fill(7)]])]]);
    const base = {
      host: "tokens.example.com",
      method: "POST",
      path: "/v1/token",
      query: "",
      contentType: "application/json",
      body: new TextEncoder().encode("{}"),
    };
    const credential = (signature: string) => ({
      caller: "alice",
      keyId: "k1",
      timestamp: "1767225600",
      nonce: "7Jx2bU0Qq4cY9mTn3ZrWfA",
      signature,
    });

    const now = 1767225600;
    const canonical = buildCanonicalRequest({ ...credential(""), ...base });
    const valid = bytesToHex(signCanonicalRequest(keys.get("alice")!.get("k1")!, canonical));
    const flip = (digit: string) => (digit === "0" ? "1" : "0");
    const wrongFirst = { ...base, credential: credential(flip(valid[0]!) + valid.slice(1)) };
    const wrongLast = { ...base, credential: credential(valid.slice(0, 63) + flip(valid[63]!)) };

    expect(verifySignedRequest({ ...base, credential: credential(valid) }, keys, now).ok).toBe(
      true,
    );

    const result = medians(
      () => verifySignedRequest(wrongFirst, keys, now).ok,
      () => verifySignedRequest(wrongLast, keys, now).ok,
      200,
    );
    expect(relativeDifference(result), `medians ${result.join(" ns, ")} ns`).toBeLessThan(
      TOLERANCE,
    );
  });
});
