/**
 * Scripted failures. A test queues faults for a client; each token request of that client takes
 * the next fault instead of the normal response, until the queue is empty.
 *
 * @module
 */

import { newLogId, oauthError } from "./responses";

/**
 * One scripted failure:
 * - `status`: the given status, body text and headers, as they are;
 * - `html`: a 502 with an HTML page, as a misconfigured proxy sends;
 * - `empty`: an empty body (status 200 unless given);
 * - `truncated`: a 200 whose JSON body is cut in half;
 * - `delay`: waits `ms`, then responds normally;
 * - `abort`: throws in the handler, so the caller sees a failed connection;
 * - `coze_error`: Coze's OAuth error shape, with an optional `Retry-After`;
 * - `expires_in`: a normal success whose `expires_in` is the given absolute value.
 */
export type Fault =
  | { kind: "status"; status: number; body?: string; headers?: Record<string, string> }
  | { kind: "html" }
  | { kind: "empty"; status?: number }
  | { kind: "truncated" }
  | { kind: "delay"; ms: number }
  | { kind: "abort" }
  | { kind: "coze_error"; error_code: string; status?: number; retryAfter?: string }
  | { kind: "expires_in"; value: number };

/** What a fault turns a token request into. */
export type FaultOutcome =
  | { readonly respond: Response }
  | { readonly continueWith: { readonly expiresIn?: number } };

function withLogId(response: Response): Response {
  response.headers.set("X-Tt-Logid", newLogId());
  return response;
}

/** Applies one fault: either a finished response, or a note for the normal path. */
export async function applyFault(fault: Fault): Promise<FaultOutcome> {
  switch (fault.kind) {
    case "status":
      return {
        respond: withLogId(
          new Response(fault.body ?? "", { status: fault.status, headers: fault.headers }),
        ),
      };
    case "html":
      return {
        respond: withLogId(
          new Response("<html><body><h1>502 Bad Gateway</h1></body></html>", {
            status: 502,
            headers: { "Content-Type": "text/html" },
          }),
        ),
      };
    case "empty":
      return { respond: withLogId(new Response("", { status: fault.status ?? 200 })) };
    case "truncated": {
      const full = JSON.stringify({
        access_token: "czs_truncated",
        expires_in: 1,
        token_type: "Bearer",
      });
      return { respond: withLogId(new Response(full.slice(0, full.length / 2), { status: 200 })) };
    }
    case "delay":
      await new Promise((resolve) => setTimeout(resolve, fault.ms));
      return { continueWith: {} };
    case "abort":
      throw new Error("emulated connection failure");
    case "coze_error": {
      const response = oauthError(fault.error_code, `emulated ${fault.error_code}`, fault.status);
      if (fault.retryAfter !== undefined) response.headers.set("Retry-After", fault.retryAfter);
      return { respond: response };
    }
    case "expires_in":
      return { continueWith: { expiresIn: fault.value } };
  }
}

/** Checks that a value from the admin API is a {@link Fault}. */
export function isFault(value: unknown): value is Fault {
  const kinds = [
    "status",
    "html",
    "empty",
    "truncated",
    "delay",
    "abort",
    "coze_error",
    "expires_in",
  ];
  return typeof value === "object" && value !== null && kinds.includes((value as Fault).kind);
}
