/**
 * The token Worker's entrypoint. Sibling Workers call its public methods over a service binding.
 * Everything else lives in private members or other modules, so nothing more is callable over RPC.
 *
 * @module
 */

import { WorkerEntrypoint } from "cloudflare:workers";

import { auditRefused, isAudited } from "./audit/audit-log";
import type { Env } from "./env";
import { toTokenWorkerError } from "./errors";
import { type HealthReport, buildHealthReport } from "./health";
import { handleHttpRequest } from "./http/public-route";
import { type TokenResult, issueToken } from "./issue";
import { consoleLogger } from "./log";
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
    const requestId = crypto.randomUUID();
    let caller: string | undefined;
    try {
      caller = callerFromProps(this.ctx.props);
      const parsed = parseGetTokenOptions(options);
      const runtime = await getRuntime(this.env);
      return await issueToken(runtime, { caller, ...parsed, channel: "rpc", requestId });
    } catch (thrown) {
      const error = toTokenWorkerError(thrown);
      // Refusals before issueToken (caller id, options, configuration) get their record here.
      if (!isAudited(thrown))
        auditRefused(consoleLogger, { channel: "rpc", requestId, caller }, error);
      throw error;
    }
  }

  /**
   * Reports whether the configuration is valid, which region and endpoint it targets, and whether
   * the calling caller is allowed, without any secret. Never throws, so a caller can check its
   * wiring at deploy time.
   */
  async health(): Promise<HealthReport> {
    let caller: string | null;
    try {
      caller = callerFromProps(this.ctx.props);
    } catch {
      caller = null;
    }
    return buildHealthReport(this.env, caller);
  }

  /**
   * Does nothing and returns nothing: a liveness check for callers. It reads no configuration,
   * so it succeeds even when the Worker's secrets are missing; use `health()` to check those.
   */
  ping(): void {}

  /**
   * Serves the signed public route when it is on (`PUBLIC_ROUTE = "on"` and `CALLER_KEYS` set),
   * and returns 404 for every HTTP request otherwise.
   */
  override async fetch(request: Request): Promise<Response> {
    return handleHttpRequest(request, this.env);
  }
}
