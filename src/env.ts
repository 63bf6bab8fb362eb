/**
 * The bindings of the token Worker, as Cloudflare passes them. Every variable is optional here
 * because nothing guarantees an operator set it; `src/config/` validates them.
 *
 * @module
 */

import type { NonceLedger } from "./ledger/nonce-ledger";

/** The token Worker's bindings: variables, secrets, the nonce ledger and the rate limiter. */
export interface Env {
  /** Coze OAuth app ID (应用 ID). Required. */
  CLIENT_ID?: string;
  /** The app's RSA private key, PEM. Required; keep it in a secret. */
  PRIVATE_KEY?: string;
  /** The public key's fingerprint (公钥指纹) from the OAuth app page. Required. */
  KID?: string;
  /** JWT `aud`: `api.coze.cn` or `api.coze.com`. */
  AUDIENCE?: string;
  /** Coze's token endpoint URL. */
  TOKEN_ENDPOINT?: string;
  /** Default token lifetime in seconds. */
  TOKEN_DURATION?: string | number;
  /** Per-caller policy, JSON; see src/policy/caller-policy.ts. Unset denies every caller. */
  CALLER_POLICY?: string;
  /** `"true"` hashes end-user subjects in logs and audit records. */
  AUDIT_HASH_SUBJECTS?: string;
  /** `"false"` writes no audit record for tokens served from the cache; the default is `"true"`. */
  AUDIT_CACHE_HITS?: string;
  /** Default per-caller rate limiter (Cloudflare Rate Limiting binding). Optional. */
  RATE_LIMITER?: RateLimit;
  /** `"on"` turns on the signed public route (with `CALLER_KEYS` set). Anything else: off. */
  PUBLIC_ROUTE?: string;
  /** Host that signed callers send requests to and sign, such as `tokens.example.com`. */
  PUBLIC_HOST?: string;
  /** HMAC keys of signed callers, JSON; see src/signed/caller-keys.ts. Keep it in a secret. */
  CALLER_KEYS?: string;
  /** The replay ledger of the signed public route, one object per caller. */
  NONCE_LEDGER?: DurableObjectNamespace<NonceLedger>;
}
