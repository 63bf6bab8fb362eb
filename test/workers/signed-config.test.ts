/**
 * Unit tests of the signed route's parsers, in workerd: the CALLER_KEYS secret, strict JSON, the
 * Authorization header, base64url and the route settings.
 */

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

import { isTokenWorkerError } from "../../src/errors";
import { getPublicRouteConfig } from "../../src/http/route-config";
import { parseAuthorization } from "../../src/signed/authorization-header";
import { decodeBase64Url, encodeBase64Url } from "../../src/signed/base64url";
import { parseCallerKeys } from "../../src/signed/caller-keys";
import { StrictJsonError, parseStrictJson } from "../../src/signed/strict-json";

function secret(length = 32, fill = 7): string {
  return encodeBase64Url(new Uint8Array(length).map((_, i) => (i * 31 + fill) & 0xff));
}

function thrown(action: () => unknown): { code?: string; variable?: string; message: string } {
  try {
    action();
  } catch (error) {
    if (!isTokenWorkerError(error)) throw error;
    return error;
  }
  throw new Error("expected an error");
}

describe("CALLER_KEYS", () => {
  it("parses several callers with several keys", () => {
    const keys = parseCallerKeys(
      JSON.stringify({
        billing: { k1: secret(32, 1), k2: secret(64, 2) },
        ci: { "2025-06": secret(32, 3) },
      }),
    );
    expect([...keys.keys()]).toEqual(["billing", "ci"]);
    expect(keys.get("billing")?.get("k1")?.length).toBe(32);
    expect(keys.get("billing")?.get("k2")?.length).toBe(64);
    expect(keys.get("ci")?.get("2025-06")?.length).toBe(32);
  });

  it("keeps a caller whose keys were all removed", () => {
    const keys = parseCallerKeys('{"retired":{}}');
    expect(keys.get("retired")?.size).toBe(0);
  });

  const s1 = secret(32, 1);
  const invalid: Array<[string, string, RegExp]> = [
    ["text that is not JSON", "billing=abc", /not valid JSON/],
    ["a JSON list", `[{"billing":{"k1":"${s1}"}}]`, /must be a JSON object/],
    ["a non-object caller entry", `{"billing":"${s1}"}`, /non-object entry for caller "billing"/],
    ["an uppercase caller id", `{"Billing":{"k1":"${s1}"}}`, /invalid caller id/],
    ["a caller id with a colon", `{"a:b":{"k1":"${s1}"}}`, /invalid caller id/],
    ["a 64-character caller id", `{"${"a".repeat(64)}":{"k1":"${s1}"}}`, /invalid caller id/],
    ["an uppercase key id", `{"billing":{"K1":"${s1}"}}`, /invalid key id for caller "billing"/],
    ["a key id with an underscore", `{"billing":{"k_1":"${s1}"}}`, /invalid key id/],
    ["a 33-character key id", `{"billing":{"${"k".repeat(33)}":"${s1}"}}`, /invalid key id/],
    ["a numeric secret", '{"billing":{"k1":12345}}', /non-string secret for billing\/k1/],
    ["a padded secret", `{"billing":{"k1":"${s1}="}}`, /not unpadded base64url/],
    [
      "a standard base64 secret",
      `{"billing":{"k1":"${s1.replace(/^./, "+")}"}}`,
      /not unpadded base64url/,
    ],
    ["a 31-byte secret", `{"billing":{"k1":"${secret(31)}"}}`, /of 31 bytes/],
    ["a 129-byte secret", `{"billing":{"k1":"${secret(129)}"}}`, /of 129 bytes/],
    [
      "a duplicate caller",
      `{"billing":{"k1":"${s1}"},"billing":{"k2":"${secret(32, 2)}"}}`,
      /duplicate key "billing"/,
    ],
    [
      "a duplicate key id",
      `{"billing":{"k1":"${s1}","k1":"${secret(32, 2)}"}}`,
      /duplicate key "k1"/,
    ],
    [
      "an escaped duplicate key id",
      `{"billing":{"k1":"${s1}","\\u006b1":"${secret(32, 2)}"}}`,
      /duplicate key "k1"/,
    ],
    [
      "one secret for two callers",
      `{"a":{"k1":"${s1}"},"b":{"k1":"${s1}"}}`,
      /same secret for a\/k1 and b\/k1/,
    ],
    [
      "nine keys for one caller",
      JSON.stringify({
        a: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, secret(32, i)])),
      }),
      /9 keys/,
    ],
  ];
  for (const [name, raw, message] of invalid) {
    it(`rejects ${name}`, () => {
      const error = thrown(() => parseCallerKeys(raw));
      expect(error.code).toBe("CONFIG_INVALID");
      expect(error.variable).toBe("CALLER_KEYS");
      expect(error.message).toMatch(message);
      for (const value of raw.matchAll(/"([A-Za-z0-9_+=-]{40,})"/g)) {
        expect(error.message).not.toContain(value[1]!.slice(0, 20));
      }
    });
  }

  it("rejects a secret with stray bits in its last character", () => {
    const canonical = secret(32);
    const last = canonical.at(-1)!;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const stray = alphabet[(alphabet.indexOf(last) + 1) % 64]!;
    expect(decodeBase64Url(canonical.slice(0, -1) + stray)).toBeUndefined();
    expect(decodeBase64Url(canonical)?.length).toBe(32);
  });
});

