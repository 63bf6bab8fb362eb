/**
 * A log writer with a per-isolate line budget, for events that unauthenticated requests can
 * cause: a flood of bad requests must not flood the log. Past the budget, lines are counted, and
 * the count is reported on the next line written.
 *
 * @module
 */

import { type LogRecord, type Logger, consoleLogger } from "../log";

/** Lines per window, per isolate. */
const MAX_LINES_PER_WINDOW = 100;
/** Window length in milliseconds. */
const WINDOW_MS = 60_000;

/** Writes at most 100 lines a minute, counting the rest. */
export class RateLimitedLog {
  readonly #logger: Logger;
  readonly #clock: () => number;
  #windowStart = Number.NEGATIVE_INFINITY;
  #written = 0;
  #suppressed = 0;

  constructor(logger: Logger = consoleLogger, clock: () => number = Date.now) {
    this.#logger = logger;
    this.#clock = clock;
  }

  /** Writes `record`, or counts it when this window's budget is spent. */
  write(record: LogRecord): void {
    const now = this.#clock();
    if (now - this.#windowStart >= WINDOW_MS) {
      this.#windowStart = now;
      this.#written = 0;
    }
    if (this.#written >= MAX_LINES_PER_WINDOW) {
      this.#suppressed++;
      return;
    }
    this.#written++;
    const suppressedBefore = this.#suppressed > 0 ? this.#suppressed : undefined;
    this.#suppressed = 0;
    this.#logger({ ...record, suppressedBefore });
  }
}
