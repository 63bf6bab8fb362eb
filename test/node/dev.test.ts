/**
 * Checks the throwaway `.dev.vars` that `npm run dev` writes, and runs `node scripts/dev.mjs` as a
 * user would on a fresh clone. The run uses free ports and a temporary copy of the files the
 * script needs, so no `.dev.vars` exists there and none is written into the repository. It curls
 * the example caller, checks the session names and the emulator's records, then sends Ctrl-C
 * (SIGINT) and checks that no process it started is left.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import {
  cpSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createThrowawayDevVars, readDevVars } from "../../scripts/lib/dev-vars.mjs";
import { publicKeyFromPrivate } from "../../scripts/lib/keys.mjs";
import { findFreePort } from "../../scripts/lib/net.mjs";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
/** What `npm run dev` reads: the package, both Workers, the emulator and the scripts. */
const COPIED = [
  "package.json",
  "tsconfig.json",
  "wrangler.toml",
  "src",
  "callers",
  "scripts",
  "test/emulator",
];
/** Startup of wrangler takes several seconds per process on a small machine, so allow plenty. */
const STARTUP_TIMEOUT_MS = 180_000;
const TOKEN_PATH = "/api/permission/oauth2/token";

interface ExampleCallerAnswer {
  sessionName: string;
  cached: boolean;
  coze: { status: number; code: number; emulatorSessionName?: string };
}

/** Copies the files `npm run dev` uses into a new temporary directory, without any .dev.vars. */
function copyRepository(): string {
  const dir = mkdtempSync(join(tmpdir(), "coze-dev-test-"));
  const skip = /(^|\/)(\.dev\.vars[^/]*|\.wrangler|node_modules)$/;
  for (const path of COPIED) {
    cpSync(join(REPO, path), join(dir, path), {
      recursive: true,
      filter: (source) => !skip.test(source),
    });
  }
  symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

/** Returns the ids of running processes whose working directory is inside `dir`. */
function processesIn(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) found.push(Number(entry));
    } catch {
      // The process ended while the list was read, or belongs to another user.
    }
  }
  return found;
}

