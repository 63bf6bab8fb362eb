/**
 * Attacks on the signed route's Authorization header and on what the signature binds. The header
 * gets look-alike characters and separators, a request moves between the token and health paths,
 * and a request goes to a host other than the signed PUBLIC_HOST. "Valid" means correctly signed
 * for alice/k1 now.
 */

import { describe, expect, it } from "vitest";

import {
  type ErrorBody,
  type RequestParts,
  type TokenBody,
  PUBLIC_HOST,
  headerOf,
  send,
  sendSigned,
  signedParts,
  withHeader,
} from "../helpers/signing";

const HEALTH_URL = `https://${PUBLIC_HOST}/v1/health`;

function editAuthorization(parts: RequestParts, edit: (value: string) => string): RequestParts {
  return withHeader(parts, "Authorization", edit(headerOf(parts, "Authorization")));
}

/** The parts of a 401 that must not depend on why authentication failed. */
async function unauthenticatedShape(response: Response) {
  const body = (await response.json()) as ErrorBody;
  const headers = [...response.headers].filter(([name]) => name !== "date");
  return {
    status: response.status,
    headers,
    code: body.error.code,
    message: body.error.message,
    hasRequestId: typeof body.error.request_id === "string",
  };
}

describe("look-alike Authorization headers", () => {
  const edits: Array<[string, (value: string) => string]> = [
    ["a Cyrillic O in the label", (value) => value.replace("COZE", "C\u041eZE")],
    ["a no-break space after the label", (value) => value.replace("SHA256 ", "SHA256\u00a0")],
    ["a tab after the label", (value) => value.replace("SHA256 ", "SHA256\t")],
    ["two spaces after the label", (value) => value.replace("SHA256 ", "SHA256  ")],
    [
      "lowercase field names",
      (value) =>
        value.replace(
          /(Credential|Timestamp|Nonce|Signature)=/g,
          (_, f: string) => `${f.toLowerCase()}=`,
        ),
    ],
    ["commas without spaces", (value) => value.replace(/, /g, ",")],
    ["semicolons between fields", (value) => value.replace(/, /g, "; ")],
    ["a fullwidth comma", (value) => value.replace(", Timestamp", "\uff0c Timestamp")],
    ["spaces around =", (value) => value.replace("Credential=", "Credential = ")],
    ["a quoted signature", (value) => value.replace(/Signature=([0-9a-f]{64})/, 'Signature="$1"')],
    ["a trailing comma", (value) => `${value},`],
    ["an extra field", (value) => `${value}, Version=1`],
    ["the header repeated", (value) => `${value}, ${value}`],
    ["the credential as caller:key", (value) => value.replace("alice/k1", "alice:k1")],
    ["an uppercase caller", (value) => value.replace("alice/k1", "ALICE/k1")],
  ];
  for (const [name, edit] of edits) {
    it(`rejects ${name}`, async () => {
      // workerd sends characters above U+00FF as UTF-8, with a warning for each.
      const response = await send(editAuthorization(await signedParts(), edit));
      expect(response.status).toBe(401);
      expect(((await response.json()) as ErrorBody).error.code).toBe("UNAUTHENTICATED");
    });
  }
});

describe("one 401 whatever the reason", () => {
  it("is identical for four different failures", async () => {
    const replayed = await signedParts({ body: "{}" });
    expect((await send(replayed)).status).toBe(200);
    const query = await signedParts({ body: "{}" });
    const lookalike = editAuthorization(await signedParts({ body: "{}" }), (value) =>
      value.replace("COZE", "C\u041eZE"),
    );
    const failures: RequestParts[] = [
      replayed,
      { ...query, url: `${query.url}?caller=mallory` },
      await signedParts({ caller: "nobody", secret: "A".repeat(43), body: "{}" }),
      lookalike,
    ];

    const shapes = [];
    for (const parts of failures) shapes.push(await unauthenticatedShape(await send(parts)));
    expect(shapes[0]!.status).toBe(401);
    expect(shapes[0]!.hasRequestId).toBe(true);
    for (const shape of shapes.slice(1)) expect(shape).toEqual(shapes[0]);
  });
});

describe("what the signature binds", () => {
  it("rejects a token request moved to the health path", async () => {
    const parts = await signedParts({ body: "{}" });
    const response = await send({ ...parts, url: HEALTH_URL });
    expect(response.status).toBe(401);
  });

  it("rejects a health request moved to the token path", async () => {
    const parts = await signedParts({ url: HEALTH_URL, body: "{}" });
    const response = await send({ ...parts, url: `https://${PUBLIC_HOST}/v1/token` });
    expect(response.status).toBe(401);
  });

  // The signature covers PUBLIC_HOST, not the Host the request arrived with, so one signed
  // request works on every route to this deployment and fails at a deployment with another host.
  const arrivals = [
    ["another host", "https://other.example.test/v1/token"],
    ["another port", `https://${PUBLIC_HOST}:8443/v1/token`],
    ["plain http", `http://${PUBLIC_HOST}/v1/token`],
  ] as const;
  for (const [name, url] of arrivals) {
    it(`accepts a request signed for PUBLIC_HOST that arrives on ${name}`, async () => {
      const response = await sendSigned({
        url,
        signUrl: `https://${PUBLIC_HOST}/v1/token`,
        body: '{"subject":"moved"}',
      });
      expect(response.status).toBe(200);
      expect(((await response.json()) as TokenBody).session_name).toBe("alice:moved");
    });
  }
});
