/**
 * The signed public route end to end in workerd. Verified callers get tokens through the real
 * fetch handler, the replay ledger Durable Object and the Coze emulator. The tests also cover
 * every status the route returns, and the route staying off unless configured.
 */

import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

import type { TokenWorker } from "../../src/entrypoint";
import { TokenWorkerError } from "../../src/errors";
import { handleHttpRequest } from "../../src/http/public-route";
import { errorResponse } from "../../src/http/responses";
import {
  type ErrorBody,
  type TokenBody,
  nowSeconds,
  secretOf,
  send,
  sendSigned,
  signedParts,
  withHeader,
} from "../helpers/signing";
import { capturedLogLines } from "../setup/no-secrets-in-logs";

/** The app the token Worker under test is configured for, in vitest.config.ts. */
const TEST_CLIENT_ID = "1000000001";

interface EmulatorRecord {
  session_name?: string;
  duration_seconds: number;
}

async function issuedSessions(): Promise<EmulatorRecord[]> {
  const response = await fetch(`https://api.coze.cn/__emulator/stats?client_id=${TEST_CLIENT_ID}`);
  return ((await response.json()) as { tokens: EmulatorRecord[] }).tokens;
}

function expectCommonHeaders(response: Response): void {
  expect(response.headers.get("Cache-Control")).toBe("no-store");
  const date = Date.parse(response.headers.get("Date") ?? "");
  expect(Number.isNaN(date)).toBe(false);
  expect(Math.abs(date - Date.now())).toBeLessThan(5_000);
}

async function errorOf(response: Response): Promise<ErrorBody["error"]> {
  return ((await response.json()) as ErrorBody).error;
}

describe("signed route: tokens", () => {
  it("issues a token for the caller's own session", async () => {
    const response = await sendSigned({ body: "{}" });
    const body = (await response.json()) as TokenBody;

    expect(response.status).toBe(200);
    expectCommonHeaders(response);
    expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(Object.keys(body).sort()).toEqual([
      "access_token",
      "expires_in",
      "session_name",
      "token_type",
    ]);
    expect(body.token_type).toBe("Bearer");
    expect(body.session_name).toBe("alice");
    expect(body.access_token.length).toBeGreaterThan(10);
    expect(body.expires_in).toBeGreaterThan(nowSeconds());
  });

  it("issues a token for caller:subject with the requested duration", async () => {
    const response = await sendSigned({ body: '{"subject":"u42","duration_seconds":600}' });
    const body = (await response.json()) as TokenBody;

    expect(response.status).toBe(200);
    expect(body.session_name).toBe("alice:u42");
    const record = (await issuedSessions()).findLast((r) => r.session_name === "alice:u42");
    expect(record?.duration_seconds).toBe(600);
  });

  it("accepts the caller's second key", async () => {
    const response = await sendSigned({ keyId: "k2", body: '{"subject":"via-k2"}' });
    expect(response.status).toBe(200);
    expect(((await response.json()) as TokenBody).session_name).toBe("alice:via-k2");
  });

  it("accepts a caller field naming the signer", async () => {
    const response = await sendSigned({ body: '{"caller":"alice","subject":"u7"}' });
    expect(response.status).toBe(200);
  });

  it("writes an audit record on the http channel", async () => {
    const response = await sendSigned({ body: '{"subject":"audited-http"}' });
    const { access_token: token } = (await response.json()) as TokenBody;
    const line = capturedLogLines().find(
      (entry) => entry.includes('"token_issued"') && entry.includes('"alice:audited-http"'),
    );
    expect(line).toContain('"channel":"http"');
    expect(line).not.toContain(token);
  });

  it("answers 403 when the caller's policy denies it", async () => {
    const response = await sendSigned({ caller: "denied", body: "{}" });
    expect(response.status).toBe(403);
    expectCommonHeaders(response);
    expect((await errorOf(response)).code).toBe("POLICY_DENIED");
  });
});

