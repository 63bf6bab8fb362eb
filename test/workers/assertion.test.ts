import { env } from "cloudflare:workers";
import { decodeProtectedHeader, importSPKI, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";

import { importSigningKey, privateKeyToPkcs8 } from "../../src/config/private-key";
import { ASSERTION_LIFETIME_SECONDS, newJti, signAssertion } from "../../src/coze/assertion";
import type { TestKeys } from "../fixtures/test-keys";

const keys = JSON.parse(env.TEST_KEYS) as TestKeys;
const INPUT = {
  clientId: "1234567890",
  kid: "kid-abc",
  audience: "api.coze.cn",
  sessionName: "billing:u1",
  nowSeconds: Math.floor(Date.now() / 1000),
};

describe("signAssertion", () => {
  it("signs a JWT that verifies with the public key", async () => {
    const signingKey = await importSigningKey(privateKeyToPkcs8(keys.pkcs8));
    const jwt = await signAssertion(signingKey, INPUT);
    const publicKey = await importSPKI(keys.spki, "RS256");
    const { payload, protectedHeader } = await jwtVerify(jwt, publicKey, {
      algorithms: ["RS256"],
      issuer: INPUT.clientId,
      audience: INPUT.audience,
    });

    expect(protectedHeader).toEqual({ alg: "RS256", typ: "JWT", kid: INPUT.kid });
    expect(payload.iss).toBe("1234567890");
    expect(payload.aud).toBe("api.coze.cn");
    expect(payload.iat).toBe(INPUT.nowSeconds);
    expect(payload.exp).toBe(INPUT.nowSeconds + ASSERTION_LIFETIME_SECONDS);
    expect(payload.session_name).toBe("billing:u1");
    expect(Object.keys(payload).sort()).toEqual(
      ["aud", "exp", "iat", "iss", "jti", "session_name"].sort(),
    );
  });

  it("signs with a PKCS#1 key that verifies with the same public key", async () => {
    const signingKey = await importSigningKey(privateKeyToPkcs8(keys.pkcs1));
    const jwt = await signAssertion(signingKey, INPUT);
    const publicKey = await importSPKI(keys.spki, "RS256");
    await expect(jwtVerify(jwt, publicKey)).resolves.toBeDefined();
  });

  it("keeps the audience a string, not a list", async () => {
    const signingKey = await importSigningKey(privateKeyToPkcs8(keys.pkcs8));
    const jwt = await signAssertion(signingKey, INPUT);
    const payload = JSON.parse(atob(jwt.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")));
    expect(typeof payload.aud).toBe("string");
    expect(decodeProtectedHeader(jwt).alg).toBe("RS256");
  });

  it("uses a fresh jti in every JWT", async () => {
    const signingKey = await importSigningKey(privateKeyToPkcs8(keys.pkcs8));
    const jwts = await Promise.all(
      Array.from({ length: 200 }, () => signAssertion(signingKey, INPUT)),
    );
    const jtis = jwts.map(
      (jwt) => JSON.parse(atob(jwt.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))).jti,
    );
    expect(new Set(jtis).size).toBe(200);
  });
});

describe("newJti", () => {
  it("carries 32 random bytes as base64url", () => {
    const jti = newJti();
    expect(jti).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("never repeats across 10,000 ids", () => {
    const ids = new Set(Array.from({ length: 10_000 }, newJti));
    expect(ids.size).toBe(10_000);
  });
});
