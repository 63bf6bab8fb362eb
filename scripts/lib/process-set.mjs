/**
 * The set of `wrangler dev` processes a script started, stopped together: on Ctrl-C, on SIGTERM,
 * when one of them exits on its own, and (with SIGKILL) when the script itself exits.
 *
 * @module
 */

import { killGroupsNow } from "./wrangler-dev.mjs";

/** Tracks started processes and stops all of them once. */
export class ProcessSet {
  #entries = [];
  #stopping = undefined;

  constructor() {
    // Last resort for a script that ends without calling stopAll(), for example on an uncaught
    // exception: nothing asynchronous runs in an `exit` listener, so the groups get SIGKILL.
    process.once("exit", () => {
      if (this.#stopping === undefined) killGroupsNow(this.#entries.map((entry) => entry.pid));
    });
  }

  /** Whether stopAll() has been called. */
  get stopping() {
    return this.#stopping !== undefined;
  }

  /**
   * Adds a handle from startWranglerDev(). `onUnexpectedExit({ label, code, signal })` runs when
   * the process exits before stopAll() was called.
   */
  add(label, handle, onUnexpectedExit) {
    this.#entries.push({ label, ...handle });
    void handle.exited.then(({ code, signal }) => {
      if (!this.stopping) onUnexpectedExit({ label, code, signal });
    });
  }

  /** Stops every process (SIGTERM, then SIGKILL after a grace period) and waits for them. */
  stopAll() {
    this.#stopping ??= Promise.all(this.#entries.map((entry) => entry.stop()));
    return this.#stopping;
  }

  /**
   * Calls `onSignal(name)` on the first SIGINT or SIGTERM. A second Ctrl-C while stopping kills
   * the processes at once and exits.
   */
  onStopSignal(onSignal) {
    for (const name of ["SIGINT", "SIGTERM"]) {
      process.on(name, () => {
        if (!this.stopping) return void onSignal(name);
        killGroupsNow(this.#entries.map((entry) => entry.pid));
        process.exit(130);
      });
    }
  }
}
