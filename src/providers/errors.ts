// Typed remote failures, shared by every provider: the reconcilers branch on `kind`, users read `message`.

/** Longest message of a remote error: status messages must stay far below the object size limit. */
export const MAX_REMOTE_ERROR_MESSAGE = 1024;
/** Longest piece of remote text put into an error message, status or event. */
export const MAX_REMOTE_EXCERPT = 200;

/** Remote text made safe to show: control characters replaced, whitespace folded, at most `max` characters. */
export function excerpt(text: string, max = MAX_REMOTE_EXCERPT): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const printable = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e]+/g, " ");
  const folded = printable.replace(/\s+/g, " ").trim();
  return folded.length <= max ? folded : `${folded.slice(0, max - 1)}…`;
}

export type RemoteErrorKind =
  | "not_found"
  | "busy"
  | "auth"
  | "permission_denied"
  | "bad_request"
  | "throttled"
  | "state_forbids"
  | "server"
  | "transport"
  | "protocol"
  | "inconsistent";

export interface RemoteErrorDetails {
  provider: "obshell" | "dcs";
  /** e.g. `DELETE /api/v1/tenant/t1/replicas`; never carries a secret. */
  operation: string;
  status?: number | undefined;
  /** The remote's own error code: obshell errCode (or legacy code), DCS error_code. */
  remoteCode?: string | undefined;
  remoteMessage?: string | undefined;
  /** obshell traceId or DCS X-Request-Id: quote it to the remote's support. */
  requestId?: string | undefined;
  cause?: unknown;
}

export abstract class RemoteError extends Error {
  abstract readonly kind: RemoteErrorKind;
  readonly provider: RemoteErrorDetails["provider"];
  readonly operation: string;
  readonly status: number | undefined;
  readonly remoteCode: string | undefined;
  readonly remoteMessage: string | undefined;
  readonly requestId: string | undefined;

  constructor(summary: string, rawDetails: RemoteErrorDetails) {
    // Remote text reaches status, events and logs through this message: short and printable (issue 17).
    const details = {
      ...rawDetails,
      remoteCode: rawDetails.remoteCode === undefined ? undefined : excerpt(rawDetails.remoteCode, 80),
      remoteMessage: rawDetails.remoteMessage === undefined ? undefined : excerpt(rawDetails.remoteMessage),
      requestId: rawDetails.requestId === undefined ? undefined : excerpt(rawDetails.requestId, 80),
    };
    const parts = [`${details.provider} ${details.operation}:`];
    if (details.status !== undefined) parts.push(String(details.status));
    if (details.remoteCode) parts.push(details.remoteCode);
    parts.push(details.remoteMessage ? `${summary}: ${details.remoteMessage}` : summary);
    if (details.requestId)
      parts.push(`(${details.provider === "obshell" ? "trace" : "request"} ${details.requestId})`);
    super(
      excerpt(parts.join(" "), MAX_REMOTE_ERROR_MESSAGE),
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.name = new.target.name;
    this.provider = details.provider;
    this.operation = details.operation;
    this.status = details.status;
    this.remoteCode = details.remoteCode;
    this.remoteMessage = details.remoteMessage;
    this.requestId = details.requestId;
  }

  /** Whether trying again later can succeed without a human changing anything. */
  get retryable(): boolean {
    return ["busy", "throttled", "server", "transport", "state_forbids", "inconsistent"].includes(this.kind);
  }
}

export class NotFoundError extends RemoteError {
  readonly kind = "not_found";
}
/** The remote is busy with another operation on the same object: requeue, do not fail. */
export class BusyError extends RemoteError {
  readonly kind = "busy";
}
export class AuthError extends RemoteError {
  readonly kind = "auth";
}
/**
 * The credential was accepted but may not do this (HTTP 403: an IAM policy without the action, a project
 * the user is not in). Not a bad credential: it must not hold the credential's other sets, nor count
 * towards DCS's lock of an AK after failed signatures (those answer 401).
 */
export class PermissionDeniedError extends RemoteError {
  readonly kind = "permission_denied";
}
export class BadRequestError extends RemoteError {
  readonly kind = "bad_request";
}
export class ThrottledError extends RemoteError {
  readonly kind = "throttled";
  retryAfterMs: number | undefined;
  constructor(summary: string, details: RemoteErrorDetails & { retryAfterMs?: number | undefined }) {
    super(summary, details);
    this.retryAfterMs = details.retryAfterMs;
  }
}
/** The instance's state does not allow the operation now (DCS busy codes). */
export class StateForbidsError extends RemoteError {
  readonly kind = "state_forbids";
}
export class ServerError extends RemoteError {
  readonly kind = "server";
}
/** Timeout, reset, refused, TLS: the request may or may not have reached the remote. */
export class TransportError extends RemoteError {
  readonly kind = "transport";
}
/** A reply that is not what the protocol promises: not JSON, wrong envelope, missing fields. */
export class ProtocolError extends RemoteError {
  readonly kind = "protocol";
}
/** A listing whose pages disagreed (the set moved while it was read): act on none of it. */
export class InconsistentListingError extends RemoteError {
  readonly kind = "inconsistent";
}
