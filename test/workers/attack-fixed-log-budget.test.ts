import { env, exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";

import { capturedLogLines } from "../setup/no-secrets-in-logs";
import { sendSigned } from "../helpers/signing";

it("unauthenticated junk does not hide a ledger failure from the log", async () => {
  const before = capturedLogLines().length;
  for (let i = 0; i < 120; i++) {
    await exports.default.fetch("https://tokens.example.test/v1/token", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "junk" },
      body: "{}",
    });
  }
  const ledger = env.NONCE_LEDGER!.get(env.NONCE_LEDGER!.idFromName("ledger-broken"));
  await runInDurableObject(ledger, (_instance, state) => {
    state.storage.sql.exec("DROP TABLE IF EXISTS nonces");
    state.storage.sql.exec("CREATE TABLE nonces (unrelated TEXT)");
  });
  const response = await sendSigned({ caller: "ledger-broken", body: "{}" });
  expect(response.status).toBe(503);
  const lines = capturedLogLines().slice(before);
  expect(lines.some((line) => line.includes("nonce_ledger_failed"))).toBe(true);
});
