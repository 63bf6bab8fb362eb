/**
 * Attacks on the RPC entrypoint by a Worker that has a service binding. They cover options it could
 * smuggle past validation (prototype keys, functions, RPC stubs, boxed values, huge strings),
 * members of `TokenWorker` it must not reach, and a cached token that outlives its policy.
 */

import { RpcTarget, env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

import { issueToken } from "../../src/issue";
import { parseCallerPolicy } from "../../src/policy/caller-policy";
import { getRuntime } from "../../src/runtime";

/** Returns an RPC stub of the token Worker whose binding names `caller`, typed loosely for attacks. */
function tokenWorkerAs(caller: string): {
  getToken(...args: unknown[]): Promise<{ sessionName: string; cached: boolean }>;
} {
  return exports.default({ props: { caller } }) as never;
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error("expected the call to reject");
}

/** An object that crosses RPC as a stub, not as data. */
class SubjectTarget extends RpcTarget {
  get subject(): string {
    return "from-a-stub";
  }
}

describe("getToken options smuggled over RPC", () => {
  const cases: Array<[string, unknown, string]> = [
    [
      "a __proto__ key from JSON.parse",
      JSON.parse('{"__proto__":{"subject":"u1"}}'),
      "ARGUMENT_INVALID",
    ],
    ["a constructor key", { constructor: { prototype: { subject: "u1" } } }, "ARGUMENT_INVALID"],
    ["a function as options", () => ({ subject: "u1" }), "ARGUMENT_INVALID"],
    ["an RpcTarget as options", new SubjectTarget(), "ARGUMENT_INVALID"],
    ["an array-like object", { 0: "u1", length: 1 }, "ARGUMENT_INVALID"],
    ["a function as subject", { subject: () => "u1" }, "SUBJECT_INVALID"],
    ["an RpcTarget as subject", { subject: new SubjectTarget() }, "SUBJECT_INVALID"],
    ["a boxed string as subject", { subject: new String("u1") }, "SUBJECT_INVALID"],
    ["a BigInt duration", { durationSeconds: 900n }, "DURATION_INVALID"],
    ["a NaN duration", { durationSeconds: Number.NaN }, "DURATION_INVALID"],
    ["a boxed number duration", { durationSeconds: new Number(900) }, "DURATION_INVALID"],
    ["an infinite minRemainingSeconds", { minRemainingSeconds: Infinity }, "ARGUMENT_INVALID"],
    ["a boxed boolean forceRefresh", { forceRefresh: new Boolean(true) }, "ARGUMENT_INVALID"],
  ];
  for (const [name, options, code] of cases) {
    it(`rejects ${name}`, async () => {
      const error = await rejection(tokenWorkerAs("smuggler").getToken(options));
      expect(error.code).toBe(code);
    });
  }

  it("rejects a 5 MB subject without echoing it", async () => {
    const subject = "u".repeat(5_000_000);
    const error = await rejection(tokenWorkerAs("smuggler").getToken({ subject }));
    expect(error.code).toBe("SUBJECT_INVALID");
    expect(error.message.length).toBeLessThan(500);
  });

  it("ignores a second argument that names another caller", async () => {
    const token = await tokenWorkerAs("second-argument").getToken({}, { caller: "victim" });
    expect(token.sessionName).toBe("second-argument");
  });
});

describe("TokenWorker members over RPC", () => {
  // Handler and Durable Object names that workerd reserves or that TokenWorker does not define.
  const names = ["tail", "scheduled", "queue", "test", "email", "alarm", "webSocketMessage", "dup"];
  for (const name of names) {
    it(`rejects a call to ${name}`, async () => {
      const stub = exports.default({ props: { caller: "surface" } }) as unknown as Record<
        string,
        () => Promise<unknown>
      >;
      await expect(Promise.resolve().then(() => stub[name]!())).rejects.toThrow(TypeError);
    });
  }
});

describe("policy before cache", () => {
  it("rejects a cached session of a denied caller", async () => {
    const runtime = await getRuntime(env);
    const request = { caller: "cached-then-denied", channel: "rpc" as const };
    await issueToken(runtime, { ...request, requestId: crypto.randomUUID() });
    const again = await issueToken(runtime, { ...request, requestId: crypto.randomUUID() });
    expect(again.cached).toBe(true);

    // The same token service, so the token is still cached, under a policy that denies the caller.
    const denying = parseCallerPolicy(
      JSON.stringify({
        default: { allow: true },
        callers: { "cached-then-denied": { allow: false } },
      }),
    );
    const rejected = issueToken(
      { ...runtime, policy: denying },
      { ...request, requestId: crypto.randomUUID() },
    );
    await expect(rejected).rejects.toMatchObject({ code: "POLICY_DENIED" });
  });

  it("rejects a cached subject without subjects allowed", async () => {
    const runtime = await getRuntime(env);
    const request = { caller: "cached-subject", subject: "u1", channel: "rpc" as const };
    await issueToken(runtime, { ...request, requestId: crypto.randomUUID() });

    const noSubjects = parseCallerPolicy(
      JSON.stringify({
        default: { allow: true },
        callers: { "cached-subject": { subjects: false } },
      }),
    );
    const rejected = issueToken(
      { ...runtime, policy: noSubjects },
      { ...request, requestId: crypto.randomUUID() },
    );
    await expect(rejected).rejects.toMatchObject({ code: "POLICY_DENIED" });
  });
});
