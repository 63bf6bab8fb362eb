/** Types of dev-vars.mjs, for the TypeScript tests that import it. */

/** The variables a new `.dev.vars` holds. */
export interface ThrowawayDevVars {
  CLIENT_ID: string;
  KID: string;
  PRIVATE_KEY: string;
  TOKEN_ENDPOINT: string;
}

export declare const TOKEN_PATH: "/api/permission/oauth2/token";
export declare function readDevVars(path: string): Record<string, string> | undefined;
export declare function quoteDotenvValue(value: string): string;
export declare function createThrowawayDevVars(
  path: string,
  emulatorPort: number,
): ThrowawayDevVars;
