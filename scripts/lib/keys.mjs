/**
 * RSA keys for local runs: a throwaway key pair for a fresh clone, and the public key that
 * matches a private key already written to .dev.vars.
 *
 * @module
 */

import { createHash, createPublicKey, generateKeyPairSync, randomInt } from "node:crypto";

/** Modulus length of the throwaway key, the size Coze's OAuth app page generates. */
export const THROWAWAY_KEY_BITS = 2048;

/**
 * Generates a throwaway RSA key pair and a made-up app id and key id for it. No Coze app
 * uses these values, so they only work against the local Coze emulator.
 *
 * @returns `{ clientId, kid, privateKeyPem, publicKeyPem }`, PEM as PKCS#8 and SPKI.
 */
export function generateThrowawayCredentials() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: THROWAWAY_KEY_BITS,
  });
  const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  return {
    // Coze app ids are numeric; the leading 9 keeps this one at a fixed length of 13 digits.
    clientId: `9${String(randomInt(0, 1e12)).padStart(12, "0")}`,
    kid: `local-${fingerprint(publicKeyPem)}`,
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKeyPem,
  };
}

/**
 * Returns the SPKI PEM public key of a PEM private key (PKCS#8 or PKCS#1). Literal `\n` sequences
 * count as newlines, as the token Worker reads them. Throws with a message that names `source`
 * when the text is not a private key Node can read.
 */
export function publicKeyFromPrivate(privateKeyPem, source) {
  try {
    const pem = privateKeyPem.trim().replace(/\\n/g, "\n");
    return createPublicKey(pem).export({ type: "spki", format: "pem" }).toString();
  } catch (error) {
    throw new Error(
      `PRIVATE_KEY in ${source} is not a PEM private key that Node can read ` +
        `(${error.code ?? error.message}). Fix it, or delete ${source} to generate a new one.`,
    );
  }
}

/** Returns the first 16 hex digits of the SHA-256 of a PEM text, as a short key id. */
function fingerprint(pem) {
  return createHash("sha256").update(pem).digest("hex").slice(0, 16);
}
