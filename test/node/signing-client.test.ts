/**
 * The signing clients against the published test vector in docs/signed-requests.md: the
 * TypeScript module, its generated JavaScript that the CLI runs, the CLI itself, the shell recipe
 * (bash with openssl) and the Worker's own canonical string and verifier. Node's crypto computes
 * the vector a fifth, independent way. Also the CLI's and the recipe's usage errors.
 */

import { spawnSync } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { describe, expect, it } from "vitest";

import * as typescriptClient from "../../callers/signing-client/sign-request";
import { buildCanonicalRequest } from "../../src/signed/canonical-request";
import { verifySignedRequest } from "../../src/signed/verify-request";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const CLIENT_DIR = `${REPO}callers/signing-client`;

interface TestVector {
  secret: string;
  caller: string;
  key_id: string;
  timestamp: string;
  nonce: string;
  method: string;
  url: string;
  content_type: string;
  body: string;
  body_sha256: string;
  canonical_request: string;
  signature: string;
  authorization: string;
}

/** Reads the JSON block after the test-vector marker in docs/signed-requests.md. */
function readTestVector(): TestVector {
  const text = readFileSync(`${REPO}docs/signed-requests.md`, "utf8");
  const match = /<!-- test-vector:[^>]*-->\s*```json\n([\s\S]*?)```/.exec(text);
  if (match === null) throw new Error("docs/signed-requests.md has no test vector block");
  return JSON.parse(match[1]!) as TestVector;
}

const vector = readTestVector();

function vectorEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    COZE_TOKEN_CALLER: vector.caller,
    COZE_TOKEN_KEY_ID: vector.key_id,
    COZE_TOKEN_SECRET: vector.secret,
  };
}

/** Returns the dry-run output that both command-line clients print for the vector. */
function expectedDryRun(): string {
  return (
    `${vector.canonical_request}\n\nAuthorization: ${vector.authorization}\n` +
    `Content-Type: ${vector.content_type}\nBody: ${vector.body}\n`
  );
}

function runCli(args: string[], env: NodeJS.ProcessEnv = vectorEnv()) {
  return spawnSync(process.execPath, [`${CLIENT_DIR}/cli.mjs`, ...args], {
    env,
    encoding: "utf8",
    timeout: 30_000,
  });
}

function runShell(args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync("bash", [`${CLIENT_DIR}/sign-request.sh`, ...args], {
    env,
    encoding: "utf8",
    timeout: 30_000,
  });
}

const signOptions = {
  caller: vector.caller,
  keyId: vector.key_id,
  secret: vector.secret,
  url: vector.url,
  body: vector.body,
  now: Number(vector.timestamp),
  nonce: vector.nonce,
};

