import { describe, expect, it } from "vitest";

import { PUBLIC_HOST, sendSigned } from "../helpers/signing";
import { capturedLogLines } from "../setup/no-secrets-in-logs";

const HEALTH_URL = `https://${PUBLIC_HOST}/v1/health`;

describe("signed health route", () => {
  it("reports the configuration for a signed caller", async () => {
    const response = await sendSigned({ url: HEALTH_URL, body: "{}" });
    const report = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(report.ok).toBe(true);
    expect(report.caller).toBe("alice");
    expect(report.region).toBe("china");
    expect(report.tokenEndpoint).toBe("https://api.coze.cn/api/permission/oauth2/token");
    expect(JSON.stringify(report)).not.toMatch(/PRIVATE KEY|access_token/);
  });

  it("answers 503 for a caller the policy denies", async () => {
    const response = await sendSigned({ url: HEALTH_URL, body: "{}", caller: "denied" });
    const report = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(503);
    expect(report.callerAllowed).toBe(false);
  });

  it("rejects a signature for another path", async () => {
    const response = await sendSigned({
      url: HEALTH_URL,
      signUrl: `https://${PUBLIC_HOST}/v1/token`,
      body: "{}",
    });
    expect(response.status).toBe(401);
  });

  it("rejects a health body with fields", async () => {
    const response = await sendSigned({ url: HEALTH_URL, body: '{"subject":"u1"}' });
    expect(response.status).toBe(400);
  });
});

describe("signed route audit", () => {
  it("records a rejected body of a verified caller", async () => {
    const response = await sendSigned({ body: '{"subject":"u1","extra":1}' });
    const { error } = (await response.json()) as { error: { request_id?: string } };
    const line = capturedLogLines().find(
      (entry) => entry.includes('"token_refused"') && entry.includes(String(error.request_id)),
    );

    expect(response.status).toBe(400);
    expect(line).toContain('"caller":"alice"');
    expect(line).toContain('"channel":"http"');
  });
});
