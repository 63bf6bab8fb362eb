/**
 * A Coze app of its own for each test: an RSA key generated in workerd, registered with the
 * emulator under a new numeric client id, and a {@link TokenService} built around it with a clock
 * the test moves and a retry sleep that takes no real time.
 *
 * @module
 */

import { importSigningKey } from "../../src/config/private-key";
import { type TokenConfig, parseTokenConfig } from "../../src/config/token-config";
import type { RetryPolicy } from "../../src/coze/retry";
import type { LogRecord } from "../../src/log";
import { type TokenRequest, TokenService } from "../../src/tokens/token-service";
import {
  type EmulatorStats,
  type Fault,
  TOKEN_ENDPOINT,
  emulatorStats,
  queueFaults,
  registerClient,
  setClockOffset,
} from "./emulator";

/** Settings a test may change; everything else is as in production. */
export interface TestAppOptions {
  readonly maxCachedTokens?: number;
  readonly upstreamTimeoutMs?: number;
  readonly retryPolicy?: Partial<RetryPolicy>;
  /** Backoff jitter source; defaults to 0.5 so waits are predictable. */
  readonly random?: () => number;
}

/** One test's app, service and observations. */
export interface TestApp {
  readonly clientId: string;
  readonly config: TokenConfig;
  readonly service: TokenService;
  /** Every event the service logged, in order. */
  readonly logs: LogRecord[];
  /** Every retry wait the service requested, in milliseconds. */
  readonly sleeps: number[];
  /** Every JWT the service sent, in order. */
  readonly assertions: string[];
  /** The `X-Tt-Logid` of every response the service received, in order. */
  readonly logIds: (string | null)[];
  /** The service's current time in Unix milliseconds. */
  now(): number;
  /** Moves the service's clock and the emulator's clock of this client forward. */
  advance(seconds: number): Promise<void>;
  /** A token request with production defaults, changed by `overrides`. */
  request(overrides?: Partial<TokenRequest>): TokenRequest;
  stats(): Promise<EmulatorStats>;
  queueFaults(faults: Fault[]): Promise<void>;
}

interface KeyMaterial {
  readonly privatePem: string;
  readonly publicPem: string;
}

let keyMaterial: Promise<KeyMaterial> | undefined;
let appCount = 0;

function toPem(label: string, der: ArrayBuffer): string {
  let binary = "";
  for (const byte of new Uint8Array(der)) binary += String.fromCharCode(byte);
  const lines = btoa(binary).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** Generates one 2048-bit RSA key per test file; every app of the file registers it anew. */
async function generateKeyMaterial(): Promise<KeyMaterial> {
  const pair = (await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const pkcs8 = (await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer;
  const spki = (await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer;
  return { privatePem: toPem("PRIVATE KEY", pkcs8), publicPem: toPem("PUBLIC KEY", spki) };
}

/** Returns a numeric client id no other test file or test uses. */
function uniqueClientId(): string {
  appCount += 1;
  const random = crypto.getRandomValues(new Uint32Array(1))[0]! % 1_000_000;
  return `${Date.now()}${String(random).padStart(6, "0")}${appCount}`;
}

/** Creates a new app registered with the emulator and a token service for it. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  keyMaterial ??= generateKeyMaterial();
  const keys = await keyMaterial;
  const clientId = uniqueClientId();
  const kid = `kid-${clientId}`;
  await registerClient(clientId, kid, keys.publicPem);

  const config = parseTokenConfig({ CLIENT_ID: clientId, KID: kid, PRIVATE_KEY: keys.privatePem });
  const signingKey = await importSigningKey(config.privateKeyPkcs8);
  const logs: LogRecord[] = [];
  const sleeps: number[] = [];
  const assertions: string[] = [];
  const logIds: (string | null)[] = [];
  let offsetMs = 0;
  let emulatorOffsetSeconds = 0;
  const now = () => Date.now() + offsetMs;

  const service = new TokenService({
    config,
    signingKey,
    fetch: async (input, init) => {
      const authorization = new Headers(init?.headers).get("Authorization");
      if (authorization?.startsWith("Bearer ")) assertions.push(authorization.slice(7));
      const response = await fetch(input, init);
      logIds.push(response.headers.get("X-Tt-Logid"));
      return response;
    },
    clock: now,
    logger: (record) => logs.push(record),
    upstreamTimeoutMs: options.upstreamTimeoutMs ?? 10_000,
    maxCachedTokens: options.maxCachedTokens,
    retryPolicy: options.retryPolicy,
    // Retry waits move the clock instead of waiting. The emulator's clock stays behind by at most
    // the 20 s deadline, inside its 60 s allowance for `iat` in the future.
    sleep: async (ms) => {
      sleeps.push(ms);
      offsetMs += ms;
    },
    random: options.random ?? (() => 0.5),
  });

  return {
    clientId,
    config,
    service,
    logs,
    sleeps,
    assertions,
    logIds,
    now,
    async advance(seconds) {
      offsetMs += seconds * 1000;
      emulatorOffsetSeconds += seconds;
      await setClockOffset(clientId, emulatorOffsetSeconds);
    },
    request: (overrides = {}) => ({
      caller: "test-caller",
      sessionName: "test-caller",
      durationSeconds: 900,
      endpoint: TOKEN_ENDPOINT,
      requestId: crypto.randomUUID(),
      ...overrides,
    }),
    stats: () => emulatorStats(clientId),
    queueFaults: (faults) => queueFaults(clientId, faults),
  };
}

/** Decodes the claims of a JWT without verifying it. */
export function jwtClaims(jwt: string): Record<string, unknown> {
  const payload = jwt.split(".")[1] ?? "";
  const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
  return JSON.parse(json) as Record<string, unknown>;
}
