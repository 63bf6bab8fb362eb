/**
 * The parts of the benchmark that need no running Worker: the deployed bundle's size, a
 * description of the machine, and the results table.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

/** Files of a dry-run output directory that are not uploaded as Worker modules. */
const NOT_UPLOADED = /(\.map|README\.md)$/;

/**
 * Builds the token Worker as `wrangler deploy --dry-run` would upload it (no network needed) and
 * returns the raw and gzipped size of its modules in bytes.
 */
export function measureBundle(root) {
  const require = createRequire(join(root, "package.json"));
  const wrangler = join(require.resolve("wrangler/package.json"), "..", "bin", "wrangler.js");
  const outdir = mkdtempSync(join(tmpdir(), "coze-token-bundle-"));
  try {
    execFileSync(
      process.execPath,
      [wrangler, "deploy", "--dry-run", "--outdir", outdir, "-c", "wrangler.toml"],
      { cwd: root, stdio: "pipe", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
    );
    const files = readdirSync(outdir).filter((name) => !NOT_UPLOADED.test(name));
    let rawBytes = 0;
    let gzipBytes = 0;
    for (const name of files) {
      const content = readFileSync(join(outdir, name));
      rawBytes += content.byteLength;
      gzipBytes += gzipSync(content).byteLength;
    }
    return { files, rawBytes, gzipBytes };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function packageVersion(root, name) {
  const require = createRequire(join(root, "package.json"));
  return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")).version;
}

/** Describes the machine and the software versions the numbers were measured with. */
export function describeMachine(root) {
  const cpuInfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuInfo)?.[1] ?? cpus()[0]?.model ?? "unknown";
  return {
    cpus: cpus().length,
    cpuModel: model.trim(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    wrangler: packageVersion(root, "wrangler"),
    workerd: packageVersion(root, "workerd"),
  };
}

/**
 * Formats rows of `{ measurement, result, goal, met }` as a Markdown table (`met`: true, false or
 * null when the row has no goal).
 */
export function formatTable(rows) {
  const verdict = (met) => {
    if (met === null) return "—";
    return met ? "met" : "NOT MET";
  };
  const cells = rows.map((row) => [row.measurement, row.result, row.goal, verdict(row.met)]);
  const header = ["Measurement", "Result", "Goal", "Met"];
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((c) => c[i].length)));
  const line = (values) => `| ${values.map((v, i) => v.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}
