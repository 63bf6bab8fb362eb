import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

import { importSigningKey, privateKeyToPkcs8 } from "../../src/config/private-key";
import { parseTokenConfig } from "../../src/config/token-config";
import type { Env } from "../../src/env";
import { TokenWorkerError } from "../../src/errors";
import type { TestKeys } from "../fixtures/test-keys";

const keys = JSON.parse(env.TEST_KEYS) as TestKeys;

const VALID: Env = { CLIENT_ID: "1234567890", KID: "kid-abc_DEF-123", PRIVATE_KEY: keys.pkcs8 };

function configError(overrides: Env): TokenWorkerError {
  try {
    parseTokenConfig({ ...VALID, ...overrides });
  } catch (error) {
    expect(error).toBeInstanceOf(TokenWorkerError);
    return error as TokenWorkerError;
  }
  throw new Error("expected a configuration error");
}

/** Checks that no line of the PEM body appears in a message. */
function expectNoKeyMaterial(message: string, pem: string) {
  for (const line of pem.split("\n")) {
    if (line.length > 20 && !line.startsWith("-----")) expect(message).not.toContain(line);
  }
}

describe("parseTokenConfig defaults", () => {
  it("uses China region and 900 s when only required values are set", () => {
    const config = parseTokenConfig(VALID);
    expect(config.audience).toBe("api.coze.cn");
    expect(config.tokenEndpoint).toBe("https://api.coze.cn/api/permission/oauth2/token");
    expect(config.defaultDurationSeconds).toBe(900);
    expect(config.region?.name).toBe("china");
  });

  it("derives the endpoint from an international AUDIENCE", () => {
    const config = parseTokenConfig({ ...VALID, AUDIENCE: "api.coze.com" });
    expect(config.tokenEndpoint).toBe("https://api.coze.com/api/permission/oauth2/token");
  });

  it("derives AUDIENCE from an international TOKEN_ENDPOINT", () => {
    const endpoint = "https://api.coze.com/api/permission/oauth2/token";
    const config = parseTokenConfig({ ...VALID, TOKEN_ENDPOINT: endpoint });
    expect(config.audience).toBe("api.coze.com");
  });

  it("allows plain http on loopback for the local emulator", () => {
    const endpoint = "http://127.0.0.1:8788/api/permission/oauth2/token";
    const config = parseTokenConfig({ ...VALID, TOKEN_ENDPOINT: endpoint });
    expect(config.tokenEndpoint).toBe(endpoint);
    expect(config.audience).toBe("api.coze.cn");
  });

  it("accepts TOKEN_DURATION as a number or padded string", () => {
    expect(parseTokenConfig({ ...VALID, TOKEN_DURATION: 3600 }).defaultDurationSeconds).toBe(3600);
    expect(parseTokenConfig({ ...VALID, TOKEN_DURATION: " 86399 " }).defaultDurationSeconds).toBe(
      86399,
    );
  });
});

