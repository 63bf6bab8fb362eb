/**
 * Coze's two API regions. An app exists in exactly one of them, and its JWT's `aud` and the token
 * endpoint host must both name that region.
 *
 * @module
 */

/** A Coze region and its API host. */
export interface CozeRegion {
  readonly name: "china" | "international";
  readonly apiHost: string;
  readonly consoleHost: string;
}

/** The regions this Worker supports, by API host. */
export const COZE_REGIONS: readonly CozeRegion[] = [
  { name: "china", apiHost: "api.coze.cn", consoleHost: "www.coze.cn" },
  { name: "international", apiHost: "api.coze.com", consoleHost: "www.coze.com" },
];

/** Path of Coze's token endpoint, the same in both regions. */
export const TOKEN_PATH = "/api/permission/oauth2/token";

/** Returns the region whose API host is `host`, or `undefined` for any other host. */
export function regionOfHost(host: string): CozeRegion | undefined {
  return COZE_REGIONS.find((region) => region.apiHost === host.toLowerCase());
}

/** Tests whether `hostname` is a loopback name, where plain `http:` is allowed for an emulator. */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === "localhost" ||
    hostname === "[::1]" ||
    /^127(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(hostname)
  );
}
