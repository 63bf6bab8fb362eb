/**
 * Scripted failures of the token endpoint. A test queues faults for a client, and each token
 * request whose JWT claims that client as `iss` takes the next fault in place of the normal
 * response, until the queue is empty.
 *
 * @module
 */

import { sleep } from "./http";
import { LOG_ID_HEADER, oauthError, withLogId } from "./responses";

/**
 * Sends `status` with `body` as raw text (default empty) and the given `headers`. A new
 * `X-Tt-Logid` is added unless `headers` sets one.
 */
export interface StatusFault {
  readonly kind: "status";
  readonly status: number;
  readonly body?: string;
  readonly headers?: Record<string, string>;
}

/** Sends a 502 with an HTML page, as a proxy in front of a wrong base URL does. */
export interface HtmlFault {
  readonly kind: "html";
}

/** Sends an empty body with `status`, default 200. */
export interface EmptyFault {
  readonly kind: "empty";
  readonly status?: number;
}

/** Sends a 200 whose JSON body is cut off after half its characters. */
export interface TruncatedFault {
  readonly kind: "truncated";
}

/** Waits `ms` milliseconds, then handles the request normally. */
export interface DelayFault {
  readonly kind: "delay";
  readonly ms: number;
}

/**
 * Throws in the handler. When a Worker reaches the emulator through a service binding or as its
 * outbound service, the Worker's `fetch` rejects as on a failed connection.
 *
 * NOTE: an HTTP client of `wrangler dev` (wrangler 4.86) receives wrangler's HTML error page with
 * status 500 instead.
 */
export interface AbortFault {
  readonly kind: "abort";
}

/**
 * Sends Coze's OAuth error body with `error_code`. The status defaults to 401 for
 * `invalid_client`, 403 for `access_deny`, 500 for `internal_error` and 400 for any other code.
 * `retryAfter` becomes a `Retry-After` header, and `error_message` replaces the default message.
 */
export interface CozeErrorFault {
  readonly kind: "coze_error";
  readonly error_code: string;
  readonly status?: number;
  readonly retryAfter?: string;
  readonly error_message?: string;
}

/** Handles the request normally but sends `value` as the absolute `expires_in`. */
export interface ExpiresInFault {
  readonly kind: "expires_in";
  readonly value: number;
}

/** One scripted failure. Each kind's documentation says what the token request receives. */
export type Fault =
  | StatusFault
  | HtmlFault
  | EmptyFault
  | TruncatedFault
  | DelayFault
  | AbortFault
  | CozeErrorFault
  | ExpiresInFault;

/** What a fault turns a token request into: a finished response, or changes to the normal path. */
export type FaultOutcome =
  | { readonly response: Response }
  | { readonly continueWith: { readonly expiresIn?: number } };

/** Thrown by an `abort` fault. */
export class EmulatedAbort extends Error {
  override readonly name = "EmulatedAbort";
}

const HTML_PAGE =
  "<html><head><title>502 Bad Gateway</title></head>" +
  "<body><h1>502 Bad Gateway</h1></body></html>";

function truncatedResponse(): Response {
  const full = JSON.stringify({
    access_token: "czs_truncated",
    expires_in: Math.floor(Date.now() / 1000) + 900,
    token_type: "Bearer",
  });
  const body = full.slice(0, Math.floor(full.length / 2));
  return withLogId(new Response(body, { headers: { "Content-Type": "application/json" } }));
}

function cozeErrorResponse(fault: CozeErrorFault): Response {
  const message = fault.error_message ?? `emulated ${fault.error_code}`;
  const response = oauthError(fault.error_code, message, fault.status);
  if (fault.retryAfter !== undefined) response.headers.set("Retry-After", fault.retryAfter);
  return response;
}

/** Applies one fault. Throws an {@link EmulatedAbort} for an `abort` fault. */
export async function applyFault(fault: Fault): Promise<FaultOutcome> {
  switch (fault.kind) {
    case "status": {
      const response = new Response(fault.body || null, {
        status: fault.status,
        headers: fault.headers,
      });
      return { response: response.headers.has(LOG_ID_HEADER) ? response : withLogId(response) };
    }
    case "html": {
      const init = { status: 502, headers: { "Content-Type": "text/html; charset=utf-8" } };
      return { response: withLogId(new Response(HTML_PAGE, init)) };
    }
    case "empty":
      return { response: withLogId(new Response(null, { status: fault.status ?? 200 })) };
    case "truncated":
      return { response: truncatedResponse() };
    case "delay":
      await sleep(fault.ms);
      return { continueWith: {} };
    case "abort":
      throw new EmulatedAbort("emulated connection failure (abort fault)");
    case "coze_error":
      return { response: cozeErrorResponse(fault) };
    case "expires_in":
      return { continueWith: { expiresIn: fault.value } };
  }
}