describe("parseTokenConfig errors", () => {
  const cases: Array<{ name: string; env: Env; code: string; variable: string; says: RegExp }> = [
    {
      name: "missing CLIENT_ID",
      env: { CLIENT_ID: undefined },
      code: "CONFIG_MISSING",
      variable: "CLIENT_ID",
      says: /CLIENT_ID is not set/,
    },
    {
      name: "blank KID",
      env: { KID: "  " },
      code: "CONFIG_MISSING",
      variable: "KID",
      says: /KID is not set/,
    },
    {
      name: "missing PRIVATE_KEY",
      env: { PRIVATE_KEY: undefined },
      code: "CONFIG_MISSING",
      variable: "PRIVATE_KEY",
      says: /wrangler secret put PRIVATE_KEY/,
    },
    {
      name: "non-numeric CLIENT_ID",
      env: { CLIENT_ID: "kid-abc_DEF-123x" },
      code: "CONFIG_INVALID",
      variable: "CLIENT_ID",
      says: /numeric app ID/,
    },
    {
      name: "public key in KID",
      env: { KID: keys.spki },
      code: "CONFIG_INVALID",
      variable: "KID",
      says: /fingerprint/,
    },
    {
      name: "KID equal to CLIENT_ID",
      env: { KID: "1234567890" },
      code: "CONFIG_INVALID",
      variable: "KID",
      says: /not the app ID/,
    },
    {
      name: "KID with spaces",
      env: { KID: "abc def" },
      code: "CONFIG_INVALID",
      variable: "KID",
      says: /printable ASCII/,
    },
    {
      name: "AUDIENCE with scheme",
      env: { AUDIENCE: "https://api.coze.cn" },
      code: "CONFIG_INVALID",
      variable: "AUDIENCE",
      says: /without https/,
    },
    {
      name: "TOKEN_ENDPOINT not a URL",
      env: { TOKEN_ENDPOINT: "api.coze.cn" },
      code: "CONFIG_INVALID",
      variable: "TOKEN_ENDPOINT",
      says: /full URL/,
    },
    {
      name: "TOKEN_ENDPOINT over http",
      env: { TOKEN_ENDPOINT: "http://api.coze.cn/api/permission/oauth2/token" },
      code: "CONFIG_INVALID",
      variable: "TOKEN_ENDPOINT",
      says: /https/,
    },
    {
      name: "TOKEN_ENDPOINT wrong path",
      env: { TOKEN_ENDPOINT: "https://api.coze.cn/v1/token" },
      code: "CONFIG_INVALID",
      variable: "TOKEN_ENDPOINT",
      says: /must end with \/api\/permission\/oauth2\/token/,
    },
    {
      name: "TOKEN_DURATION above maximum",
      env: { TOKEN_DURATION: "86400" },
      code: "CONFIG_INVALID",
      variable: "TOKEN_DURATION",
      says: /86399/,
    },
    {
      name: "TOKEN_DURATION not a number",
      env: { TOKEN_DURATION: "15m" },
      code: "CONFIG_INVALID",
      variable: "TOKEN_DURATION",
      says: /whole number/,
    },
    {
      name: "TOKEN_DURATION below minimum",
      env: { TOKEN_DURATION: "10" },
      code: "CONFIG_INVALID",
      variable: "TOKEN_DURATION",
      says: /from 60/,
    },
    {
      name: "cn AUDIENCE against com endpoint",
      env: {
        AUDIENCE: "api.coze.cn",
        TOKEN_ENDPOINT: "https://api.coze.com/api/permission/oauth2/token",
      },
      code: "REGION_MISMATCH",
      variable: "AUDIENCE",
      says: /api\.coze\.com \(international\)/,
    },
    {
      name: "com AUDIENCE against cn endpoint",
      env: {
        AUDIENCE: "api.coze.com",
        TOKEN_ENDPOINT: "https://api.coze.cn/api/permission/oauth2/token",
      },
      code: "REGION_MISMATCH",
      variable: "AUDIENCE",
      says: /region where the OAuth app was created/,
    },
    {
      name: "public key as PRIVATE_KEY",
      env: { PRIVATE_KEY: keys.spki },
      code: "PRIVATE_KEY_INVALID",
      variable: "PRIVATE_KEY",
      says: /public key, not a private key/,
    },
    {
      name: "PKCS#1 public key as PRIVATE_KEY",
      env: { PRIVATE_KEY: keys.pkcs1Public },
      code: "PRIVATE_KEY_INVALID",
      variable: "PRIVATE_KEY",
      says: /rsa public key, not a private key/,
    },
    {
      name: "EC SEC1 key",
      env: { PRIVATE_KEY: keys.ecSec1 },
      code: "PRIVATE_KEY_INVALID",
      variable: "PRIVATE_KEY",
      says: /is an EC key.*needs an RSA key/,
    },
    {
      name: "EC PKCS#8 key",
      env: { PRIVATE_KEY: keys.ecPkcs8 },
      code: "PRIVATE_KEY_INVALID",
      variable: "PRIVATE_KEY",
      says: /is an EC key/,
    },
    {
      name: "Ed25519 key",
      env: { PRIVATE_KEY: keys.ed25519Pkcs8 },
      code: "PRIVATE_KEY_INVALID",
      variable: "PRIVATE_KEY",
      says: /Ed25519/,
    },
    {
      name: "encrypted key",
      env: { PRIVATE_KEY: keys.encryptedPkcs8 },
      code: "PRIVATE_KEY_INVALID",
      variable: "PRIVATE_KEY",
      says: /openssl pkcs8/,
    },
    {
      name: "key without END line",
      env: { PRIVATE_KEY: keys.pkcs8.split("-----END")[0] },
      code: "PRIVATE_KEY_INVALID",
      variable: "PRIVATE_KEY",
      says: /truncated: "-----END PRIVATE KEY-----" is missing/,
    },
    {
      name: "key with half its body",
      env: { PRIVATE_KEY: truncateBody(keys.pkcs8) },
      code: "PRIVATE_KEY_INVALID",
      variable: "PRIVATE_KEY",
      says: /truncated or garbled/,
    },
    {
      name: "key with non-base64 body",
      env: { PRIVATE_KEY: keys.pkcs8.replace(/\n[A-Za-z]/, "\n#") },
      code: "PRIVATE_KEY_INVALID",
      variable: "PRIVATE_KEY",
      says: /garbled: its body is not base64/,
    },
    {
      name: "plain text as key",
      env: { PRIVATE_KEY: "my-private-key" },
      code: "PRIVATE_KEY_INVALID",
      variable: "PRIVATE_KEY",
      says: /garbled/,
    },
    {
      name: "unknown PEM label",
      env: { PRIVATE_KEY: keys.pkcs8.replace(/PRIVATE KEY/g, "SECRET") },
      code: "PRIVATE_KEY_INVALID",
      variable: "PRIVATE_KEY",
      says: /PEM label "SECRET"/,
    },
  ];

  for (const testCase of cases) {
    it(`rejects ${testCase.name}`, () => {
      const error = configError(testCase.env);
      expect(error.code).toBe(testCase.code);
      expect(error.variable).toBe(testCase.variable);
      expect(error.message).toMatch(testCase.says);
      expectNoKeyMaterial(error.message, keys.pkcs8);
    });
  }
});

