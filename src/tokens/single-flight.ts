/**
 * Single-flight: at most one operation per key runs at a time, and callers that ask for the same
 * key while it runs share its result.
 *
 * @module
 */

/** A shared operation and whether this caller joined it rather than started it. */
export interface Flight<T> {
  readonly promise: Promise<T>;
  readonly joined: boolean;
}

/**
 * Runs one operation per key at a time. A settled operation is forgotten at once, so a failure is
 * never reused: every caller that shared it receives the same rejection, and the next call starts
 * a new operation.
 */
export class SingleFlight<T> {
  readonly #inFlight = new Map<string, Promise<T>>();

  /** Number of operations running now. */
  get size(): number {
    return this.#inFlight.size;
  }

  /**
   * Joins the operation running for `key`, or starts `operation` and lets later callers join it
   * until it settles.
   */
  run(key: string, operation: () => Promise<T>): Flight<T> {
    const running = this.#inFlight.get(key);
    if (running !== undefined) return { promise: running, joined: true };

    // The operation starts in a microtask, after the map entry exists, so even an operation that
    // throws synchronously is removed again when it settles.
    const promise: Promise<T> = Promise.resolve()
      .then(operation)
      .finally(() => {
        if (this.#inFlight.get(key) === promise) this.#inFlight.delete(key);
      });
    this.#inFlight.set(key, promise);
    return { promise, joined: false };
  }
}
