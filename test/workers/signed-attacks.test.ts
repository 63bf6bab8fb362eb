/**
 * Attacks on the signed public route, each its own test, run against the token Worker with the
 * shipped configuration path: the same CALLER_KEYS parsing, verification and ledger as a
 * deployment. "Valid" means correctly signed for alice/k1 now. The timing of the signature
 * comparison is measured in test/node/signed-compare-timing.test.ts, because workerd's clock does
 * not advance during computation.
 */

import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

import {
  type ErrorBody,
  type RequestParts,
  type TokenBody,
  PUBLIC_HOST,
  base64UrlBytes,
  headerOf,
  hex,
  hmacHex,
  nowSeconds,
  partsFromFields,
  secretOf,
  send,
  sendSigned,
  sha256Hex,
  signedParts,
  validFields,
  waitForFreshSecond,
  withHeader,
} from "../helpers/signing";

const encoder = new TextEncoder();

/** Replaces the Authorization header's value through `edit`. */
function editAuthorization(parts: RequestParts, edit: (value: string) => string): RequestParts {
  return withHeader(parts, "Authorization", edit(headerOf(parts, "Authorization")));
}

async function expectUnauthenticated(response: Response): Promise<void> {
  expect(response.status).toBe(401);
  expect(response.headers.get("WWW-Authenticate")).toBe("COZE-TOKEN-HMAC-SHA256");
  expect(((await response.json()) as ErrorBody).error.code).toBe("UNAUTHENTICATED");
}

async function sessionOf(response: Response): Promise<string> {
  expect(response.status).toBe(200);
  return ((await response.json()) as TokenBody).session_name;
}

describe("1. body verified after re-serialising", () => {
  const raw = '{ "subject" :  "u\\u0031" ,\n "duration_seconds": 9.0e2 }';

  it("rejects a signature over the re-serialised body", async () => {
    const reserialised = JSON.stringify(JSON.parse(raw));
    const signed = await signedParts({ body: reserialised });
    const response = await send({ ...signed, body: encoder.encode(raw) });
    await expectUnauthenticated(response);
  });

  it("accepts the signature over the raw bytes", async () => {
    const response = await sendSigned({ body: raw });
    expect(await sessionOf(response)).toBe("alice:u1");
  });
});

describe("2. duplicate JSON keys", () => {
  const bodies = [
    '{"subject":"u1","subject":"admin"}',
    '{"subject":"u1","\\u0073ubject":"admin"}',
    '{"duration_seconds":60,"duration_seconds":86399}',
  ];
  for (const body of bodies) {
    it(`rejects ${body} with 400`, async () => {
      const response = await sendSigned({ body });
      const error = ((await response.json()) as ErrorBody).error;
      expect(response.status).toBe(400);
      expect(error.code).toBe("BODY_INVALID");
      expect(error.message).toContain("duplicate key");
    });
  }
});

describe("3. path variants", () => {
  // workerd's URL parser resolves dot segments before any Worker code runs, so these reach the
  // Worker as /v1/token itself.
  const resolvedByParser = ["/./v1/token", "/v1/./token", "/v1/x/../token"];
  const distinctPaths = [
    "//v1/token",
    "/v1//token",
    "/v1/%74oken",
    "/%76%31/token",
    "/V1/token",
    "/v1/Token",
    "/v1/token/",
    "/v1/token/.",
    "/v1/token;x",
    "/v1/token%20",
  ];

  for (const path of resolvedByParser) {
    it(`resolves ${path} before the Worker sees it`, () => {
      expect(new URL(`https://${PUBLIC_HOST}${path}`).pathname).toBe("/v1/token");
    });

    it(`rejects a signature over the literal ${path}`, async () => {
      const body = encoder.encode("{}");
      const parts = await partsFromFields(await validFields(body, { path }), body);
      await expectUnauthenticated(await send(parts));
    });
  }

  for (const path of distinctPaths) {
    it(`never answers 200 to ${path} signed for /v1/token`, async () => {
      const url = `https://${PUBLIC_HOST}${path}`;
      const response = await send(
        await signedParts({ url, signUrl: `https://${PUBLIC_HOST}/v1/token` }),
      );
      expect(response.status).not.toBe(200);
      expect(response.status).toBeLessThan(500);
    });

    it(`never answers 200 to ${path} signed as sent`, async () => {
      const body = encoder.encode("{}");
      const parts = await partsFromFields(await validFields(body, { path }), body);
      const response = await send(parts);
      expect(response.status).not.toBe(200);
      expect(response.status).toBeLessThan(500);
    });
  }
});

