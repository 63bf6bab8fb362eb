/**
 * Captures every console line written in each test file of the `workers` project, by the tests and
 * by the token Worker running in the same isolate. The file fails if any line contains a private
 * key, an HMAC secret, a JWT or an access token.
 */

import { env } from "cloudflare:workers";
import { afterAll, expect } from "vitest";

const METHODS = ["log", "info", "warn", "error", "debug"] as const;
const captured: string[] = [];

function render(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return `${value.name}: ${value.message} ${JSON.stringify(value)}`;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

for (const method of METHODS) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    captured.push(args.map(render).join(" "));
    original(...args);
  };
}

/** Returns long base64 runs of every PEM and secret of this run, to search logs for. */
function secretNeedles(): string[] {
  const needles: string[] = [];
  const pems = Object.values(JSON.parse(env.TEST_KEYS) as Record<string, string>);
  for (const pem of pems) {
    for (const line of pem.split("\n")) {
      if (line.length >= 32 && !line.startsWith("-----")) needles.push(line.slice(0, 32));
    }
  }
  const callerKeys = (env as { CALLER_KEYS?: string }).CALLER_KEYS;
  if (callerKeys) {
    for (const match of callerKeys.matchAll(/"([A-Za-z0-9_-]{40,})"/g)) needles.push(match[1]!);
  }
  return needles;
}

const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./;
const ACCESS_TOKEN_PATTERN = /czs_[A-Za-z0-9_-]{8,}/;
const PEM_PATTERN = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

afterAll(() => {
  const needles = secretNeedles();
  for (const line of captured) {
    expect(line, "a log line contains a JWT").not.toMatch(JWT_PATTERN);
    expect(line, "a log line contains an access token").not.toMatch(ACCESS_TOKEN_PATTERN);
    expect(line, "a log line contains a PEM private key").not.toMatch(PEM_PATTERN);
    for (const needle of needles) {
      expect(line.includes(needle), "a log line contains key or secret material").toBe(false);
    }
  }
});

/** Returns the console lines captured so far in this test file. */
export function capturedLogLines(): readonly string[] {
  return captured;
}
