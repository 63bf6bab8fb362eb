/**
 * Attacks on the signed public route that only raw HTTP can send: repeated and folded headers and
 * chunked bodies. The Coze emulator and the token
 * Worker run under `wrangler dev` on 127.0.0.1, and each request is written byte for byte to a
 * TCP socket. Every process started here is stopped in afterAll.
 *
 * NOTE: a Content-Length shorter than the bytes sent is not tested here. wrangler's local proxy
 * sometimes answers the leftover bytes with its own error page first, which made the test flaky.
 */

import { createHash, createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { generateThrowawayCredentials } from "../../scripts/lib/keys.mjs";
import { findFreePort } from "../../scripts/lib/net.mjs";
import {
  STARTUP_TIMEOUT_MS,
  type WranglerProcess,
  startWrangler,
} from "../helpers/wrangler-process";

/** Time one raw request may take before the test stops waiting for the response. */
const RESPONSE_TIMEOUT_MS = 10_000;
const CALLER = "raw-http";
const SCHEME = "COZE-TOKEN-HMAC-SHA256";

/** The status code and body text of a complete raw HTTP response. */
interface RawResponse {
  readonly status: number;
  readonly text: string;
}

/**
 * Returns the response in `received` once all of it has arrived, or `undefined` before then. The
 * local server does not always close the connection after "Connection: close", so the end of the
 * body is found from Content-Length or the last chunk.
 */
function completeResponse(received: string): RawResponse | undefined {
  const headEnd = received.indexOf("\r\n\r\n");
  if (headEnd < 0) return undefined;
  const head = received.slice(0, headEnd);
  const body = received.slice(headEnd + 4);
  const status = Number(head.split(" ")[1]);
  if (/^transfer-encoding: *chunked$/im.test(head)) {
    if (!body.endsWith("0\r\n\r\n")) return undefined;
    const text = body.replace(/^[0-9a-f]+\r\n/gim, "").replace(/\r\n/g, "");
    return { status, text };
  }
  const length = /^content-length: *(\d+)$/im.exec(head);
  if (length === null) return undefined;
  if (Buffer.byteLength(body) < Number(length[1])) return undefined;
  return { status, text: body };
}

/** Writes `request` to a new connection and returns the server's complete response. */
function sendRaw(port: number, request: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete response within ${RESPONSE_TIMEOUT_MS} ms: ${received}`));
    }, RESPONSE_TIMEOUT_MS);
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString();
      const response = completeResponse(received);
      if (response === undefined) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(response);
    });
    socket.on("error", reject);
    socket.on("connect", () => socket.write(request));
  });
}

function chunked(body: string): string {
  return `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
}

describe("signed route over raw HTTP", { timeout: 2 * RESPONSE_TIMEOUT_MS }, () => {
  const processes: WranglerProcess[] = [];
  const secret = randomBytes(32).toString("base64url");
  let dir: string;
  let port: number;
  let host: string;
  let worker: WranglerProcess;

  /** Returns a valid Authorization value for `body`, signed for raw-http/k1 now. */
  function authorization(body: string): string {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(16).toString("base64url");
    const bodyHash = createHash("sha256").update(body).digest("hex");
    const canonical = [SCHEME, CALLER, "k1", timestamp, nonce, "POST", host, "/v1/token", ""];
    canonical.push("application/json", bodyHash);
    const signature = createHmac("sha256", Buffer.from(secret, "base64url"))
      .update(canonical.join("\n"))
      .digest("hex");
    return (
      `${SCHEME} Credential=${CALLER}/k1, Timestamp=${timestamp}, Nonce=${nonce}, ` +
      `Signature=${signature}`
    );
  }

  /** Builds a POST /v1/token request from header lines and the raw bytes after them. */
  function request(headers: string[], rest: string): string {
    const lines = ["POST /v1/token HTTP/1.1", `Host: ${host}`, ...headers, "Connection: close"];
    return `${lines.join("\r\n")}\r\n\r\n${rest}`;
  }

  async function send(headers: string[], rest: string) {
    const response = await sendRaw(port, request(headers, rest));
    return { status: response.status, body: JSON.parse(response.text) as Record<string, unknown> };
  }

  beforeAll(
    async () => {
      dir = mkdtempSync(join(tmpdir(), "coze-raw-http-"));
      const credentials = generateThrowawayCredentials();
      const emulatorPort = await findFreePort();
      port = await findFreePort();
      host = `127.0.0.1:${port}`;

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

      // PRIVATE_KEY as its base64 body on one line, which the Worker accepts without PEM lines.
      const privateKeyBody = credentials.privateKeyPem.replace(/-----[A-Z ]+-----|\s/g, "");
      const settings: Record<string, string> = {
        CLIENT_ID: credentials.clientId,
        KID: credentials.kid,
        PRIVATE_KEY: privateKeyBody,
        TOKEN_ENDPOINT: `http://127.0.0.1:${emulatorPort}/api/permission/oauth2/token`,
        CALLER_POLICY: JSON.stringify({ callers: { [CALLER]: { subjects: true } } }),
        PUBLIC_ROUTE: "on",
        PUBLIC_HOST: host,
        CALLER_KEYS: JSON.stringify({ [CALLER]: { k1: secret } }),
      };
      const envFile = join(dir, "token-worker.env");
      const lines = Object.entries(settings).map(([name, value]) => `${name}='${value}'`);
      writeFileSync(envFile, `${lines.join("\n")}\n`, { mode: 0o600 });
      const workerArgs = ["--env-file", envFile, "--persist-to", join(dir, "state")];
      worker = await startWrangler("wrangler.toml", port, workerArgs);
      processes.push(worker);
    },
    2 * STARTUP_TIMEOUT_MS + 10_000,
  );

  afterAll(async () => {
    await Promise.all(processes.map((started) => started.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("issues a token to a valid request", async () => {
    const response = await send(
      [
        `Authorization: ${authorization("{}")}`,
        "Content-Type: application/json",
        "Content-Length: 2",
      ],
      "{}",
    );
    expect(response.status).toBe(200);
    expect(response.body.session_name).toBe(CALLER);
  });

  it("rejects two Authorization headers that are each valid", async () => {
    const response = await send(
      [
        `Authorization: ${authorization("{}")}`,
        `Authorization: ${authorization("{}")}`,
        "Content-Type: application/json",
        "Content-Length: 2",
      ],
      "{}",
    );
    expect(response.status).toBe(401);
    expect((response.body.error as { code: string }).code).toBe("UNAUTHENTICATED");
  });

  it("rejects an Authorization header folded over two lines", async () => {
    const value = authorization("{}");
    const split = value.indexOf(", Timestamp=");
    const folded = [`Authorization: ${value.slice(0, split + 1)}`, ` ${value.slice(split + 2)}`];
    const response = await send(
      [...folded, "Content-Type: application/json", "Content-Length: 2"],
      "{}",
    );
    expect(response.status).toBe(401);
  });

  it("rejects a tab after the scheme label", async () => {
    const value = authorization("{}").replace(`${SCHEME} `, `${SCHEME}\t`);
    const response = await send(
      [`Authorization: ${value}`, "Content-Type: application/json", "Content-Length: 2"],
      "{}",
    );
    expect(response.status).toBe(401);
  });

  it("rejects a 100 KB Authorization header", async () => {
    const value = authorization("{}") + "0".repeat(100_000);
    const response = await send(
      [`Authorization: ${value}`, "Content-Type: application/json", "Content-Length: 2"],
      "{}",
    );
    expect(response.status).toBe(401);
  });

  it("accepts lowercase header names", async () => {
    const response = await send(
      [
        `authorization: ${authorization("{}")}`,
        "content-type: application/json",
        "content-length: 2",
      ],
      "{}",
    );
    expect(response.status).toBe(200);
  });

  it("accepts a signed chunked body", async () => {
    const body = '{"subject":"chunked"}';
    const response = await send(
      [
        `Authorization: ${authorization(body)}`,
        "Content-Type: application/json",
        "Transfer-Encoding: chunked",
      ],
      chunked(body),
    );
    expect(response.status).toBe(200);
    expect(response.body.session_name).toBe(`${CALLER}:chunked`);
  });

  it("answers 413 to a chunked body over the cap", async () => {
    const body = JSON.stringify({ subject: "big", padding: "x".repeat(2000) });
    const response = await send(
      [
        `Authorization: ${authorization(body)}`,
        "Content-Type: application/json",
        "Transfer-Encoding: chunked",
      ],
      chunked(body),
    );
    expect(response.status).toBe(413);
    expect((response.body.error as { code: string }).code).toBe("BODY_TOO_LARGE");
  });

  it("logs no secret and no token", () => {
    const log = worker.output.join("");
    expect(log).toContain("signed_request_rejected");
    expect(log).not.toContain(secret);
    expect(log).not.toMatch(/czs_[A-Za-z0-9_-]{8,}/);
    expect(log).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\.eyJ/);
  });
});