describe("signed route: statuses", () => {
  for (const [method, path] of [
    ["POST", "/"],
    ["POST", "/token"],
    ["GET", "/health"],
    ["POST", "/v1/tokens"],
  ] as const) {
    it(`answers 404 to ${method} ${path}`, async () => {
      const parts = await signedParts({ url: `https://tokens.example.test${path}` });
      const response = await send({ ...parts, method });
      expect(response.status).toBe(404);
      expectCommonHeaders(response);
      expect((await errorOf(response)).code).toBe("NOT_FOUND");
    });
  }

  for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
    it(`answers 405 with Allow to ${method}`, async () => {
      const response = await send({ ...(await signedParts()), method });
      expect(response.status).toBe(405);
      expect(response.headers.get("Allow")).toBe("POST");
      expectCommonHeaders(response);
    });
  }

  const mediaTypes = ["text/plain", "application/json; charset=utf-8", "Application/JSON", ""];
  for (const type of mediaTypes) {
    it(`answers 415 to Content-Type "${type}"`, async () => {
      const response = await send(
        withHeader(await signedParts({ contentType: type || undefined }), "Content-Type", type),
      );
      expect(response.status).toBe(415);
      expectCommonHeaders(response);
      expect((await errorOf(response)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
    });
  }

  it("answers 415 without a Content-Type", async () => {
    const parts = await signedParts();
    const headers = parts.headers.filter(([name]) => name !== "Content-Type");
    const response = await send({ ...parts, headers });
    expect(response.status).toBe(415);
  });

  const badBodies: Array<[string, string, string]> = [
    ["an unknown field", '{"user":"u1"}', "BODY_INVALID"],
    ["a caller field naming another caller", '{"caller":"mallory"}', "BODY_INVALID"],
    ["invalid JSON", '{"subject":', "BODY_INVALID"],
    ["a JSON array", "[]", "BODY_INVALID"],
    ["an empty body", "", "BODY_INVALID"],
    ["a byte order mark", '\uFEFF{"subject":"u1"}', "BODY_INVALID"],
    ["a subject with a space", '{"subject":"a b"}', "SUBJECT_INVALID"],
    ["a null subject", '{"subject":null}', "SUBJECT_INVALID"],
    ["a duration as a string", '{"duration_seconds":"900"}', "DURATION_INVALID"],
    ["a fractional duration", '{"duration_seconds":900.5}', "DURATION_INVALID"],
    ["a duration over 86399", '{"duration_seconds":86400}', "DURATION_INVALID"],
  ];
  for (const [name, body, code] of badBodies) {
    it(`answers 400 to ${name}`, async () => {
      const response = await sendSigned({ body });
      expect(response.status).toBe(400);
      expectCommonHeaders(response);
      expect((await errorOf(response)).code).toBe(code);
    });
  }

  it("answers 400 to invalid UTF-8", async () => {
    const body = new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]);
    const response = await sendSigned({ body });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe("BODY_INVALID");
  });

  it("answers 400 to an X-User-ID header", async () => {
    const parts = await signedParts();
    const response = await send({ ...parts, headers: [...parts.headers, ["X-User-ID", "u1"]] });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe("ARGUMENT_INVALID");
    expect(error.message).toContain('"subject"');
  });

  it("answers every authentication failure with the same 401", async () => {
    const valid = await signedParts();
    const failures = [
      withHeader(valid, "Authorization", "Bearer x"),
      { ...valid, headers: valid.headers.filter(([name]) => name !== "Authorization") },
      await signedParts({ now: nowSeconds() - 1000 }),
      await signedParts({ keyId: "k9", secret: secretOf("alice") }),
      await signedParts({ secret: secretOf("mallory") }),
    ];
    const bodies = new Set<string>();
    for (const parts of failures) {
      const response = await send(parts);
      expect(response.status).toBe(401);
      expect(response.headers.get("WWW-Authenticate")).toBe("COZE-TOKEN-HMAC-SHA256");
      expectCommonHeaders(response);
      const error = await errorOf(response);
      expect(error.code).toBe("UNAUTHENTICATED");
      bodies.add(JSON.stringify({ ...error, request_id: undefined }));
    }
    expect(bodies.size).toBe(1);
  });

  it("logs the reason of a 401 without the signature", async () => {
    const parts = await signedParts({ secret: secretOf("mallory") });
    const signature = /Signature=([0-9a-f]{64})/.exec(parts.headers[0]![1])![1]!;
    const response = await send(parts);
    const { request_id: requestId } = await errorOf(response);
    const line = capturedLogLines().find((entry) => entry.includes(requestId ?? "none"));

    expect(line).toContain('"signature_mismatch"');
    expect(line).toContain('"caller":"alice"');
    expect(line).not.toContain(signature);
    expect(line).not.toContain("COZE-TOKEN-HMAC-SHA256\n");
  });
});

