// One keep-alive pool per remote origin, the options both clients share, and undici failures as TransportError.
import { Agent, type Dispatcher, errors } from "undici";
import { type RemoteErrorDetails, TransportError } from "./errors.js";
import type { RetryPolicy } from "./retry.js";

/** One remote request, reported to metrics by both clients. */
export interface RequestObservation {
  provider: "obshell" | "dcs";
  operation: string;
  status: number | "error";
  durationMs: number;
}

/** What both provider clients take for their HTTP: deadline, TLS, read retries, pool, observation. */
export interface ClientTransportOptions {
  timeoutMs?: number;
  tls?: TlsOptions;
  retry?: RetryPolicy;
  dispatcher?: Dispatcher;
  onRequest?: (observation: RequestObservation) => void;
}

export interface TlsOptions {
  ca?: string | undefined;
  insecureSkipVerify?: boolean | undefined;
}

export function createPool(tls: TlsOptions = {}, connections = 16): Dispatcher {
  return new Agent({
    connections,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 120_000,
    connect: {
      ...(tls.ca ? { ca: tls.ca } : {}),
      rejectUnauthorized: !tls.insecureSkipVerify,
    },
  });
}

/** A failure below HTTP (no status): timeout, reset, refused, TLS, or the body cut short. */
export function transportError(error: unknown, details: Omit<RemoteErrorDetails, "cause">): TransportError {
  let what = "request failed";
  if (error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError)
    what = "timed out";
  else if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError"))
    what = "timed out";
  else if (error instanceof errors.SocketError) what = "connection reset";
  else if (error instanceof errors.RequestAbortedError) what = "aborted";
  else if (error instanceof Error && "code" in error) what = `connection failed (${String(error.code)})`;
  return new TransportError(what, { ...details, cause: error });
}
