/**
 * Structured logging: one flat JSON object per event, so Workers Logs can index its fields.
 *
 * @module
 */

/** Fields of a log event. Values never include a key, secret, JWT or access token. */
export interface LogRecord {
  readonly event: string;
  readonly [field: string]: string | number | boolean | undefined;
}

/** Receives log events; the default writes them to the console. */
export type Logger = (record: LogRecord) => void;

/** Writes one event to `console.log` (or `console.error` for failures) as an object. */
export const consoleLogger: Logger = (record) => {
  const clean = Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
  if (record.outcome === "error") console.error(clean);
  else console.log(clean);
};