/** Resolves to whether something accepts TCP connections on 127.0.0.1:`port`. */
function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("npm run dev", () => {
  let dir: string;
  let dev: ChildProcess;
  let output = "";
  let exited: Promise<number | null>;
  let callerPort: number;
  let emulatorPort: number;

  beforeAll(async () => {
    dir = copyRepository();
    callerPort = await findFreePort();
    emulatorPort = await findFreePort();
    dev = spawn(process.execPath, ["scripts/dev.mjs"], {
      cwd: dir,
      // A group of its own, so afterAll can stop everything if the script fails to.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        DEV_PORT: String(callerPort),
        DEV_EMULATOR_PORT: String(emulatorPort),
      },
    });
    dev.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    dev.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise((resolve) => dev.once("exit", (code) => resolve(code)));

    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (!output.includes("Ready.")) {
      if (dev.exitCode !== null || Date.now() > deadline) {
        throw new Error(`scripts/dev.mjs did not become ready. Output:\n${output}`);
      }
      await sleep(250);
    }
  }, STARTUP_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    if (dev?.pid !== undefined && dev.exitCode === null) {
      process.kill(-dev.pid, "SIGKILL");
    }
    // Anything still running in the copy was started by this test.
    for (const pid of dir ? processesIn(dir) : []) process.kill(pid, "SIGKILL");
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it("writes throwaway credentials to a new .dev.vars", () => {
    const text = readFileSync(join(dir, ".dev.vars"), "utf8");
    expect(output).toContain("THROWAWAY LOCAL CREDENTIALS");
    expect(text).toMatch(/^CLIENT_ID="\d+"$/m);
    expect(text).toMatch(/^KID="local-[0-9a-f]{16}"$/m);
    expect(text).toMatch(
      /^PRIVATE_KEY="-----BEGIN PRIVATE KEY-----\\n[^"]+-----END PRIVATE KEY-----"$/m,
    );
    expect(text).toContain(`TOKEN_ENDPOINT="http://127.0.0.1:${emulatorPort}${TOKEN_PATH}"`);
    expect(statSync(join(dir, ".dev.vars")).mode & 0o077).toBe(0);
  });

  it("prints the curl commands for the caller's port", () => {
    expect(output).toContain(`curl http://127.0.0.1:${callerPort}/token`);
    expect(output).toContain(`curl "http://127.0.0.1:${callerPort}/token?subject=u1"`);
  });

  it("issues a token for the caller's own session", async () => {
    const response = await fetch(`http://127.0.0.1:${callerPort}/token`);
    const body = (await response.json()) as ExampleCallerAnswer;
    expect(response.status).toBe(200);
    expect(body.sessionName).toBe("example-caller");
    expect(body.coze.status).toBe(200);
    expect(body.coze.emulatorSessionName).toBe("example-caller");
  });

  it("issues a token for an end user's session", async () => {
    const response = await fetch(`http://127.0.0.1:${callerPort}/token?subject=u1`);
    const body = (await response.json()) as ExampleCallerAnswer;
    expect(response.status).toBe(200);
    expect(body.sessionName).toBe("example-caller:u1");
    expect(body.coze.status).toBe(200);
    expect(body.coze.emulatorSessionName).toBe("example-caller:u1");
  });

  it("serves a repeated request from the cache", async () => {
    const response = await fetch(`http://127.0.0.1:${callerPort}/token?subject=u1`);
    const body = (await response.json()) as ExampleCallerAnswer;
    expect(body.sessionName).toBe("example-caller:u1");
    expect(body.cached).toBe(true);
  });

  it("mints both tokens with the .dev.vars key", async () => {
    const vars = readDevVars(join(dir, ".dev.vars"));
    const clientId = encodeURIComponent(vars?.CLIENT_ID ?? "");
    const response = await fetch(
      `http://127.0.0.1:${emulatorPort}/__emulator/stats?client_id=${clientId}`,
    );
    const stats = (await response.json()) as {
      issued: number;
      tokens: { session_name?: string; kid: string }[];
    };
    expect(stats.issued).toBe(2);
    expect(stats.tokens.map((token) => token.session_name)).toEqual([
      "example-caller",
      "example-caller:u1",
    ]);
    expect(stats.tokens.every((token) => token.kid === vars?.KID)).toBe(true);
  });

  it("stops every process on Ctrl-C", async () => {
    const pidsBefore = processesIn(dir);
    expect(pidsBefore.length).toBeGreaterThan(2);

    dev.kill("SIGINT");
    const code = await Promise.race([exited, sleep(30_000).then(() => "timeout")]);
    expect(code).toBe(0);
    expect(output).toContain("[dev] Stopped.");

    await sleep(500);
    expect(processesIn(dir)).toEqual([]);
    expect(await isListening(callerPort)).toBe(false);
    expect(await isListening(emulatorPort)).toBe(false);
  }, 40_000);
});

describe("throwaway .dev.vars", () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "coze-dev-vars-test-"));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("never overwrites an existing file", () => {
    const path = join(dir, "existing.dev.vars");
    createThrowawayDevVars(path, 8788);
    const before = readFileSync(path, "utf8");
    expect(() => createThrowawayDevVars(path, 9999)).toThrow(
      expect.objectContaining({ code: "EEXIST" }),
    );
    expect(readFileSync(path, "utf8")).toBe(before);
  });

  it("reads back as a working RSA key pair", () => {
    const path = join(dir, "pair.dev.vars");
    const written = createThrowawayDevVars(path, 8788);
    const vars = readDevVars(path);
    expect(vars?.PRIVATE_KEY).toBe(written.PRIVATE_KEY.trimEnd());
    expect(vars?.PRIVATE_KEY).toContain("\n");

    const privateKey = createPrivateKey(vars?.PRIVATE_KEY ?? "");
    const publicKey = createPublicKey(publicKeyFromPrivate(vars?.PRIVATE_KEY ?? "", path));
    const signature = sign("sha256", Buffer.from("payload"), privateKey);
    expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(verify("sha256", Buffer.from("payload"), publicKey, signature)).toBe(true);
  });

  it("is read the same way by wrangler", async () => {
    const path = join(dir, ".dev.vars");
    const written = createThrowawayDevVars(path, 8788);
    const { unstable_getVarsForDev: getVarsForDev } = await import("wrangler");
    const vars = getVarsForDev(join(dir, "wrangler.toml"), undefined, {}, undefined, true);
    expect(vars.CLIENT_ID).toEqual({ type: "secret_text", value: written.CLIENT_ID });
    expect(vars.KID).toEqual({ type: "secret_text", value: written.KID });
    expect(vars.PRIVATE_KEY).toEqual({ type: "secret_text", value: written.PRIVATE_KEY.trimEnd() });
    expect(vars.TOKEN_ENDPOINT).toEqual({ type: "secret_text", value: written.TOKEN_ENDPOINT });
  }, 30_000);
});
