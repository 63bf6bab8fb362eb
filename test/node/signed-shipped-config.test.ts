/**
 * The signed route as shipped: off in wrangler.toml, its ledger bound with a SQLite migration, and
 * no setting in the code that could turn verification off.
 */

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
/** The directories of the signed route's code. */
const ROUTE_DIRS = ["src/http", "src/signed", "src/ledger"];
/** Every binding the route's code may read. */
const ROUTE_SETTINGS = ["PUBLIC_ROUTE", "PUBLIC_HOST", "CALLER_KEYS", "NONCE_LEDGER"];

function routeSources(): Array<[string, string]> {
  return ROUTE_DIRS.flatMap((dir) =>
    readdirSync(join(REPO, dir))
      .filter((name) => name.endsWith(".ts"))
      .map((name): [string, string] => [
        `${dir}/${name}`,
        readFileSync(join(REPO, dir, name), "utf8"),
      ]),
  );
}

describe("shipped signed route", () => {
  const config = unstable_readConfig({ config: join(REPO, "wrangler.toml") });

  it("is off", () => {
    expect(config.vars.PUBLIC_ROUTE).not.toBe("on");
    expect(config.vars.CALLER_KEYS).toBeUndefined();
    expect(config.workers_dev).toBe(false);
  });

  it("binds the nonce ledger with SQLite storage", () => {
    const binding = config.durable_objects.bindings.find(
      (entry: { name: string }) => entry.name === "NONCE_LEDGER",
    );
    expect(binding?.class_name).toBe("NonceLedger");
    const migrations = config.migrations.flatMap(
      (migration: { new_sqlite_classes?: string[] }) => migration.new_sqlite_classes ?? [],
    );
    expect(migrations).toContain("NonceLedger");
  });

  it("reads no setting but its own", () => {
    for (const [file, text] of routeSources()) {
      for (const match of text.matchAll(/\benv\.([A-Z_][A-Z0-9_]*)/g)) {
        expect(ROUTE_SETTINGS, `${file} reads env.${match[1]}`).toContain(match[1]);
      }
      expect(text, file).not.toMatch(/process\.env|NODE_ENV|import\.meta\.env/);
      expect(text, file).not.toMatch(/\b(DEBUG|SKIP|INSECURE|DISABLE|BYPASS)[A-Z_]*\b/);
    }
  });
});