function truncateBody(pem: string): string {
  const lines = pem.trim().split("\n");
  const body = lines.slice(1, -1);
  return [lines[0], ...body.slice(0, body.length / 2), lines.at(-1)].join("\n");
}

describe("PRIVATE_KEY pasting", () => {
  const reference = privateKeyToPkcs8(keys.pkcs8);

  const pastes: Array<[string, string]> = [
    ["literal \\n sequences", keys.pkcs8.trim().replace(/\n/g, "\\n")],
    ["CRLF line ends", keys.pkcs8.replace(/\n/g, "\r\n")],
    ["surrounding whitespace", `\n   ${keys.pkcs8}  \t\n`],
    ["surrounding double quotes", `"${keys.pkcs8.trim()}"`],
    ["one line with literal \\r\\n", keys.pkcs8.trim().replace(/\n/g, "\\r\\n")],
    ["bare base64 body", keys.pkcs8.split("\n").slice(1, -2).join("")],
  ];

  for (const [name, pasted] of pastes) {
    it(`accepts a key with ${name}`, () => {
      expect(privateKeyToPkcs8(pasted)).toEqual(reference);
    });
  }

  it("converts PKCS#1 to the same PKCS#8 bytes as Node", () => {
    expect(privateKeyToPkcs8(keys.pkcs1)).toEqual(reference);
  });

  it("converts PKCS#1 with literal \\n sequences", () => {
    expect(privateKeyToPkcs8(keys.pkcs1.trim().replace(/\n/g, "\\n"))).toEqual(reference);
  });
});

describe("importSigningKey", () => {
  it("imports a PKCS#1 key that signs like the PKCS#8 original", async () => {
    const fromPkcs1 = await importSigningKey(privateKeyToPkcs8(keys.pkcs1));
    const fromPkcs8 = await importSigningKey(privateKeyToPkcs8(keys.pkcs8));
    const data = new TextEncoder().encode("same key");
    const a = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", fromPkcs1, data);
    const b = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", fromPkcs8, data);
    expect(new Uint8Array(a)).toEqual(new Uint8Array(b));
  });

  it("rejects a 1024-bit key", async () => {
    const error = await importSigningKey(privateKeyToPkcs8(keys.rsa1024Pkcs8)).catch((e) => e);
    expect(error.code).toBe("PRIVATE_KEY_INVALID");
    expect(error.message).toMatch(/1024-bit RSA key; at least 2048 bits/);
  });

  it("rejects a well-formed structure with garbled content", async () => {
    // SEQUENCE of nine INTEGER 0: shaped like PKCS#1, but no RSA key.
    const der = new Uint8Array([0x30, 27, ...Array.from({ length: 9 }, () => [2, 1, 0]).flat()]);
    const pem = `-----BEGIN RSA PRIVATE KEY-----\n${btoa(String.fromCharCode(...der))}\n-----END RSA PRIVATE KEY-----`;
    const error = await importSigningKey(privateKeyToPkcs8(pem)).catch((e) => e);
    expect(error.code).toBe("PRIVATE_KEY_INVALID");
    expect(error.message).toMatch(/content is garbled/);
  });
});
