/**
 * Reads the caller id from a service binding's `props`. The calling Worker's code cannot choose
 * it: it is set in that Worker's wrangler config, `props = { caller = "billing" }`.
 *
 * @module
 */

import { TokenWorkerError } from "../errors";
import { CALLER_ID_PATTERN } from "../tokens/session-name";

/** The `props` a caller's service binding carries. */
export interface CallerProps {
  readonly caller?: unknown;
}

/** Returns the verified caller id, or throws `CALLER_MISSING` or `CALLER_INVALID`. */
export function callerFromProps(props: CallerProps | undefined): string {
  const caller = props?.caller;
  if (caller === undefined) {
    throw new TokenWorkerError(
      "CALLER_MISSING",
      'The service binding carries no caller id. Add props = { caller = "<your-worker>" } to the ' +
        "[[services]] binding in the calling Worker's wrangler config.",
    );
  }
  if (typeof caller !== "string" || !CALLER_ID_PATTERN.test(caller)) {
    throw new TokenWorkerError(
      "CALLER_INVALID",
      "props.caller on the service binding must be 1 to 63 lowercase letters, digits or inner " +
        'hyphens, such as "billing".',
    );
  }
  return caller;
}
