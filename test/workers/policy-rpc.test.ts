import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

import { hashSessionName, hashSubject } from "../../src/audit/subject-privacy";
import { issueToken } from "../../src/issue";
import { getRuntime } from "../../src/runtime";
import { capturedLogLines } from "../setup/no-secrets-in-logs";

/** The app the token Worker under test is configured for, in vitest.config.ts. */
const TEST_CLIENT_ID = "1000000001";

function tokenWorkerAs(caller: string) {
  return exports.default({ props: { caller } });
}

async function rejection(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error as {
      code?: string;
      message: string;
      retryAfterSeconds?: number;
      variable?: string;
    };
  }
  throw new Error("expected the call to reject");
}

interface EmulatorRecord {
  session_name?: string;
  path: string;
  scope?: unknown;
  duration_seconds: number;
}

async function lastIssued(sessionName: string): Promise<EmulatorRecord | undefined> {
  const response = await fetch(`https://api.coze.cn/__emulator/stats?client_id=${TEST_CLIENT_ID}`);
  const { tokens } = (await response.json()) as { tokens: EmulatorRecord[] };
  return tokens.findLast((token) => token.session_name === sessionName);
}

describe("policy over RPC", () => {
  it("rejects a denied caller with POLICY_DENIED", async () => {
    const error = await rejection(tokenWorkerAs("denied").getToken());
    expect(error.code).toBe("POLICY_DENIED");
  });

  it("rejects a duration above the caller's maximum", async () => {
    const error = await rejection(tokenWorkerAs("short-lived").getToken({ durationSeconds: 301 }));
    expect(error.code).toBe("POLICY_DENIED");
    expect(error.message).toMatch(/at most 300 s/);
  });

  it("caps the default duration for a short-lived caller", async () => {
    await tokenWorkerAs("short-lived").getToken();
    expect((await lastIssued("short-lived"))?.duration_seconds).toBe(300);
  });

  it("rejects subjects for a caller without them", async () => {
    const error = await rejection(tokenWorkerAs("no-subjects").getToken({ subject: "u1" }));
    expect(error.code).toBe("POLICY_DENIED");
    await expect(tokenWorkerAs("no-subjects").getToken()).resolves.toMatchObject({
      sessionName: "no-subjects",
    });
  });

  it("sends the fixed scope to the account endpoint", async () => {
    await tokenWorkerAs("channel-bot").getToken();
    const record = await lastIssued("channel-bot");
    expect(record?.path).toBe("/api/permission/oauth2/account/7351234567890/token");
    expect(record?.scope).toEqual({
      account_permission: { permission_list: ["Connector.botChat"] },
    });
  });

  it("uses the enterprise endpoint variant", async () => {
    await tokenWorkerAs("enterprise-app").getToken();
    const record = await lastIssued("enterprise-app");
    expect(record?.path).toBe("/api/permission/oauth2/enterprise_id/ent_42/token");
  });
});

describe("rate limit over RPC", () => {
  it("rejects the fourth request within the window", async () => {
    const stub = tokenWorkerAs("limited");
    for (let i = 0; i < 3; i++) await stub.getToken();
    const error = await rejection(stub.getToken());

    expect(error.code).toBe("RATE_LIMITED");
    expect(error.retryAfterSeconds).toBe(60);
    const refusal = capturedLogLines().find(
      (line) => line.includes('"token_refused"') && line.includes('"code":"RATE_LIMITED"'),
    );
    expect(refusal).toContain('"caller":"limited"');
  });
});

describe("audit subject hashing", () => {
  it("hashes subjects and session names when asked", async () => {
    const hashingEnv = { ...env, AUDIT_HASH_SUBJECTS: "true" };
    const runtime = await getRuntime(hashingEnv);
    await issueToken(runtime, {
      caller: "hashing",
      subject: "alice@example.com",
      channel: "rpc",
      requestId: "req-hash-1",
    });
    const lines = capturedLogLines().filter((line) => line.includes("req-hash-1"));

    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).not.toContain("alice@example.com");
    const audit = lines.find((line) => line.includes('"token_issued"'));
    expect(audit).toContain(hashSubject("hashing", "alice@example.com"));
    expect(audit).toContain(hashSessionName("hashing:alice@example.com"));
  });

  it("keeps a session name without subject as it is", () => {
    expect(hashSessionName("billing")).toBe("billing");
    expect(hashSessionName("billing:u1")).toMatch(/^billing:sha256:[0-9a-f]{32}$/);
  });

  it("rejects an invalid AUDIT_HASH_SUBJECTS value", async () => {
    const error = await rejection(getRuntime({ ...env, AUDIT_HASH_SUBJECTS: "yes" }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toMatch(/AUDIT_HASH_SUBJECTS must be "true" or "false"/);
  });
});

describe("audit of cache hits", () => {
  async function auditLines(requestId: string) {
    return capturedLogLines().filter(
      (line) => line.includes('"token_issued"') && line.includes(requestId),
    );
  }

  it("records cache hits by default", async () => {
    const runtime = await getRuntime(env);
    const request = { caller: "audit-hits", channel: "rpc" as const };
    await issueToken(runtime, { ...request, requestId: "req-hit-miss-1" });
    const hit = await issueToken(runtime, { ...request, requestId: "req-hit-on-2" });

    expect(hit.cached).toBe(true);
    const lines = await auditLines("req-hit-on-2");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"cache":"hit"');
  });

  it("skips cache hits when AUDIT_CACHE_HITS is false", async () => {
    const runtime = await getRuntime({ ...env, AUDIT_CACHE_HITS: "false" });
    const request = { caller: "audit-no-hits", channel: "rpc" as const };
    await issueToken(runtime, { ...request, requestId: "req-nohit-miss-1" });
    const hit = await issueToken(runtime, { ...request, requestId: "req-nohit-hit-2" });

    expect(hit.cached).toBe(true);
    expect(await auditLines("req-nohit-miss-1")).toHaveLength(1);
    expect(await auditLines("req-nohit-hit-2")).toHaveLength(0);
  });

  it("rejects an invalid AUDIT_CACHE_HITS value", async () => {
    const error = await rejection(getRuntime({ ...env, AUDIT_CACHE_HITS: "no" }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.variable).toBe("AUDIT_CACHE_HITS");
  });
});

describe("configuration errors over RPC", () => {
  it("reports a region mismatch in health without secrets", async () => {
    const { buildHealthReport } = await import("../../src/health");
    const report = await buildHealthReport(
      {
        ...env,
        AUDIENCE: "api.coze.com",
        TOKEN_ENDPOINT: "https://api.coze.cn/api/permission/oauth2/token",
      },
      "billing",
    );
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe("REGION_MISMATCH");
    expect(JSON.stringify(report)).not.toContain(env.PRIVATE_KEY!.split("\n")[1]!);
  });
});
