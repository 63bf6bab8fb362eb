/**
 * The emulator's log: one JSON object per line, on the console. Callers pass ids, codes and
 * messages only, never a JWT, an access token or a key.
 *
 * @module
 */

/** Writes one log line with `event` and the given fields. */
export function logEvent(event: string, fields: Record<string, string | number | undefined>): void {
  console.log(JSON.stringify({ source: "coze-emulator", event, ...fields }));
}
