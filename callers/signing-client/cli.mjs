#!/usr/bin/env node
/**
 * Gets a Coze access token from the token Worker's signed public route and prints the JSON
 * response on stdout. Needs Node.js 20 or later and nothing else.
 *
 * @module
 */

import { parseArgs } from "node:util";

import { CONTENT_TYPE, signRequest } from "./sign-request.mjs";

const USAGE = `Usage: node callers/signing-client/cli.mjs [options] <url>

Sends a signed POST to <url>, such as https://tokens.example.com/v1/token, and prints the
token Worker's JSON response: {"access_token", "expires_in", "token_type", "session_name"}.

Environment:
  COZE_TOKEN_CALLER     caller id, as listed in the Worker's CALLER_KEYS
  COZE_TOKEN_KEY_ID     key id under that caller, such as k1
  COZE_TOKEN_SECRET     the key's secret, unpadded base64url

Options:
  --subject <id>              end-user id; the Coze session becomes caller:subject
  --duration-seconds <n>      token lifetime in seconds, 60 to 86399
  --timeout-seconds <n>       time allowed for the request (default 30)
  --dry-run                   print the signed string and the headers, send nothing
  --timestamp <unix seconds>  with --dry-run only: sign with this timestamp
  --nonce <base64url>         with --dry-run only: sign with this nonce
  -h, --help                  print this help

Exit status: 0 on success, 1 when the Worker returns an error, 2 for a usage error.`;

const OPTIONS = {
  subject: { type: "string" },
  "duration-seconds": { type: "string" },
  "timeout-seconds": { type: "string", default: "30" },
  "dry-run": { type: "boolean", default: false },
  timestamp: { type: "string" },
  nonce: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
};

class UsageError extends Error {}

function wholeNumber(name, text) {
  if (text === undefined) return undefined;
  if (!/^[0-9]+$/.test(text)) throw new UsageError(`--${name} must be a whole number.`);
  return Number(text);
}

function requireEnv(env, name) {
  const value = env[name]?.trim();
  if (!value) throw new UsageError(`${name} is not set; see --help.`);
  return value;
}

/** Reads the command line and environment into the request to send. */
function parseCommand(argv, env) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (error) {
    throw new UsageError(error.message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  if (positionals.length !== 1) throw new UsageError("Give exactly one URL; see --help.");
  if (!values["dry-run"] && (values.timestamp !== undefined || values.nonce !== undefined)) {
    throw new UsageError("--timestamp and --nonce work only with --dry-run: a nonce is used once.");
  }
  const body = {};
  if (values.subject !== undefined) body.subject = values.subject;
  const duration = wholeNumber("duration-seconds", values["duration-seconds"]);
  if (duration !== undefined) body.duration_seconds = duration;
  return {
    url: positionals[0],
    body: JSON.stringify(body),
    dryRun: values["dry-run"],
    timeoutMs: wholeNumber("timeout-seconds", values["timeout-seconds"]) * 1000,
    now: wholeNumber("timestamp", values.timestamp),
    nonce: values.nonce,
    caller: requireEnv(env, "COZE_TOKEN_CALLER"),
    keyId: requireEnv(env, "COZE_TOKEN_KEY_ID"),
    secret: requireEnv(env, "COZE_TOKEN_SECRET"),
  };
}

/** Warns on stderr when the server's Date header shows the local clock is far off. */
function reportClockSkew(response) {
  const serverDate = Date.parse(response.headers.get("Date") ?? "");
  if (Number.isNaN(serverDate)) return;
  const skewSeconds = Math.round((Date.now() - serverDate) / 1000);
  if (Math.abs(skewSeconds) > 60) {
    console.error(
      `The local clock is ${skewSeconds} s off the server's; signatures are accepted only ` +
        "within 300 s. Synchronise the clock (NTP).",
    );
  }
}

async function send(command) {
  let signed;
  try {
    signed = await signRequest({ ...command, method: "POST" });
  } catch (error) {
    throw new UsageError(error.message);
  }
  if (command.dryRun) {
    console.log(signed.canonicalRequest);
    console.log("");
    console.log(`Authorization: ${signed.headers.Authorization}`);
    console.log(`Content-Type: ${CONTENT_TYPE}`);
    console.log(`Body: ${command.body}`);
    return 0;
  }
  const response = await fetch(command.url, {
    method: "POST",
    headers: signed.headers,
    body: command.body,
    signal: AbortSignal.timeout(command.timeoutMs),
  });
  const text = await response.text();
  if (response.ok) {
    console.log(text);
    return 0;
  }
  console.error(`HTTP ${response.status}: ${text}`);
  if (response.status === 401) reportClockSkew(response);
  return 1;
}

async function main() {
  try {
    const command = parseCommand(process.argv.slice(2), process.env);
    if (command.help) {
      console.log(USAGE);
      return 0;
    }
    return await send(command);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      return 2;
    }
    console.error(`Request failed: ${error.cause?.message ?? error.message}`);
    return 1;
  }
}

process.exitCode = await main();
