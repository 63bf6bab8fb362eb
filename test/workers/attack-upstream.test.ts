/**
 * A token endpoint that responds with hostile bodies: prototype keys, control characters in the
 * token, expiries of the wrong type, non-object JSON, and redirects to another origin. Each response
 * must end in a stable error code with nothing cached, and a redirect must never carry the JWT to
 * another origin. The emulator's `status` fault sends each body and header exactly as written.
 */

import { describe, expect, it } from "vitest";

import type { ErrorCode, TokenWorkerError } from "../../src/errors";
import { type TestApp, createTestApp } from "../helpers/app";
import type { Fault } from "../helpers/emulator";

/** One attempt only, so each failure shows the code of a single exchange. */
const NO_RETRIES = { retryPolicy: { maxAttempts: 1 } };

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Returns a 200 body with a usable token, changed by `fields`. */
function tokenBody(fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    access_token: `czs_${"A".repeat(43)}`,
    expires_in: nowSeconds() + 900,
    token_type: "Bearer",
    ...fields,
  });
}

async function failWith(app: TestApp, fault: Fault): Promise<TokenWorkerError> {
  await app.queueFaults([fault]);
  try {
    await app.service.getToken(app.request());
  } catch (error) {
    return error as TokenWorkerError;
  }
  throw new Error("expected getToken to reject");
}

describe("hostile token endpoint bodies", () => {
  const cases: Array<[string, string, ErrorCode]> = [
    ["the token under __proto__", `{"__proto__":${tokenBody()}}`, "UPSTREAM_MALFORMED"],
    [
      "the token under constructor.prototype",
      `{"constructor":{"prototype":${tokenBody()}}}`,
      "UPSTREAM_MALFORMED",
    ],
    [
      "a NUL in the token",
      tokenBody({ access_token: "czs_abcdef\u0000ghijk" }),
      "UPSTREAM_MALFORMED",
    ],
    [
      "a line break in the token",
      tokenBody({ access_token: "czs_abcdef\r\nX-Injected: 1" }),
      "UPSTREAM_MALFORMED",
    ],
    ["a space in the token", tokenBody({ access_token: "czs_abcdef ghijk" }), "UPSTREAM_MALFORMED"],
    ["a non-ASCII token", tokenBody({ access_token: "czs_abcdéfghijk" }), "UPSTREAM_MALFORMED"],
    ["a 4097-character token", tokenBody({ access_token: "c".repeat(4097) }), "UPSTREAM_MALFORMED"],
    ["a numeric token", tokenBody({ access_token: 12345678901 }), "UPSTREAM_MALFORMED"],
    ["another token_type", tokenBody({ token_type: "mac" }), "UPSTREAM_MALFORMED"],
    ["a JSON array", `[${tokenBody()}]`, "UPSTREAM_MALFORMED"],
    ["a JSON string", JSON.stringify(tokenBody()), "UPSTREAM_MALFORMED"],
    ["arrays nested 100,000 deep", "[".repeat(100_000) + "]".repeat(100_000), "UPSTREAM_MALFORMED"],
    [
      "expires_in as a string",
      tokenBody({ expires_in: String(nowSeconds() + 900) }),
      "UPSTREAM_EXPIRY_INVALID",
    ],
    [
      "a fractional expires_in",
      tokenBody({ expires_in: nowSeconds() + 900.5 }),
      "UPSTREAM_EXPIRY_INVALID",
    ],
    ["expires_in as a lifetime", tokenBody({ expires_in: 900 }), "UPSTREAM_EXPIRY_INVALID"],
    ["a negative expires_in", tokenBody({ expires_in: -1 }), "UPSTREAM_EXPIRY_INVALID"],
    [
      "expires_in as an object",
      tokenBody({ expires_in: { valueOf: 1 } }),
      "UPSTREAM_EXPIRY_INVALID",
    ],
    ["no expires_in", tokenBody({ expires_in: undefined }), "UPSTREAM_EXPIRY_INVALID"],
  ];
  for (const [name, body, code] of cases) {
    it(`rejects ${name} as ${code}`, async () => {
      const app = await createTestApp(NO_RETRIES);
      const error = await failWith(app, { kind: "status", status: 200, body });
      expect(error.code).toBe(code);
      expect(app.service.cachedTokenCount).toBe(0);
    });
  }
});

describe("redirects from the token endpoint", () => {
  const targets = [
    ["another host", "https://attacker.example/api/permission/oauth2/token"],
    ["plain http on the same host", "http://api.coze.cn/api/permission/oauth2/token"],
  ] as const;
  for (const status of [307, 308]) {
    for (const [name, location] of targets) {
      it(`never sends the JWT after a ${status} to ${name}`, async () => {
        const app = await createTestApp(NO_RETRIES);
        await app.queueFaults([{ kind: "status", status, headers: { Location: location } }]);
        await expect(app.service.getToken(app.request())).rejects.toThrow();

        // The emulator counts a request for this client only when its JWT names the client, so
        // a redirected request that carried the JWT would count twice and be issued a token.
        const stats = await app.stats();
        expect(stats.requests).toBe(1);
        expect(stats.issued).toBe(0);
        expect(app.service.cachedTokenCount).toBe(0);
      });
    }
  }
});
