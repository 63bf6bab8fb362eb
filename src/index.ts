/**
 * Module entry of the token Worker. The default export is the RPC entrypoint that service
 * bindings reach.
 *
 * @module
 */

export { TokenWorker as default } from "./entrypoint";
// The signed public route's replay ledger; wrangler.toml binds it as NONCE_LEDGER.
export { NonceLedger } from "./ledger/nonce-ledger";