describe("test vector", () => {
  it("matches Node's own crypto", () => {
    const secret = Buffer.from(vector.secret, "base64url");
    const bodyHash = createHash("sha256").update(vector.body).digest("hex");
    const signature = createHmac("sha256", secret).update(vector.canonical_request).digest("hex");

    expect(secret).toEqual(Buffer.from(Array.from({ length: 32 }, (_, i) => i)));
    expect(bodyHash).toBe(vector.body_sha256);
    expect(vector.canonical_request.endsWith(bodyHash)).toBe(true);
    expect(signature).toBe(vector.signature);
  });

  it("is reproduced by the TypeScript module", async () => {
    const signed = await typescriptClient.signRequest(signOptions);
    expect(signed.canonicalRequest).toBe(vector.canonical_request);
    expect(signed.signature).toBe(vector.signature);
    expect(signed.headers.Authorization).toBe(vector.authorization);
    expect(signed.headers["Content-Type"]).toBe(vector.content_type);
  });

  it("is reproduced by the generated module the CLI imports", async () => {
    const generated = (await import(`${CLIENT_DIR}/sign-request.mjs`)) as typeof typescriptClient;
    const signed = await generated.signRequest(signOptions);
    expect(signed.canonicalRequest).toBe(vector.canonical_request);
    expect(signed.headers.Authorization).toBe(vector.authorization);
  });

  it("is reproduced by the CLI", () => {
    const result = runCli([
      "--dry-run",
      "--timestamp",
      vector.timestamp,
      "--nonce",
      vector.nonce,
      "--subject",
      "u42",
      "--duration-seconds",
      "900",
      vector.url,
    ]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(expectedDryRun());
  });

  it("is reproduced by the shell recipe", () => {
    const result = runShell([vector.url, vector.body], {
      ...vectorEnv(),
      COZE_TOKEN_DRY_RUN: "1",
      COZE_TOKEN_TIMESTAMP: vector.timestamp,
      COZE_TOKEN_NONCE: vector.nonce,
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(expectedDryRun());
  });

  it("is accepted by the Worker's verifier", () => {
    const url = new URL(vector.url);
    const body = new TextEncoder().encode(vector.body);
    const credential = {
      caller: vector.caller,
      keyId: vector.key_id,
      timestamp: vector.timestamp,
      nonce: vector.nonce,
      signature: vector.signature,
    };
    const facts = {
      credential,
      host: url.host,
      method: vector.method,
      path: url.pathname,
      query: "",
      contentType: vector.content_type,
      body,
    };
    const keys = new Map([
      [
        vector.caller,
        new Map([[vector.key_id, new Uint8Array(Buffer.from(vector.secret, "base64url"))]]),
      ],
    ]);

    expect(buildCanonicalRequest({ ...credential, ...facts })).toBe(vector.canonical_request);
    expect(verifySignedRequest(facts, keys, Number(vector.timestamp))).toEqual({ ok: true });
    expect(verifySignedRequest(facts, keys, Number(vector.timestamp) + 301).ok).toBe(false);
    const tampered = {
      ...facts,
      body: new TextEncoder().encode(vector.body.replace("u42", "u43")),
    };
    expect(verifySignedRequest(tampered, keys, Number(vector.timestamp))).toEqual({
      ok: false,
      reason: "signature_mismatch",
    });
  });
});

describe("generated module", () => {
  it("is up to date with sign-request.ts", () => {
    const result = spawnSync(process.execPath, [`${CLIENT_DIR}/build.mjs`, "--check"], {
      cwd: REPO,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
});

describe("CLI usage", () => {
  it("prints help", () => {
    const result = runCli(["--help"], { PATH: process.env.PATH });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("COZE_TOKEN_SECRET");
  });

  it("signs a fresh nonce and timestamp each run", () => {
    const first = runCli(["--dry-run", vector.url]).stdout.split("\n");
    const second = runCli(["--dry-run", vector.url]).stdout.split("\n");
    expect(first[4]).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(first[4]).not.toBe(second[4]);
    expect(Math.abs(Number(first[3]) - Date.now() / 1000)).toBeLessThan(10);
  });

  it("never prints the secret", () => {
    const result = runCli(["--dry-run", "--subject", "u1", vector.url]);
    expect(result.stdout + result.stderr).not.toContain(vector.secret);
  });

  const errors: Array<[string, string[], NodeJS.ProcessEnv | undefined, RegExp]> = [
    ["no URL", [], undefined, /exactly one URL/],
    ["two URLs", [vector.url, vector.url], undefined, /exactly one URL/],
    [
      "a missing secret",
      [vector.url],
      { ...vectorEnv(), COZE_TOKEN_SECRET: "" },
      /COZE_TOKEN_SECRET is not set/,
    ],
    [
      "a missing caller",
      [vector.url],
      { ...vectorEnv(), COZE_TOKEN_CALLER: undefined },
      /COZE_TOKEN_CALLER is not set/,
    ],
    [
      "a fixed nonce without --dry-run",
      ["--nonce", vector.nonce, vector.url],
      undefined,
      /only with --dry-run/,
    ],
    ["a URL with a query", [`${vector.url}?a=1`], undefined, /no query/],
    [
      "an invalid caller id",
      [vector.url],
      { ...vectorEnv(), COZE_TOKEN_CALLER: "Alice" },
      /caller is invalid/,
    ],
    ["a fractional duration", ["--duration-seconds", "1.5", vector.url], undefined, /whole number/],
    ["an unknown option", ["--user", "u1", vector.url], undefined, /Unknown option/],
  ];
  for (const [name, args, env, message] of errors) {
    it(`exits with 2 for ${name}`, () => {
      const result = runCli(args, env);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(message);
    });
  }
});

describe("shell recipe usage", () => {
  it("exits with 2 for a URL with a query", () => {
    const result = runShell([`${vector.url}?a=1`], vectorEnv());
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/no query/);
  });

  it("fails without a secret", () => {
    const result = runShell([vector.url], { ...vectorEnv(), COZE_TOKEN_SECRET: undefined });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/COZE_TOKEN_SECRET is not set/);
  });

  it("rejects a fixed nonce outside a dry run", () => {
    const result = runShell([vector.url], { ...vectorEnv(), COZE_TOKEN_NONCE: vector.nonce });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/only with COZE_TOKEN_DRY_RUN=1/);
  });

  it("drops the default port and lowercases the host as a URL parser does", () => {
    const result = runShell(["https://Tokens.Example.COM:443/v1/token", vector.body], {
      ...vectorEnv(),
      COZE_TOKEN_DRY_RUN: "1",
      COZE_TOKEN_TIMESTAMP: vector.timestamp,
      COZE_TOKEN_NONCE: vector.nonce,
    });
    expect(result.stdout).toBe(expectedDryRun());
  });
});
