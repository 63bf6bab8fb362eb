/**
 * Two test projects. `workers` runs in workerd, with the token Worker as the main Worker and the
 * example caller and the Coze emulator as separate Workers. `node` runs what needs Node itself.
 */

import { randomBytes } from "node:crypto";

import { cloudflareTest, getRunnerName } from "@cloudflare/vitest-pool-workers";
import { buildSync } from "esbuild";
import { defineConfig } from "vitest/config";

import { generateTestKeys } from "./test/fixtures/test-keys";

const WORKERS_PROJECT = "workers";
const COMPATIBILITY_DATE = "2026-04-21";

/** The app the token Worker under test is configured for. */
const TEST_APP = { clientId: "1000000001", kid: "test-kid-main" };

/**
 * The policy under test: unlisted callers are allowed so that tests can use fresh caller ids, and
 * a few listed callers exercise each rule. The shipped default (deny) is tested separately.
 */
const TEST_POLICY = {
  default: { allow: true },
  callers: {
    denied: { allow: false },
    "short-lived": { maxDurationSeconds: 300 },
    "no-subjects": { subjects: false },
    "channel-bot": {
      scope: { account_permission: { permission_list: ["Connector.botChat"] } },
      accountId: "7351234567890",
    },
    "enterprise-app": { enterpriseId: "ent_42" },
    limited: { rateLimiter: "RATE_LIMITER_STRICT" },
  },
};

/** Returns a new random HMAC secret in the form CALLER_KEYS takes: 32 bytes, unpadded base64url. */
function callerSecret(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * The signed public route's callers under test, with secrets new every run. They go through the
 * same CALLER_KEYS parsing and verification as a deployment; nothing here turns a check off.
 * Callers other than alice and mallory each serve one test that changes their ledger or policy.
 */
const TEST_CALLER_KEYS = {
  alice: { k1: callerSecret(), k2: callerSecret() },
  mallory: { k1: callerSecret() },
  denied: { k1: callerSecret() },
  "ledger-full": { k1: callerSecret() },
  "ledger-broken": { k1: callerSecret() },
  "ledger-stalled": { k1: callerSecret() },
};

/** Bundles a Worker for the pool, which cannot read a second wrangler config. */
function bundle(entry: string, name: string): string {
  const outfile = `dist/test/${name}.js`;
  buildSync({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    logLevel: "error",
  });
  return outfile;
}

const keys = generateTestKeys();
const tokenWorker = getRunnerName({ name: WORKERS_PROJECT } as Parameters<typeof getRunnerName>[0]);

export default defineConfig({
  test: {
    // The Worker logs every event; show those lines only for tests that fail.
    silent: "passed-only",
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // Every setting is given here, so a developer's .dev.vars (which the pool also
              // reads, for example the one `npm run dev` writes) cannot change what is tested.
              bindings: {
                CLIENT_ID: TEST_APP.clientId,
                KID: TEST_APP.kid,
                PRIVATE_KEY: keys.pkcs8,
                TEST_KEYS: JSON.stringify(keys),
                CALLER_POLICY: JSON.stringify(TEST_POLICY),
                PUBLIC_ROUTE: "on",
                PUBLIC_HOST: "tokens.example.test",
                CALLER_KEYS: JSON.stringify(TEST_CALLER_KEYS),
                AUDIENCE: "api.coze.cn",
                TOKEN_ENDPOINT: "https://api.coze.cn/api/permission/oauth2/token",
                TOKEN_DURATION: "900",
                AUDIT_HASH_SUBJECTS: "false",
                AUDIT_CACHE_HITS: "true",
              },
              ratelimits: {
                // High enough for the load tests; RATE_LIMITER_STRICT tests the limit itself.
                RATE_LIMITER: { simple: { limit: 100_000, period: 60 } },
                RATE_LIMITER_STRICT: { simple: { limit: 3, period: 60 } },
              },
              // Every fetch the token Worker makes goes to the emulator, never to the Internet.
              outboundService: "coze-emulator",
              serviceBindings: { EXAMPLE_CALLER: "example-caller" },
              workers: [
                {
                  name: "example-caller",
                  modules: true,
                  scriptPath: bundle("callers/example/src/index.ts", "example-caller"),
                  compatibilityDate: COMPATIBILITY_DATE,
                  bindings: { COZE_API_BASE: "https://api.coze.cn" },
                  serviceBindings: {
                    COZE_TOKENS: { name: tokenWorker, props: { caller: "example-caller" } },
                  },
                  outboundService: "coze-emulator",
                },
                {
                  name: "coze-emulator",
                  modules: true,
                  scriptPath: bundle("test/emulator/src/index.ts", "coze-emulator"),
                  compatibilityDate: COMPATIBILITY_DATE,
                  bindings: {
                    EMULATOR_CLIENTS: JSON.stringify([
                      { client_id: TEST_APP.clientId, kid: TEST_APP.kid, public_key: keys.spki },
                    ]),
                  },
                },
              ],
            },
          }),
        ],
        test: {
          name: WORKERS_PROJECT,
          include: ["test/workers/**/*.test.ts"],
          setupFiles: ["test/setup/no-secrets-in-logs.ts"],
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/node/**/*.test.ts"],
          // The end-to-end files each start wrangler dev; one at a time keeps 2 cores responsive.
          fileParallelism: false,
        },
      },
    ],
  },
});
