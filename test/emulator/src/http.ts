/**
 * Small HTTP helpers shared by the emulator's routes.
 *
 * @module
 */

/** Returns the credential of an `Authorization: Bearer <credential>` header, or `undefined`. */
export function bearerCredential(authorization: string | null): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
}

/** Reads a request body that must be one JSON object; returns `undefined` if it is not. */
export async function readJsonObject(
  request: Request,
): Promise<Record<string, unknown> | undefined> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return undefined;
  }
  return isPlainObject(body) ? body : undefined;
}

/** Checks that a value is a JSON object: not `null` and not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Resolves after `ms` milliseconds; resolves at once for 0. */
export function sleep(ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, ms));
}