describe("strict JSON", () => {
  const accepted = [
    "{}",
    "[]",
    '{"a":1,"b":[true,false,null],"c":{"d":"\\u00e9\\n"}}',
    ' \t\r\n{ "a" : -0.5e+3 } ',
    '"text"',
    "0",
  ];
  for (const text of accepted) {
    it(`parses ${JSON.stringify(text)} as JSON.parse does`, () => {
      expect(parseStrictJson(text)).toEqual(JSON.parse(text));
    });
  }

  const rejected = [
    "",
    "{",
    '{"a":1,}',
    "[1,]",
    "{'a':1}",
    '{"a":1} x',
    '{"a":1}{"b":2}',
    "// comment\n{}",
    "NaN",
    "01",
    "-",
    "1.",
    ".5",
    "+1",
    '"\u0001"',
    '"\\x41"',
    "\uFEFF{}",
    '{"a":1,"a":1}',
    '{"__proto__":1,"__proto__":2}',
    "[[[[[[[[[[]]]]]]]]]]",
  ];
  for (const text of rejected) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      expect(() => parseStrictJson(text)).toThrow(StrictJsonError);
    });
  }

  it("keeps __proto__ an ordinary key", () => {
    const parsed = parseStrictJson('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("names the duplicate key after unescaping", () => {
    try {
      parseStrictJson('{"ab":1,"\\u0061b":2}');
      expect.unreachable();
    } catch (error) {
      expect((error as StrictJsonError).duplicateKey).toBe("ab");
    }
  });
});

describe("Authorization header", () => {
  const valid =
    "COZE-TOKEN-HMAC-SHA256 Credential=billing/k1, Timestamp=1767225600, " +
    `Nonce=7Jx2bU0Qq4cY9mTn3ZrWfA, Signature=${"ab".repeat(32)}`;

  it("parses a valid header", () => {
    expect(parseAuthorization(valid)).toEqual({
      caller: "billing",
      keyId: "k1",
      timestamp: "1767225600",
      nonce: "7Jx2bU0Qq4cY9mTn3ZrWfA",
      signature: "ab".repeat(32),
    });
  });

  const invalid: Array<[string, string]> = [
    ["no header", ""],
    ["a leading space", ` ${valid}`],
    ["a trailing newline", `${valid}\n`],
    ["a repeated header", `${valid}, ${valid}`],
    ["a caller ending in a hyphen", valid.replace("billing/", "billing-/")],
    ["a 21-character nonce", valid.replace("7Jx2bU0Qq4cY9mTn3ZrWfA", "7Jx2bU0Qq4cY9mTn3ZrWf")],
    ["a 65-character nonce", valid.replace("7Jx2bU0Qq4cY9mTn3ZrWfA", "n".repeat(65))],
    ["a padded nonce", valid.replace("7Jx2bU0Qq4cY9mTn3ZrWfA", "7Jx2bU0Qq4cY9mTn3ZrWfA==")],
    ["a 9-digit timestamp", valid.replace("1767225600", "176722560")],
    ["lowercase field names", valid.replace("Credential=", "credential=")],
    ["a missing field", valid.replace(", Timestamp=1767225600", "")],
  ];
  for (const [name, header] of invalid) {
    it(`rejects ${name}`, () => {
      expect(parseAuthorization(header)).toBeUndefined();
    });
  }

  it("rejects null", () => {
    expect(parseAuthorization(null)).toBeUndefined();
  });
});

describe("route settings", () => {
  it("lowercases PUBLIC_HOST", () => {
    const config = getPublicRouteConfig({ ...env, PUBLIC_HOST: " Tokens.Example.COM " });
    expect(config.enabled).toBe(true);
    expect(config.enabled ? config.host : undefined).toBe("tokens.example.com");
  });

  it("accepts a host with a port", () => {
    const config = getPublicRouteConfig({ ...env, PUBLIC_HOST: "127.0.0.1:8787" });
    expect(config.enabled).toBe(true);
    expect(config.enabled ? config.host : undefined).toBe("127.0.0.1:8787");
  });

  for (const host of [
    "https://tokens.example.com",
    "tokens.example.com/v1",
    "tokens example",
    "-x",
  ]) {
    it(`rejects PUBLIC_HOST ${JSON.stringify(host)}`, () => {
      const error = thrown(() => getPublicRouteConfig({ ...env, PUBLIC_HOST: host }));
      expect(error.code).toBe("CONFIG_INVALID");
      expect(error.variable).toBe("PUBLIC_HOST");
    });
  }

  it("reports the same error on every request", () => {
    const broken = { ...env, CALLER_KEYS: "{" };
    const first = thrown(() => getPublicRouteConfig(broken));
    const second = thrown(() => getPublicRouteConfig(broken));
    expect(second).toBe(first);
  });
});