describe("signed route: error responses", () => {
  it("sets Retry-After from the error", async () => {
    const error = new TokenWorkerError("RATE_LIMITED", "Too many requests.", {
      retryAfterSeconds: 60,
    });
    const response = errorResponse(error, "request-1");
    const body = await errorOf(response);

    expect(response.status).toBe(429);
    expect(response.headers.get("Retry-After")).toBe("60");
    expect(body.code).toBe("RATE_LIMITED");
    expect(body.request_id).toBe("request-1");
  });

  it("hides the message of a configuration error", async () => {
    const error = new TokenWorkerError("CONFIG_INVALID", "CALLER_KEYS has a bad secret for a/k1.");
    const body = await errorOf(errorResponse(error, "request-2"));

    expect(body.code).toBe("CONFIG_INVALID");
    expect(body.message).not.toContain("CALLER_KEYS");
  });
});

describe("signed route: off unless configured", () => {
  const offSettings: Array<[string, Record<string, string | undefined>]> = [
    ["PUBLIC_ROUTE unset", { PUBLIC_ROUTE: undefined }],
    ['PUBLIC_ROUTE "off"', { PUBLIC_ROUTE: "off" }],
    ['PUBLIC_ROUTE "true"', { PUBLIC_ROUTE: "true" }],
    ['PUBLIC_ROUTE "ON"', { PUBLIC_ROUTE: "ON" }],
    ["CALLER_KEYS unset", { CALLER_KEYS: undefined }],
    ["CALLER_KEYS empty", { CALLER_KEYS: "" }],
    ["CALLER_KEYS with no caller", { CALLER_KEYS: "{}" }],
  ];
  for (const [name, overrides] of offSettings) {
    it(`answers 404 to a valid request with ${name}`, async () => {
      const parts = await signedParts();
      const request = new Request(parts.url, {
        method: "POST",
        headers: parts.headers,
        body: parts.body,
      });
      const response = await handleHttpRequest(request, { ...env, ...overrides });
      expect(response.status).toBe(404);
      expectCommonHeaders(response);
    });
  }

  const brokenSettings: Array<[string, Record<string, string | undefined>, string]> = [
    ["PUBLIC_HOST unset", { PUBLIC_HOST: undefined }, "CONFIG_MISSING"],
    ["PUBLIC_HOST with a scheme", { PUBLIC_HOST: "https://tokens.example.test" }, "CONFIG_INVALID"],
    ["CALLER_KEYS not JSON", { CALLER_KEYS: "alice=secret" }, "CONFIG_INVALID"],
  ];
  for (const [name, overrides, code] of brokenSettings) {
    it(`answers 500 ${code} with ${name}`, async () => {
      const parts = await signedParts();
      const request = new Request(parts.url, {
        method: "POST",
        headers: parts.headers,
        body: parts.body,
      });
      const response = await handleHttpRequest(request, { ...env, ...overrides });
      const error = await errorOf(response);

      expect(response.status).toBe(500);
      expect(error.code).toBe(code);
      expect(error.message).not.toMatch(/PUBLIC_HOST|CALLER_KEYS|secret/);
    });
  }

  it("answers 500 without the ledger binding", async () => {
    const parts = await signedParts();
    const request = new Request(parts.url, {
      method: "POST",
      headers: parts.headers,
      body: parts.body,
    });
    const response = await handleHttpRequest(request, { ...env, NONCE_LEDGER: undefined });
    expect(response.status).toBe(500);
    expect((await errorOf(response)).code).toBe("CONFIG_MISSING");
  });
});

describe("RPC with the ledger exported", () => {
  it("still serves getToken next to the signed route", async () => {
    const factory = exports.default as unknown as (options: {
      props: unknown;
    }) => Pick<TokenWorker, "getToken">;
    const token = await factory({ props: { caller: "rpc-next-to-ledger" } }).getToken();
    const signed = await sendSigned({ body: '{"subject":"next-to-rpc"}' });

    expect(token.sessionName).toBe("rpc-next-to-ledger");
    expect(signed.status).toBe(200);
    expect(env.NONCE_LEDGER).toBeDefined();
  });
});
