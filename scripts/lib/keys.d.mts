/** Types of keys.mjs, for the TypeScript tests that import it. */

export declare const THROWAWAY_KEY_BITS: 2048;
export declare function generateThrowawayCredentials(): {
  clientId: string;
  kid: string;
  privateKeyPem: string;
  publicKeyPem: string;
};
export declare function publicKeyFromPrivate(privateKeyPem: string, source: string): string;
