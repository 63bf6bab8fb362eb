/**
 * The token Worker's entrypoint. Sibling Workers call its public methods over a service binding;
 * everything else lives in private members or other modules, so nothing more is callable over
 * RPC.
 *
 * @module
 */

import { WorkerEntrypoint } from "cloudflare:workers";

import type { Env } from "./env";
import { toTokenWorkerError } from "./errors";
import { type TokenResult, issueToken } from "./issue";
import { type CallerProps, callerFromProps } from "./rpc/caller-identity";
import { type GetTokenOptions, parseGetTokenOptions } from "./rpc/get-token-options";
import { getRuntime } from "./runtime";

/**
 * Mints Coze access tokens for the Workers bound to it. The caller id comes from the binding's
 * `props`, and becomes the Coze session name.
 */
export class TokenWorker extends WorkerEntrypoint<Env, CallerProps> {
  /**
   * Returns an access token for the calling Worker, or for one of its end users when
   * `options.subject` is set. Rejects with an error whose `code` is stable.
   */
  async getToken(options?: GetTokenOptions): Promise<TokenResult> {
    try {
      const caller = callerFromProps(this.ctx.props);
      const parsed = parseGetTokenOptions(options);
      const runtime = await getRuntime(this.env);
      return await issueToken(runtime, {
        caller,
        ...parsed,
        channel: "rpc",
        requestId: crypto.randomUUID(),
      });
    } catch (error) {
      throw toTokenWorkerError(error);
    }
  }

  /** Answers every HTTP request with 404: the Worker has no public route. */
  override async fetch(_request: Request): Promise<Response> {
    return Response.json(
      { error: { code: "NOT_FOUND", message: "Not found." } },
      { status: 404, headers: { "Cache-Control": "no-store" } },
    );
  }
}