describe("4. query parameters", () => {
  for (const query of ["?a=1", "?subject=admin", "?subject=u1&subject=admin", "?"]) {
    it(`rejects a valid request with ${query} added`, async () => {
      const parts = await signedParts();
      await expectUnauthenticated(await send({ ...parts, url: parts.url + query }));
    });
  }

  it("rejects a query that is signed too", async () => {
    const body = encoder.encode("{}");
    const parts = await partsFromFields(await validFields(body, { query: "a=1" }), body);
    await expectUnauthenticated(await send({ ...parts, url: `${parts.url}?a=1` }));
  });
});

describe("5. signer confusion", () => {
  it("gives mallory a token for mallory, whatever the body's subject", async () => {
    const response = await sendSigned({ caller: "mallory", body: '{"subject":"alice"}' });
    expect(await sessionOf(response)).toBe("mallory:alice");
  });

  it("rejects mallory's body naming alice as caller", async () => {
    const response = await sendSigned({ caller: "mallory", body: '{"caller":"alice"}' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error.code).toBe("BODY_INVALID");
  });

  it("rejects Credential=alice/k1 signed with mallory's secret", async () => {
    const response = await sendSigned({ caller: "alice", secret: secretOf("mallory") });
    await expectUnauthenticated(response);
  });

  it("rejects Credential=mallory/k1 signed with alice's secret", async () => {
    const response = await sendSigned({ caller: "mallory", secret: secretOf("alice") });
    await expectUnauthenticated(response);
  });

  it("rejects alice's key id k2 signed with k1's secret", async () => {
    const response = await sendSigned({ keyId: "k2", secret: secretOf("alice", "k1") });
    await expectUnauthenticated(response);
  });

  it("rejects an unknown key id", async () => {
    const response = await sendSigned({ keyId: "k3", secret: secretOf("alice", "k1") });
    await expectUnauthenticated(response);
  });
});

describe("7. signature length", () => {
  const signatures: Array<[string, (valid: string) => string]> = [
    ["empty", () => ""],
    ["32 hex characters", (valid) => valid.slice(0, 32)],
    ["63 hex characters", (valid) => valid.slice(0, 63)],
    ["65 hex characters", (valid) => `${valid}0`],
    ["128 hex characters", (valid) => valid + valid],
  ];
  for (const [name, change] of signatures) {
    it(`rejects an ${name} signature`, async () => {
      const parts = editAuthorization(await signedParts(), (value) =>
        value.replace(
          /Signature=([0-9a-f]{64})$/,
          (_, valid: string) => `Signature=${change(valid)}`,
        ),
      );
      await expectUnauthenticated(await send(parts));
    });
  }
});

describe("8. malformed signatures", () => {
  it("rejects the valid signature in uppercase hex", async () => {
    const parts = editAuthorization(await signedParts(), (value) =>
      value.replace(
        /Signature=([0-9a-f]{64})$/,
        (_, valid: string) => `Signature=${valid.toUpperCase()}`,
      ),
    );
    await expectUnauthenticated(await send(parts));
  });

  it("rejects a signature with a non-ASCII character", async () => {
    const parts = editAuthorization(await signedParts(), (value) => `${value.slice(0, -1)}\u00e9`);
    await expectUnauthenticated(await send(parts));
  });

  it("rejects a 1 MB header, then accepts a valid request", async () => {
    const huge = editAuthorization(await signedParts(), (value) => value + "0".repeat(1 << 20));
    await expectUnauthenticated(await send(huge));
    expect(await sessionOf(await sendSigned({ body: '{"subject":"after-huge"}' }))).toBe(
      "alice:after-huge",
    );
  });

  const headers = [
    "COZE-TOKEN-HMAC-SHA256",
    "COZE-TOKEN-HMAC-SHA256 ",
    "COZE-TOKEN-HMAC-SHA256 Credential=alice/k1",
    "COZE-TOKEN-HMAC-SHA256 Credential=Alice/k1, Timestamp=1767225600, Nonce=AAAAAAAAAAAAAAAAAAAAAA, Signature=" +
      "0".repeat(64),
  ];
  for (const header of headers) {
    it(`rejects the header ${JSON.stringify(header.slice(0, 50))}`, async () => {
      await expectUnauthenticated(
        await send(withHeader(await signedParts(), "Authorization", header)),
      );
    });
  }

  it("rejects fields in another order", async () => {
    const parts = editAuthorization(await signedParts(), (value) => {
      const [label, rest] = [value.slice(0, 23), value.slice(23)];
      return label + rest.split(", ").reverse().join(", ");
    });
    await expectUnauthenticated(await send(parts));
  });

  it("rejects extra spaces between fields", async () => {
    const parts = editAuthorization(await signedParts(), (value) => value.replace(/, /g, ",  "));
    await expectUnauthenticated(await send(parts));
  });
});

describe("9. other scheme labels", () => {
  const labels = [
    "COZE-TOKEN-HMAC-SHA1",
    "COZE-TOKEN-HMAC-SHA512",
    "COZE-TOKEN-NONE",
    "none",
    "coze-token-hmac-sha256",
    "Coze-Token-Hmac-Sha256",
    "COZE-TOKEN-HMAC-SHA256-V2",
    "COZE-TOKEN2-HMAC-SHA256",
    "HMAC-SHA256",
  ];
  for (const label of labels) {
    it(`rejects ${label}`, async () => {
      const parts = editAuthorization(await signedParts(), (value) =>
        value.replace("COZE-TOKEN-HMAC-SHA256", label),
      );
      await expectUnauthenticated(await send(parts));
    });
  }
});

describe("10. timestamp changed", () => {
  it("rejects a valid request with only the timestamp changed", async () => {
    const parts = editAuthorization(await signedParts(), (value) =>
      value.replace(/Timestamp=([0-9]{10})/, (_, ts: string) => `Timestamp=${Number(ts) - 1}`),
    );
    await expectUnauthenticated(await send(parts));
  });

  for (const timestamp of ["17672256OO", "1.767e+09", " 176722560", "0x69556D00", "1767225600.0"]) {
    it(`rejects the non-numeric timestamp ${JSON.stringify(timestamp)}`, async () => {
      const body = encoder.encode("{}");
      const parts = await partsFromFields(await validFields(body, { timestamp }), body);
      await expectUnauthenticated(await send(parts));
    });
  }
});

describe("11. clock window", () => {
  for (const offset of [-301, 301]) {
    it(`rejects a timestamp ${offset} s off`, async () => {
      await waitForFreshSecond();
      await expectUnauthenticated(await sendSigned({ now: nowSeconds() + offset }));
    });
  }

  for (const offset of [-299, 299]) {
    it(`accepts a timestamp ${offset} s off`, async () => {
      await waitForFreshSecond();
      const response = await sendSigned({ now: nowSeconds() + offset, body: "{}" });
      expect(await sessionOf(response)).toBe("alice");
    });
  }

  for (const timestamp of ["-000000001", "0000000000", "0000000001", "9999999999", "17672256000"]) {
    it(`rejects the timestamp ${timestamp}`, async () => {
      const body = encoder.encode("{}");
      const parts = await partsFromFields(await validFields(body, { timestamp }), body);
      await expectUnauthenticated(await send(parts));
    });
  }
});

describe("13. tags that are not HMAC", () => {
  const constructions: Array<[string, (secret: Uint8Array, message: Uint8Array) => Uint8Array]> = [
    ["SHA-256(secret ‖ message)", (secret, message) => concat(secret, message)],
    ["SHA-256(message ‖ secret)", (secret, message) => concat(message, secret)],
  ];
  for (const [name, join] of constructions) {
    it(`rejects ${name}`, async () => {
      const body = encoder.encode("{}");
      const fields = await validFields(body);
      const secret = base64UrlBytes(secretOf("alice"));
      const parts = await partsFromFields(fields, body, (canonical) =>
        sha256Hex(join(secret, encoder.encode(canonical))),
      );
      await expectUnauthenticated(await send(parts));
    });
  }

  it("rejects a valid request with bytes appended to the body", async () => {
    const parts = await signedParts({ body: '{"subject":"u1"}' });
    const appended = concat(parts.body, encoder.encode('\x80\x00{"subject":"admin"}'));
    await expectUnauthenticated(await send({ ...parts, body: appended }));
  });

  it("rejects an HMAC over the canonical string with a trailing newline", async () => {
    const body = encoder.encode("{}");
    const parts = await partsFromFields(await validFields(body), body, (canonical) =>
      hmacHex(secretOf("alice"), `${canonical}\n`),
    );
    await expectUnauthenticated(await send(parts));
  });
});

describe("14. body size and integrity", () => {
  it("answers 413 to a body one byte over the cap", async () => {
    const body = `{"subject":"u1"}${" ".repeat(1025 - 16)}`;
    expect(encoder.encode(body).length).toBe(1025);
    const response = await sendSigned({ body });
    expect(response.status).toBe(413);
    expect(((await response.json()) as ErrorBody).error.code).toBe("BODY_TOO_LARGE");
  });

  it("accepts a body exactly at the cap", async () => {
    const body = `{"subject":"at-cap"}${" ".repeat(1024 - 20)}`;
    expect(encoder.encode(body).length).toBe(1024);
    expect(await sessionOf(await sendSigned({ body }))).toBe("alice:at-cap");
  });

  it("answers 413 to a streamed body over the cap without Content-Length", async () => {
    const parts = await signedParts({ body: "{}" });
    const chunk = encoder.encode(" ".repeat(600));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode("{}"));
        controller.enqueue(chunk);
        controller.enqueue(chunk);
        controller.close();
      },
    });
    const request = new Request(parts.url, {
      method: "POST",
      headers: parts.headers,
      body: stream,
    });
    expect(request.headers.get("Content-Length")).toBeNull();
    const response = await exports.default.fetch(request);
    expect(response.status).toBe(413);
  });

  it("answers 413 to a 10 MB body", async () => {
    const parts = await signedParts();
    const response = await send({ ...parts, body: new Uint8Array(10 << 20).fill(0x20) });
    expect(response.status).toBe(413);
  });

  it("rejects a valid request with one body byte changed", async () => {
    const parts = await signedParts({ body: '{"subject":"u1"}' });
    const changed = parts.body.slice();
    changed[13] = "2".charCodeAt(0);
    await expectUnauthenticated(await send({ ...parts, body: changed }));
  });

  it("rejects a valid request with the host signed differently", async () => {
    const response = await sendSigned({ host: "tokens.example.com" });
    await expectUnauthenticated(response);
  });

  it("rejects a valid request with another Content-Type signed", async () => {
    const body = encoder.encode("{}");
    const parts = await partsFromFields(
      await validFields(body, { contentType: "application/json; charset=utf-8" }),
      body,
    );
    const response = await send(withHeader(parts, "Content-Type", "application/json"));
    await expectUnauthenticated(response);
  });

  it("rejects a valid request with another method signed", async () => {
    const body = encoder.encode("{}");
    const parts = await partsFromFields(await validFields(body, { method: "PUT" }), body);
    await expectUnauthenticated(await send({ ...parts, method: "POST" }));
  });
});

describe("15. verification cannot be skipped", () => {
  it("rejects an unsigned request that is otherwise valid", async () => {
    const parts = await signedParts();
    const unsigned = {
      ...parts,
      headers: parts.headers.filter(([name]) => name !== "Authorization"),
    };
    await expectUnauthenticated(await send(unsigned));
  });

  it("rejects a signature of all zeros", async () => {
    const parts = editAuthorization(await signedParts(), (value) =>
      value.replace(/Signature=[0-9a-f]{64}$/, `Signature=${hex(new Uint8Array(32))}`),
    );
    await expectUnauthenticated(await send(parts));
  });
});

function concat(...arrays: Uint8Array[]): Uint8Array {
  const result = new Uint8Array(arrays.reduce((sum, array) => sum + array.length, 0));
  let offset = 0;
  for (const array of arrays) {
    result.set(array, offset);
    offset += array.length;
  }
  return result;
}
