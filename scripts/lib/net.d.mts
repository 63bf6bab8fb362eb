/** Types of net.mjs, for the TypeScript tests that import it. */

export declare const LOOPBACK: "127.0.0.1";
export declare function findFreePort(): Promise<number>;
export declare function isPortFree(port: number): Promise<boolean>;
export declare function integerFromEnv(
  name: string,
  fallback: number,
  min: number,
  max: number,
): number;
export declare function portFromEnv(name: string, fallback: number): number;
export declare function isLoopbackUrl(url: string): boolean;
export declare function waitForHttp(
  url: string,
  options: { timeoutMs: number; abortSignal?: AbortSignal },
): Promise<number>;
