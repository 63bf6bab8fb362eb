/**
 * Times signing one Coze JWT with the token Worker's own `signAssertion` against a bare Web
 * Crypto RSA signature over the same bytes, so the difference is what building the JWT costs.
 *
 * @module
 */

import { signAssertion } from "../../../src/coze/assertion";

/** Kind of signature a batch makes: a whole JWT, or only the RSA signature. */
export type SignKind = "jwt" | "raw";

/** Outcome of one batch of signatures. */
export interface SignBatchResult {
  readonly kind: SignKind;
  readonly count: number;
  readonly elapsedMs: number;
  /** Bytes of the JWT signing input (`header.payload`) that both kinds sign. */
  readonly signingInputBytes: number;
}

const RSA_PARAMS = {
  name: "RSASSA-PKCS1-v1_5",
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: "SHA-256",
} satisfies SubtleCryptoGenerateKeyAlgorithm;

const ASSERTION = {
  clientId: "1000000001",
  kid: "bench-kid-0123456789abcdef",
  audience: "api.coze.cn",
  sessionName: "bench:user-000001",
};

interface SigningSetup {
  readonly key: CryptoKey;
  readonly signingInput: Uint8Array;
}

let setup: Promise<SigningSetup> | undefined;

/** Generates the key once per isolate and takes the signing input from one real JWT. */
async function buildSetup(): Promise<SigningSetup> {
  const pair = (await crypto.subtle.generateKey(RSA_PARAMS, false, ["sign"])) as CryptoKeyPair;
  const jwt = await signAssertion(pair.privateKey, { ...ASSERTION, nowSeconds: nowSeconds() });
  const signingInput = new TextEncoder().encode(jwt.slice(0, jwt.lastIndexOf(".")));
  return { key: pair.privateKey, signingInput };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Signs `count` times with `kind` and times the whole batch. */
export async function runSignBatch(kind: SignKind, count: number): Promise<SignBatchResult> {
  setup ??= buildSetup();
  const { key, signingInput } = await setup;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    if (kind === "jwt") {
      await signAssertion(key, { ...ASSERTION, nowSeconds: nowSeconds() });
    } else {
      await crypto.subtle.sign(RSA_PARAMS.name, key, signingInput);
    }
  }
  const elapsedMs = performance.now() - started;
  return { kind, count, elapsedMs, signingInputBytes: signingInput.byteLength };
}
