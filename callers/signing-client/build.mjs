#!/usr/bin/env node
/**
 * Generates `sign-request.mjs` from `sign-request.ts`, so that Node.js 20, which cannot run
 * TypeScript, can use the signer through `cli.mjs`. The TypeScript compiler strips the types and
 * keeps the comments, and Prettier formats the result. A test checks that the committed file is
 * what this script writes, so the two never drift.
 *
 *   node callers/signing-client/build.mjs           writes sign-request.mjs
 *   node callers/signing-client/build.mjs --check   exits 1 when sign-request.mjs is stale
 *
 * @module
 */

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const SOURCE = fileURLToPath(new URL("./sign-request.ts", import.meta.url));
const OUTPUT = fileURLToPath(new URL("./sign-request.mjs", import.meta.url));

const HEADER =
  "// Generated from sign-request.ts by `node callers/signing-client/build.mjs`. Do not edit:\n" +
  "// change sign-request.ts and run the script again.\n\n";

/** Returns the text `sign-request.mjs` must have for the current `sign-request.ts`. */
export async function generateSignRequestModule() {
  const { default: ts } = await import("typescript");
  const prettier = await import("prettier");
  const { outputText } = ts.transpileModule(readFileSync(SOURCE, "utf8"), {
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ES2022,
      verbatimModuleSyntax: true,
    },
  });
  const options = (await prettier.resolveConfig(OUTPUT)) ?? {};
  return prettier.format(HEADER + outputText, { ...options, filepath: OUTPUT });
}

async function main() {
  const expected = await generateSignRequestModule();
  if (process.argv.includes("--check")) {
    const current = readFileSync(OUTPUT, "utf8");
    if (current !== expected) {
      console.error("sign-request.mjs is stale; run node callers/signing-client/build.mjs.");
      process.exit(1);
    }
    return;
  }
  writeFileSync(OUTPUT, expected);
  console.log(`Wrote ${OUTPUT}.`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
