/**
 * Reads and validates the Coze credentials and endpoint from the Worker's bindings.
 *
 * @module
 */

import type { Env } from "../env";
import { TokenWorkerError } from "../errors";
import { privateKeyToPkcs8 } from "./private-key";
import { type CozeRegion, TOKEN_PATH, isLoopbackHost, regionOfHost } from "./region";

/** Coze's largest `duration_seconds`. */
export const MAX_DURATION_SECONDS = 86399;
/** Smallest token lifetime accepted, in seconds; shorter tokens would be re-minted on every call. */
export const MIN_DURATION_SECONDS = 60;
/** `duration_seconds` when `TOKEN_DURATION` is not set, as in Coze's own default. */
export const DEFAULT_DURATION_SECONDS = 900;
/** `AUDIENCE` when it is not set and `TOKEN_ENDPOINT` is not a Coze host. */
export const DEFAULT_AUDIENCE = "api.coze.cn";

/** The validated Coze settings. Contains the private key, so it is never logged or returned. */
export interface TokenConfig {
  readonly clientId: string;
  readonly kid: string;
  readonly audience: string;
  /** Full URL of the token endpoint, ending in `/api/permission/oauth2/token`. */
  readonly tokenEndpoint: string;
  readonly defaultDurationSeconds: number;
  /** The Coze region the endpoint is in; `undefined` for a local emulator or proxy. */
  readonly region: CozeRegion | undefined;
  /** The private key as PKCS#8 DER bytes. */
  readonly privateKeyPkcs8: Uint8Array;
}

function configError(variable: string, message: string): TokenWorkerError {
  return new TokenWorkerError("CONFIG_INVALID", `${variable} ${message}`, { variable });
}

function requireString(env: Env, variable: "CLIENT_ID" | "PRIVATE_KEY" | "KID"): string {
  const value = env[variable];
  if (typeof value !== "string" || value.trim() === "") {
    const how =
      variable === "PRIVATE_KEY"
        ? "`wrangler secret put PRIVATE_KEY < private_key.pem`"
        : `\`wrangler secret put ${variable}\` or [vars] in wrangler.toml`;
    throw new TokenWorkerError(
      "CONFIG_MISSING",
      `${variable} is not set. Set it with ${how}; locally, put it in .dev.vars.`,
      { variable },
    );
  }
  return value.trim();
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

function parseClientId(env: Env): string {
  const clientId = requireString(env, "CLIENT_ID");
  if (!/^\d{1,32}$/.test(clientId)) {
    throw configError(
      "CLIENT_ID",
      "must be the numeric app ID (应用 ID) from Coze's OAuth app page. The key fingerprint " +
        "belongs in KID.",
    );
  }
  return clientId;
}

function parseKid(env: Env): string {
  const kid = requireString(env, "KID");
  if (kid.includes("-----BEGIN") || kid.length > 256) {
    throw configError(
      "KID",
      "contains a key, not a fingerprint. Set KID to the public key fingerprint (公钥指纹) shown " +
        "next to the key on Coze's OAuth app page.",
    );
  }
  if (!/^[\x21-\x7e]+$/.test(kid)) {
    throw configError("KID", "must be printable ASCII without spaces, as Coze shows it.");
  }
  if (kid === env.CLIENT_ID?.trim()) {
    throw configError(
      "KID",
      "equals CLIENT_ID. KID is the public key fingerprint, not the app ID.",
    );
  }
  return kid;
}

function parseAudience(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) || raw.includes("/")) {
    throw configError(
      "AUDIENCE",
      "must be a bare host such as api.coze.cn or api.coze.com, without https:// or a path.",
    );
  }
  if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(raw)) {
    throw configError("AUDIENCE", "must be a host name such as api.coze.cn or api.coze.com.");
  }
  return raw.toLowerCase();
}

function parseEndpoint(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw configError(
      "TOKEN_ENDPOINT",
      `must be a full URL such as https://api.coze.cn${TOKEN_PATH}.`,
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw configError(
      "TOKEN_ENDPOINT",
      "must not contain a user name or password; Coze authenticates with the signed JWT alone.",
    );
  }
  const plainHttpAllowed = url.protocol === "http:" && isLoopbackHost(url.hostname);
  if (url.protocol !== "https:" && !plainHttpAllowed) {
    throw configError("TOKEN_ENDPOINT", "must use https:// (plain http only on loopback).");
  }
  if (!url.pathname.endsWith(TOKEN_PATH) || url.search !== "" || url.hash !== "") {
    throw configError(
      "TOKEN_ENDPOINT",
      `must end with ${TOKEN_PATH}, with no query, for example https://api.coze.cn${TOKEN_PATH}.`,
    );
  }
  return url;
}

/** Chooses the audience and endpoint, each defaulting from the other, and checks their regions. */
function resolveTarget(env: Env): { audience: string; endpoint: URL; region?: CozeRegion } {
  const audienceSetting = parseAudience(optionalString(env.AUDIENCE));
  const endpointSetting = optionalString(env.TOKEN_ENDPOINT);

  const endpoint = endpointSetting
    ? parseEndpoint(endpointSetting)
    : new URL(`https://${regionOfHost(audienceSetting ?? "")?.apiHost ?? DEFAULT_AUDIENCE}`);
  if (!endpointSetting) endpoint.pathname = TOKEN_PATH;

  const endpointRegion = regionOfHost(endpoint.host);
  const audience = audienceSetting ?? endpointRegion?.apiHost ?? DEFAULT_AUDIENCE;
  const audienceRegion = regionOfHost(audience);

  if (endpointRegion && audienceRegion && endpointRegion !== audienceRegion) {
    throw new TokenWorkerError(
      "REGION_MISMATCH",
      `AUDIENCE is ${audience} (${audienceRegion.name}) but TOKEN_ENDPOINT is on ` +
        `${endpoint.host} (${endpointRegion.name}). Both must name the region where the OAuth ` +
        `app was created: api.coze.cn for apps on www.coze.cn, api.coze.com for apps on ` +
        `www.coze.com. Coze answers a mismatch with "invalid_client".`,
      { variable: "AUDIENCE" },
    );
  }
  return { audience, endpoint, region: endpointRegion ?? audienceRegion };
}

function parseDuration(raw: unknown): number {
  if (raw === undefined || (typeof raw === "string" && raw.trim() === "")) {
    return DEFAULT_DURATION_SECONDS;
  }
  const text = String(raw).trim();
  const seconds = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(seconds >= MIN_DURATION_SECONDS && seconds <= MAX_DURATION_SECONDS)) {
    throw configError(
      "TOKEN_DURATION",
      `must be a whole number of seconds from ${MIN_DURATION_SECONDS} to ` +
        `${MAX_DURATION_SECONDS} (Coze's maximum); the default is ${DEFAULT_DURATION_SECONDS}.`,
    );
  }
  return seconds;
}

/**
 * Validates the Coze settings in `env`. Throws a {@link TokenWorkerError} that names the variable
 * and the rule, never a secret's value.
 */
export function parseTokenConfig(env: Env): TokenConfig {
  const clientId = parseClientId(env);
  const kid = parseKid(env);
  const privateKeyPkcs8 = privateKeyToPkcs8(requireString(env, "PRIVATE_KEY"));
  const { audience, endpoint, region } = resolveTarget(env);
  return {
    clientId,
    kid,
    audience,
    tokenEndpoint: endpoint.href,
    defaultDurationSeconds: parseDuration(env.TOKEN_DURATION),
    region,
    privateKeyPkcs8,
  };
}
