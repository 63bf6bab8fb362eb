import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

import type { TokenWorker } from "../../src/entrypoint";
import { capturedLogLines } from "../setup/no-secrets-in-logs";

/** The app the token Worker under test is configured for, in vitest.config.ts. */
const TEST_CLIENT_ID = "1000000001";

type TokenStub = Pick<TokenWorker, "getToken" | "health">;

/** Returns an RPC stub of the token Worker whose binding carries `props`. */
function tokenWorkerAs(props: Record<string, unknown> | undefined): TokenStub {
  const factory = exports.default as unknown as (options: { props?: unknown }) => TokenStub;
  return factory(props === undefined ? {} : { props });
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error("expected the call to reject");
}

interface EmulatorRecord {
  session_name?: string;
  duration_seconds: number;
  path: string;
  scope?: unknown;
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

async function issuedBy(clientId: string): Promise<EmulatorRecord[]> {
  const response = await fetch(`https://api.coze.cn/__emulator/stats?client_id=${clientId}`);
  return ((await response.json()) as { tokens: EmulatorRecord[] }).tokens;
}

describe("fetch outside the signed routes", () => {
  for (const [method, path] of [
    ["GET", "/"],
    ["POST", "/"],
    ["POST", "/token"],
    ["GET", "/health"],
  ] as const) {
    it(`answers 404 to ${method} ${path}`, async () => {
      const response = await exports.default.fetch(`https://token.example.com${path}`, {
        method,
      });
      expect(response.status).toBe(404);
      expect(response.headers.get("Cache-Control")).toBe("no-store");
      expect(await response.text()).not.toMatch(/token"|access/);
    });
  }
});

describe("caller Worker through a real service binding", () => {
  it("gets a token for its own session and uses it at Coze", async () => {
    const response = await env.EXAMPLE_CALLER.fetch("https://caller/token");
    const body = (await response.json()) as Record<string, any>;

    expect(response.status).toBe(200);
    expect(body.sessionName).toBe("example-caller");
    expect(body.tokenType).toBe("Bearer");
    expect(body.expiresAt).toBeGreaterThan(Date.now() / 1000);
    expect(body.coze.code).toBe(0);
    expect(body.coze.emulatorSessionName).toBe("example-caller");
  });

  it("gets a token for an end user as caller:subject", async () => {
    const response = await env.EXAMPLE_CALLER.fetch("https://caller/token?subject=u1");
    const body = (await response.json()) as Record<string, any>;

    expect(response.status).toBe(200);
    expect(body.sessionName).toBe("example-caller:u1");
    expect(body.coze.emulatorSessionName).toBe("example-caller:u1");
  });

  it("sees the RPC error code of an invalid subject", async () => {
    const response = await env.EXAMPLE_CALLER.fetch("https://caller/token?subject=a%20b");
    const body = (await response.json()) as { error: { code: string; message: string } };

    expect(response.status).toBe(400);
    expect(body.error.code).toBe("SUBJECT_INVALID");
    expect(body.error.message).toMatch(/subject must be 1 to 128 characters/);
  });

  it("sends the JWT that Coze documents", async () => {
    await env.EXAMPLE_CALLER.fetch("https://caller/token?subject=jwt-check");
    const record = (await issuedBy(TEST_CLIENT_ID)).findLast(
      (token) => token.session_name === "example-caller:jwt-check",
    );

    expect(record?.header).toEqual({ alg: "RS256", typ: "JWT", kid: "test-kid-main" });
    expect(record?.claims.iss).toBe(TEST_CLIENT_ID);
    expect(record?.claims.aud).toBe("api.coze.cn");
    expect(Number(record?.claims.exp) - Number(record?.claims.iat)).toBe(3600);
    expect(String(record?.claims.jti).length).toBeGreaterThanOrEqual(43);
    expect(record?.duration_seconds).toBe(900);
    expect(record?.path).toBe("/api/permission/oauth2/token");
  });
});

describe("getToken arguments", () => {
  it("rejects a binding without props", async () => {
    const error = await rejection(tokenWorkerAs(undefined).getToken());
    expect(error.code).toBe("CALLER_MISSING");
    expect(error.message).toMatch(/props = \{ caller = /);
  });

  const badCallers: unknown[] = ["Billing", "a:b", "", "-x", 42, "x".repeat(64)];
  for (const caller of badCallers) {
    it(`rejects props.caller ${JSON.stringify(caller)}`, async () => {
      const error = await rejection(tokenWorkerAs({ caller }).getToken());
      expect(error.code).toBe("CALLER_INVALID");
    });
  }

  const badOptions: Array<[string, unknown, string]> = [
    ["a string", "u1", "ARGUMENT_INVALID"],
    ["a list", ["u1"], "ARGUMENT_INVALID"],
    ["an unknown field", { user: "u1" }, "ARGUMENT_INVALID"],
    ["a caller field", { caller: "other" }, "ARGUMENT_INVALID"],
    ["an empty subject", { subject: "" }, "SUBJECT_INVALID"],
    ["a subject with a space", { subject: "a b" }, "SUBJECT_INVALID"],
    ["a 129-character subject", { subject: "u".repeat(129) }, "SUBJECT_INVALID"],
    ["a numeric subject", { subject: 42 }, "SUBJECT_INVALID"],
    ["a fractional duration", { durationSeconds: 90.5 }, "DURATION_INVALID"],
    ["a duration over 86399", { durationSeconds: 86400 }, "DURATION_INVALID"],
    ["a duration under 60", { durationSeconds: 59 }, "DURATION_INVALID"],
    ["a duration as string", { durationSeconds: "900" }, "DURATION_INVALID"],
    ["a negative minRemainingSeconds", { minRemainingSeconds: -1 }, "ARGUMENT_INVALID"],
    ["a string forceRefresh", { forceRefresh: "yes" }, "ARGUMENT_INVALID"],
  ];
  for (const [name, options, code] of badOptions) {
    it(`rejects ${name}`, async () => {
      const stub = tokenWorkerAs({ caller: "args-check" });
      const error = await rejection(stub.getToken(options as never));
      expect(error.code).toBe(code);
    });
  }

  it("maps distinct caller and subject pairs to distinct session names", async () => {
    const pairs: Array<[string, string | undefined]> = [
      ["a", "b:c"],
      ["a", "b"],
      ["a", undefined],
    ];
    const names = await Promise.all(
      pairs.map(([caller, subject]) =>
        tokenWorkerAs({ caller })
          .getToken(subject === undefined ? {} : { subject })
          .then((token) => token.sessionName),
      ),
    );
    expect(names).toEqual(["a:b:c", "a:b", "a"]);
  });
});

describe("RPC surface", () => {
  for (const name of ["fetchToken", "issueToken", "env", "ctx", "constructor"]) {
    it(`does not expose ${name}`, async () => {
      const stub = tokenWorkerAs({ caller: "surface" }) as unknown as Record<string, unknown>;
      let exposed: unknown;
      try {
        const member = stub[name];
        exposed = typeof member === "function" ? await (member as () => unknown)() : await member;
      } catch {
        exposed = undefined;
      }
      expect(exposed).toBeUndefined();
    });
  }
});

describe("health", () => {
  it("reports a valid configuration without secrets", async () => {
    const report = await tokenWorkerAs({ caller: "billing" }).health();

    expect(report.ok).toBe(true);
    expect(report.caller).toBe("billing");
    expect(report.callerAllowed).toBe(true);
    expect(report.region).toBe("china");
    expect(report.audience).toBe("api.coze.cn");
    expect(report.tokenEndpoint).toBe("https://api.coze.cn/api/permission/oauth2/token");
    expect(JSON.stringify(report)).not.toMatch(/PRIVATE KEY|MII/);
  });

  it("reports a caller the policy denies", async () => {
    const report = await tokenWorkerAs({ caller: "denied" }).health();
    expect(report.ok).toBe(false);
    expect(report.callerAllowed).toBe(false);
  });

  it("answers a binding without props", async () => {
    const report = await tokenWorkerAs(undefined).health();
    expect(report.caller).toBeNull();
    expect(report.callerAllowed).toBeNull();
  });
});

describe("audit records", () => {
  it("records an issuance without the token", async () => {
    const token = await tokenWorkerAs({ caller: "audited" }).getToken({ subject: "u7" });
    const line = capturedLogLines().find(
      (entry) => entry.includes('"token_issued"') && entry.includes('"audited:u7"'),
    );

    expect(line).toBeDefined();
    expect(line).toContain('"channel":"rpc"');
    expect(line).toContain('"requestId"');
    expect(line).not.toContain(token.accessToken);
  });

  it("records a refusal of invalid options once", async () => {
    await rejection(tokenWorkerAs({ caller: "bad-options" }).getToken({ durationSeconds: 5 }));
    const lines = capturedLogLines().filter(
      (entry) => entry.includes('"token_refused"') && entry.includes('"caller":"bad-options"'),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"code":"DURATION_INVALID"');
  });

  it("records a refusal without caller id", async () => {
    const before = capturedLogLines().filter((entry) => entry.includes('"CALLER_MISSING"')).length;
    await rejection(tokenWorkerAs(undefined).getToken());
    const after = capturedLogLines().filter((entry) => entry.includes('"CALLER_MISSING"'));
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)).toContain('"token_refused"');
  });

  it("records a refusal with its code", async () => {
    await rejection(tokenWorkerAs({ caller: "denied" }).getToken());
    const line = capturedLogLines().find(
      (entry) => entry.includes('"token_refused"') && entry.includes('"caller":"denied"'),
    );
    expect(line).toContain('"code":"POLICY_DENIED"');
  });
});
