/**
 * The token Worker's HTTP side. While the public route is off, every request gets 404. When it
 * is on, `POST /v1/token` accepts requests signed with a caller's HMAC key (see
 * src/signed/canonical-request.ts for what is signed) and returns a token for the verified caller,
 * whose id becomes the Coze session name. `POST /v1/health`, signed the same way with the body
 * `{}`, returns the health report for that caller.
 *
 * Order of checks: path (404), method (405), announced size (413), content type (415), then
 * authentication (401, 413 for the bytes read, 429 and 503 from the replay ledger). Only then is
 * the body parsed (400) and a token issued through the same path as for RPC callers.
 *
 * @module
 */

import type { Env } from "../env";
import { TokenWorkerError, toTokenWorkerError } from "../errors";
import { auditRefused } from "../audit/audit-log";
import { buildHealthReport } from "../health";
import { issueToken } from "../issue";
import { type LogRecord, consoleLogger } from "../log";
import { getRuntime } from "../runtime";
import { BODY_CONTENT_TYPE, announcesLargeBody, parseTokenRequestBody } from "../signed/body";
import { AuthenticationFailure, authenticateRequest, bodyTooLarge } from "./authenticate";
import { RateLimitedLog } from "./rate-limited-log";
import {
  HEALTH_ROUTE_PATH,
  TOKEN_ROUTE_PATH,
  errorResponse,
  healthResponse,
  methodNotAllowedResponse,
  notFoundResponse,
  tokenResponse,
  unauthenticatedResponse,
} from "./responses";
import { type PublicRouteConfig, getPublicRouteConfig } from "./route-config";

type EnabledRoute = Extract<PublicRouteConfig, { enabled: true }>;

/** Header of the single-file Worker that named the end user; now a signed body field. */
const LEGACY_USER_HEADER = "X-User-ID";

// Unauthenticated requests can cause rejection lines, so those share a budget. Failures that an
// operator must see (ledger, configuration, unexpected errors) have a budget of their own, so a
// flood of bad requests cannot hide them.
const requestLog = new RateLimitedLog();
const failureLog = new RateLimitedLog();
const OPERATOR_FAILURES = new Set<string>([
  "CONFIG_MISSING",
  "CONFIG_INVALID",
  "PRIVATE_KEY_INVALID",
  "REGION_MISMATCH",
  "LEDGER_UNAVAILABLE",
  "INTERNAL",
]);

/** Handles one HTTP request to the token Worker and returns its response. Never throws. */
export async function handleHttpRequest(request: Request, env: Env): Promise<Response> {
  const requestId = crypto.randomUUID();
  try {
    const route = getPublicRouteConfig(env);
    if (!route.enabled) return notFoundResponse();
    const path = new URL(request.url).pathname;
    if (path !== TOKEN_ROUTE_PATH && path !== HEALTH_ROUTE_PATH) return notFoundResponse();
    if (request.method !== "POST") return methodNotAllowedResponse();
    return await serveTokenRequest(request, env, route, requestId);
  } catch (thrown) {
    if (thrown instanceof AuthenticationFailure) {
      requestLog.write({
        event: "signed_request_rejected",
        outcome: "rejected",
        requestId,
        ...thrown.facts,
      });
      return unauthenticatedResponse(requestId);
    }
    const error = toTokenWorkerError(thrown);
    const log = OPERATOR_FAILURES.has(error.code) ? failureLog : requestLog;
    log.write({
      event: "public_request_failed",
      outcome: "error",
      requestId,
      code: error.code,
      errorName: thrown instanceof TokenWorkerError ? undefined : errorName(thrown),
    });
    return errorResponse(error, requestId);
  }
}

async function serveTokenRequest(
  request: Request,
  env: Env,
  route: EnabledRoute,
  requestId: string,
): Promise<Response> {
  checkMediaType(request);
  const authenticated = await authenticateRequest(request, route, (error) =>
    failureLog.write(ledgerFailure(error, requestId)),
  );
  if (new URL(request.url).pathname === HEALTH_ROUTE_PATH) {
    checkEmptyObject(authenticated.body);
    return healthResponse(await buildHealthReport(env, authenticated.caller));
  }
  let body: ReturnType<typeof parseTokenRequestBody>;
  try {
    checkLegacyHeader(request);
    body = parseTokenRequestBody(authenticated.body, authenticated.caller);
  } catch (thrown) {
    // The caller is verified, so a rejected body is a refusal for the audit trail.
    const error = toTokenWorkerError(thrown);
    auditRefused(
      consoleLogger,
      { channel: "http", requestId, caller: authenticated.caller },
      error,
    );
    throw error;
  }
  const { subject, durationSeconds } = body;
  const runtime = await getRuntime(env);
  try {
    const token = await issueToken(runtime, {
      caller: authenticated.caller,
      subject,
      durationSeconds,
      channel: "http",
      requestId,
    });
    return tokenResponse(token);
  } catch (thrown) {
    // issueToken has written the audit record of this refusal already.
    return errorResponse(toTokenWorkerError(thrown), requestId);
  }
}

/** Throws `ARGUMENT_INVALID` when the single-file Worker's unsigned user header is present. */
function checkLegacyHeader(request: Request): void {
  if (request.headers.has(LEGACY_USER_HEADER)) {
    throw new TokenWorkerError(
      "ARGUMENT_INVALID",
      `${LEGACY_USER_HEADER} is not read by this route. Put the end-user id in the signed body ` +
        'as "subject" instead, and remove the header.',
      { variable: LEGACY_USER_HEADER },
    );
  }
}

function checkMediaType(request: Request): void {
  if (announcesLargeBody(request)) throw bodyTooLarge();
  if (request.headers.get("Content-Type") !== BODY_CONTENT_TYPE) {
    throw new TokenWorkerError(
      "UNSUPPORTED_MEDIA_TYPE",
      `Content-Type must be exactly ${BODY_CONTENT_TYPE}, with no parameters.`,
    );
  }
}

/** Throws `BODY_INVALID` unless the body is the empty JSON object the health check takes. */
function checkEmptyObject(body: Uint8Array): void {
  if (new TextDecoder().decode(body).trim() !== "{}") {
    throw new TokenWorkerError("BODY_INVALID", "The health check takes the body {} and no fields.");
  }
}

function errorName(thrown: unknown): string {
  return thrown instanceof Error ? thrown.name : typeof thrown;
}

function ledgerFailure(error: unknown, requestId: string): LogRecord {
  return {
    event: "nonce_ledger_failed",
    outcome: "error",
    requestId,
    errorName: errorName(error),
    message: error instanceof Error ? error.message.slice(0, 200) : undefined,
  };
}
