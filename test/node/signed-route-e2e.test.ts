/**
 * The signed public route over real HTTP: the Coze emulator and the token Worker each run under
 * `wrangler dev` on 127.0.0.1, and the command-line client and the shell recipe get tokens from
 * the Worker. The Worker's settings come from a temporary env file (so the repository's own
 * `.dev.vars` is neither read nor written) and its Durable Object storage lives in a temporary
 * directory. Every process started here is stopped in afterAll.
 */

import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { generateThrowawayCredentials } from "../../scripts/lib/keys.mjs";
import { findFreePort } from "../../scripts/lib/net.mjs";
import {
  STARTUP_TIMEOUT_MS,
  type WranglerProcess,
  startWrangler,
} from "../helpers/wrangler-process";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(REPO, "callers/signing-client/cli.mjs");
const RECIPE = join(REPO, "callers/signing-client/sign-request.sh");
const TOKEN_PATH = "/api/permission/oauth2/token";
const CALLER = "e2e-cli";

interface TokenAnswer {
  access_token: string;
  expires_in: number;
  token_type: string;
  session_name: string;
}

/** Quotes a value for a dotenv file: single quotes keep JSON as it is. */
function dotenvLine(name: string, value: string): string {
  if (value.includes("\n")) return `${name}="${value.trimEnd().replace(/\n/g, "\\n")}"`;
  if (value.includes("'")) throw new Error(`${name} cannot be single-quoted`);
  return `${name}='${value}'`;
}

describe("signed route over HTTP", () => {
  const processes: WranglerProcess[] = [];
  const secret = randomBytes(32).toString("base64url");
  let worker: WranglerProcess;
  let dir: string;
  let routeUrl: string;
  let emulatorUrl: string;

  function clientEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      COZE_TOKEN_CALLER: CALLER,
      COZE_TOKEN_KEY_ID: "k1",
      COZE_TOKEN_SECRET: secret,
      ...overrides,
    };
  }

  function runCli(args: string[], env = clientEnv()) {
    return spawnSync(process.execPath, [CLI, ...args], { env, encoding: "utf8", timeout: 60_000 });
  }

  async function sessionAtCoze(accessToken: string): Promise<string | null> {
    const response = await fetch(`${emulatorUrl}/v1/users/me`, {
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    return response.headers.get("X-Emulator-Session-Name");
  }

  beforeAll(
    async () => {
      dir = mkdtempSync(join(tmpdir(), "coze-signed-e2e-"));
      const credentials = generateThrowawayCredentials();
      const emulatorPort = await findFreePort();
      const workerPort = await findFreePort();
      emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
      routeUrl = `http://127.0.0.1:${workerPort}/v1/token`;

      const clients = [
        {
          client_id: credentials.clientId,
          kid: credentials.kid,
          public_key: credentials.publicKeyPem,
        },
      ];
      const emulatorArgs = ["--var", `EMULATOR_CLIENTS:${JSON.stringify(clients)}`];
      processes.push(
        await startWrangler("test/emulator/wrangler.toml", emulatorPort, emulatorArgs),
      );

      const settings = {
        CLIENT_ID: credentials.clientId,
        KID: credentials.kid,
        PRIVATE_KEY: credentials.privateKeyPem,
        TOKEN_ENDPOINT: `${emulatorUrl}${TOKEN_PATH}`,
        CALLER_POLICY: JSON.stringify({ callers: { [CALLER]: { subjects: true } } }),
        PUBLIC_ROUTE: "on",
        PUBLIC_HOST: `127.0.0.1:${workerPort}`,
        CALLER_KEYS: JSON.stringify({ [CALLER]: { k1: secret } }),
      };
      const envFile = join(dir, "token-worker.env");
      const lines = Object.entries(settings).map(([name, value]) => dotenvLine(name, value));
      writeFileSync(envFile, `${lines.join("\n")}\n`, { mode: 0o600 });
      const workerArgs = ["--env-file", envFile, "--persist-to", join(dir, "state")];
      worker = await startWrangler("wrangler.toml", workerPort, workerArgs);
      processes.push(worker);
    },
    2 * STARTUP_TIMEOUT_MS + 10_000,
  );

  afterAll(async () => {
    await Promise.all(processes.map((started) => started.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("gives the CLI a token for caller:subject that Coze accepts", async () => {
    const result = runCli(["--subject", "u1", "--duration-seconds", "600", routeUrl]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);

    const answer = JSON.parse(result.stdout) as TokenAnswer;
    expect(answer.token_type).toBe("Bearer");
    expect(answer.session_name).toBe(`${CALLER}:u1`);
    expect(answer.expires_in).toBeGreaterThan(Date.now() / 1000 + 500);
    expect(answer.expires_in).toBeLessThanOrEqual(Date.now() / 1000 + 610);
    expect(await sessionAtCoze(answer.access_token)).toBe(`${CALLER}:u1`);
  });

  it("gives the shell recipe a token for the caller's own session", async () => {
    const result = spawnSync("bash", [RECIPE, routeUrl, "{}"], {
      env: clientEnv(),
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const answer = JSON.parse(result.stdout) as TokenAnswer;
    expect(answer.session_name).toBe(CALLER);
    expect(await sessionAtCoze(answer.access_token)).toBe(CALLER);
  });

  it("rejects a replayed request", async () => {
    const signed = runCli(["--dry-run", routeUrl]).stdout.split("\n");
    const authorization = signed.find((line) => line.startsWith("Authorization: "))!.slice(15);
    const send = () =>
      fetch(routeUrl, {
        method: "POST",
        headers: { Authorization: authorization, "Content-Type": "application/json" },
        body: "{}",
      });
    const first = await send();
    const second = await send();

    expect(first.status).toBe(200);
    expect(second.status).toBe(401);
    expect(second.headers.get("WWW-Authenticate")).toBe("COZE-TOKEN-HMAC-SHA256");
    expect(second.headers.get("Cache-Control")).toBe("no-store");
    expect(second.headers.get("Date")).not.toBeNull();
  });

  it("makes the CLI exit with 1 on a wrong secret", () => {
    const wrong = randomBytes(32).toString("base64url");
    const result = runCli([routeUrl], clientEnv({ COZE_TOKEN_SECRET: wrong }));
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^HTTP 401: .*UNAUTHENTICATED/);
  });

  it("answers 404 on other paths", async () => {
    const response = await fetch(routeUrl.replace("/v1/token", "/"), { method: "POST" });
    expect(response.status).toBe(404);
  });

  it("logs no secret", () => {
    const log = worker.output.join("");
    expect(log).toContain("signed_request_rejected");
    expect(log).not.toContain(secret);
    expect(log).not.toMatch(/czs_[A-Za-z0-9_-]{8,}/);
  });
});
