/**
 * The replay ledger: a Durable Object with SQLite storage, one object per caller, that records
 * each nonce the caller has used until the request carrying it can no longer be accepted.
 *
 * It depends on nothing else in the token Worker, so it can move to a Worker of its own.
 *
 * @module
 */

import { DurableObject } from "cloudflare:workers";

/** The result of a claim: new, already used, or refused because the ledger is full. */
export type ClaimOutcome = "claimed" | "replayed" | "full";

/**
 * Largest number of unexpired nonces one caller may hold. The token Worker keeps a nonce for
 * about 6 minutes, so this allows about 27 signed requests per second, sustained, per caller. A
 * caller past it gets 429.
 */
export const MAX_NONCES_PER_CALLER = 10_000;

const NONCE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Records used nonces for one caller. A Durable Object runs one event at a time, and each claim
 * does its check and its insert synchronously before any `await`, so two requests carrying the
 * same nonce can never both be claimed. Expired nonces are deleted on every claim and by an alarm.
 */
export class NonceLedger extends DurableObject<unknown> {
  readonly #sql: SqlStorage;
  #alarmScheduled = false;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(
      "CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) " +
        "WITHOUT ROWID",
    );
    this.#sql.exec("CREATE INDEX IF NOT EXISTS nonces_by_expiry ON nonces (expires_at)");
  }

  /**
   * Claims `nonce` until `expiresAt` (Unix seconds). Returns "replayed" when it is already
   * claimed and unexpired, "full" when the caller has {@link MAX_NONCES_PER_CALLER} nonces.
   */
  async claim(nonce: string, expiresAt: number): Promise<ClaimOutcome> {
    if (typeof nonce !== "string" || !NONCE_PATTERN.test(nonce) || !Number.isInteger(expiresAt)) {
      throw new TypeError("claim() takes a base64url nonce and a whole number of Unix seconds.");
    }
    const now = Math.floor(Date.now() / 1000);
    this.#deleteExpired(now);
    if (this.#isClaimed(nonce)) return "replayed";
    if (this.#count() >= MAX_NONCES_PER_CALLER) return "full";
    this.#sql.exec("INSERT INTO nonces (nonce, expires_at) VALUES (?, ?)", nonce, expiresAt);
    await this.#scheduleCleanup(expiresAt);
    return "claimed";
  }

  /** Deletes expired nonces and schedules the next run while any remain. */
  override async alarm(): Promise<void> {
    this.#alarmScheduled = false;
    this.#deleteExpired(Math.floor(Date.now() / 1000));
    const next = this.#sql.exec("SELECT MIN(expires_at) AS next FROM nonces").one().next;
    if (typeof next === "number") await this.#scheduleCleanup(next);
  }

  #deleteExpired(nowSeconds: number): void {
    this.#sql.exec("DELETE FROM nonces WHERE expires_at <= ?", nowSeconds);
  }

  #isClaimed(nonce: string): boolean {
    return this.#sql.exec("SELECT 1 FROM nonces WHERE nonce = ?", nonce).toArray().length > 0;
  }

  #count(): number {
    return Number(this.#sql.exec("SELECT COUNT(*) AS count FROM nonces").one().count);
  }

  async #scheduleCleanup(atSeconds: number): Promise<void> {
    if (this.#alarmScheduled) return;
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm((atSeconds + 1) * 1000);
    }
    this.#alarmScheduled = true;
  }
}
