/**
 * Reads and creates `.dev.vars`, the dotenv file from which `wrangler dev` loads a Worker's local
 * secrets. Wrangler reads the one next to each wrangler config, so the token Worker's file sits at
 * the repository root.
 *
 * @module
 */

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseEnv } from "node:util";

import { generateThrowawayCredentials } from "./keys.mjs";

/** Path of Coze's token endpoint, which the emulator serves too. */
export const TOKEN_PATH = "/api/permission/oauth2/token";

/**
 * Parses the dotenv file at `path`, or returns `undefined` when it does not exist. Node's parser
 * follows the same rules as the one in wrangler: inside double quotes `\n` becomes a newline.
 */
export function readDevVars(path) {
  if (!existsSync(path)) return undefined;
  return parseEnv(readFileSync(path, "utf8"));
}

/** Quotes a value for dotenv: double quotes, with newlines, quotes and backslashes escaped. */
export function quoteDotenvValue(value) {
  if (/[\\"]/.test(value.replace(/\n/g, ""))) {
    throw new Error("A .dev.vars value may not contain a double quote or a backslash.");
  }
  return `"${value.replace(/\r?\n/g, "\\n")}"`;
}

/**
 * Writes a new `.dev.vars` at `path` with throwaway credentials whose token endpoint is the local
 * emulator on `emulatorPort`. Fails with `EEXIST` rather than overwrite an existing file.
 *
 * @returns the variables written.
 */
export function createThrowawayDevVars(path, emulatorPort) {
  const credentials = generateThrowawayCredentials();
  const vars = {
    CLIENT_ID: credentials.clientId,
    KID: credentials.kid,
    PRIVATE_KEY: credentials.privateKeyPem,
    TOKEN_ENDPOINT: `http://127.0.0.1:${emulatorPort}${TOKEN_PATH}`,
  };
  const lines = [
    "# Throwaway local credentials written by `npm run dev`. The key pair was generated on this",
    "# machine and is known only to the local Coze emulator; it works nowhere else. For a real",
    "# Coze app, replace CLIENT_ID, KID and PRIVATE_KEY with the app's values and remove",
    "# TOKEN_ENDPOINT (or set it to https://api.coze.com/api/permission/oauth2/token).",
    `CLIENT_ID=${quoteDotenvValue(vars.CLIENT_ID)}`,
    `KID=${quoteDotenvValue(vars.KID)}`,
    `PRIVATE_KEY=${quoteDotenvValue(vars.PRIVATE_KEY.trimEnd())}`,
    `TOKEN_ENDPOINT=${quoteDotenvValue(vars.TOKEN_ENDPOINT)}`,
    "",
  ];
  // "wx" fails if the file exists, so a .dev.vars written in the meantime is never replaced.
  writeFileSync(path, lines.join("\n"), { flag: "wx", mode: 0o600 });
  return vars;
}
