/**
 * Replay protection of the signed public route: the nonce ledger Durable Object as the route
 * uses it (replays, parallel requests, nonces of rejected requests), and what happens when the
 * ledger fails, stalls or fills up.
 */

import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";

import { MAX_NONCES_PER_CALLER } from "../../src/ledger/nonce-ledger";
import { LEDGER_TIMEOUT_MS } from "../../src/signed/claim-nonce";
import {
  type ErrorBody,
  type TokenBody,
  nowSeconds,
  secretOf,
  send,
  sendSigned,
  signedParts,
} from "../helpers/signing";

const TEST_CLIENT_ID = "1000000001";

function ledgerOf(caller: string) {
  const namespace = env.NONCE_LEDGER!;
  return namespace.get(namespace.idFromName(caller));
}

function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

async function sessionsIssued(): Promise<string[]> {
  const response = await fetch(`https://api.coze.cn/__emulator/stats?client_id=${TEST_CLIENT_ID}`);
  const stats = (await response.json()) as { tokens: Array<{ session_name?: string }> };
  return stats.tokens.map((token) => token.session_name ?? "");
}

async function codeOf(response: Response): Promise<string> {
  return ((await response.json()) as ErrorBody).error.code;
}

describe("replay", () => {
  it("answers the same request twice with 200 then 401", async () => {
    const parts = await signedParts({ body: '{"subject":"replayed"}' });
    const first = await send(parts);
    const second = await send(parts);

    expect(first.status).toBe(200);
    expect(((await first.json()) as TokenBody).session_name).toBe("alice:replayed");
    expect(second.status).toBe(401);
    expect(await codeOf(second)).toBe("UNAUTHENTICATED");
  });

  it("accepts exactly one of 20 identical requests in parallel", async () => {
    const parts = await signedParts({ body: '{"subject":"parallel"}' });
    const responses = await Promise.all(Array.from({ length: 20 }, () => send(parts)));
    const statuses = responses.map((response) => response.status);

    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(19);
  });

  it("rejects the same nonce with another body and a fresh signature", async () => {
    const nonce = newNonce();
    const first = await sendSigned({ nonce, body: '{"subject":"first-body"}' });
    const second = await sendSigned({ nonce, body: '{"subject":"second-body"}' });

    expect(first.status).toBe(200);
    expect(second.status).toBe(401);
    expect(await sessionsIssued()).not.toContain("alice:second-body");
  });

  it("rejects the same nonce under the caller's other key", async () => {
    const nonce = newNonce();
    expect((await sendSigned({ nonce, keyId: "k1" })).status).toBe(200);
    expect((await sendSigned({ nonce, keyId: "k2" })).status).toBe(401);
  });

  it("leaves the nonce of a rejected signature unused", async () => {
    const nonce = newNonce();
    const forged = await sendSigned({ nonce, secret: secretOf("mallory") });
    const genuine = await sendSigned({ nonce, body: '{"subject":"after-forgery"}' });

    expect(forged.status).toBe(401);
    expect(genuine.status).toBe(200);
  });

  it("keeps ledgers apart per caller", async () => {
    const nonce = newNonce();
    expect((await sendSigned({ nonce, caller: "alice" })).status).toBe(200);
    expect((await sendSigned({ nonce, caller: "mallory" })).status).toBe(200);
  });
});

describe("ledger failures", () => {
  it("answers 503 when the ledger's storage fails", async () => {
    const ledger = ledgerOf("ledger-broken");
    await runInDurableObject(ledger, (_instance, state) => {
      state.storage.sql.exec("DROP TABLE nonces");
      state.storage.sql.exec("CREATE TABLE nonces (unrelated TEXT)");
    });
    const response = await sendSigned({ caller: "ledger-broken", body: '{"subject":"broken"}' });

    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).toBe("1");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(await codeOf(response)).toBe("LEDGER_UNAVAILABLE");
    expect(await sessionsIssued()).not.toContain("ledger-broken:broken");
  });

  it(
    "answers 503 when the ledger does not answer in time",
    async () => {
      const ledger = ledgerOf("ledger-stalled");
      let release: () => void = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      const blocked = runInDurableObject(ledger, (_instance, state) =>
        state.blockConcurrencyWhile(() => released),
      );
      const started = Date.now();
      const response = await sendSigned({ caller: "ledger-stalled" });
      const elapsed = Date.now() - started;
      release();
      await blocked;

      expect(response.status).toBe(503);
      expect(await codeOf(response)).toBe("LEDGER_UNAVAILABLE");
      expect(elapsed).toBeGreaterThanOrEqual(LEDGER_TIMEOUT_MS - 100);
    },
    LEDGER_TIMEOUT_MS + 10_000,
  );

  it("answers 429 when the caller's ledger is full", async () => {
    const ledger = ledgerOf("ledger-full");
    const expiresAt = nowSeconds() + 600;
    await runInDurableObject(ledger, (_instance, state) => {
      for (let i = 0; i < MAX_NONCES_PER_CALLER; i++) {
        state.storage.sql.exec("INSERT INTO nonces VALUES (?, ?)", `filler-${i}`, expiresAt);
      }
    });
    const response = await sendSigned({ caller: "ledger-full" });

    expect(response.status).toBe(429);
    expect(Number(response.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(await codeOf(response)).toBe("NONCE_LIMIT");
  });
});

describe("nonce ledger object", () => {
  it("claims a nonce once", async () => {
    const ledger = ledgerOf("ledger-unit");
    const nonce = newNonce();
    expect(await ledger.claim(nonce, nowSeconds() + 60)).toBe("claimed");
    expect(await ledger.claim(nonce, nowSeconds() + 60)).toBe("replayed");
  });

  it("forgets a nonce once it expires", async () => {
    const ledger = ledgerOf("ledger-expiry");
    const nonce = newNonce();
    await runInDurableObject(ledger, (_instance, state) => {
      state.storage.sql.exec("INSERT INTO nonces VALUES (?, ?)", nonce, nowSeconds() - 1);
    });
    expect(await ledger.claim(nonce, nowSeconds() + 60)).toBe("claimed");
  });

  it("deletes expired nonces in its alarm", async () => {
    const ledger = ledgerOf("ledger-alarm");
    await ledger.claim(newNonce(), nowSeconds() + 60);
    const alarm = await runInDurableObject(ledger, (_instance, state) => {
      state.storage.sql.exec("UPDATE nonces SET expires_at = ?", nowSeconds() - 1);
      return state.storage.getAlarm();
    });
    expect(alarm).not.toBeNull();
    expect(await runDurableObjectAlarm(ledger)).toBe(true);
    const remaining = await runInDurableObject(
      ledger,
      (_instance, state) => state.storage.sql.exec("SELECT COUNT(*) AS n FROM nonces").one().n,
    );
    expect(remaining).toBe(0);
  });
});
