/**
 * Module entry of the token Worker. The default export is the RPC entrypoint that service
 * bindings reach.
 *
 * @module
 */

export { TokenWorker as default } from "./entrypoint";
