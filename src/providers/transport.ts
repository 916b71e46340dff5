// One keep-alive pool per remote origin, the options both clients share, bounded reply reading, and
// undici failures as TransportError.
import { Agent, type Dispatcher, errors } from "undici";
import { type EndpointPolicy, isEndpointRefused } from "./endpoint-policy.js";
import {
  excerpt,
  ProtocolError,
  type RemoteError,
  type RemoteErrorDetails,
  TransportError,
} from "./errors.js";
import { JsonBudgetMeter, type ReplyBudget } from "./reply-budget.js";
import type { RetryPolicy } from "./retry.js";

/** The largest reply body read: a remote answering more cannot exhaust the operator's memory (issue 17). */
export const DEFAULT_MAX_REPLY_BYTES = 8 * 1024 * 1024;

/** One remote request, reported to metrics by both clients. */
export interface RequestObservation {
  provider: "obshell" | "dcs";
  operation: string;
  status: number | "error";
  durationMs: number;
}

/** What both provider clients take for their HTTP: deadline, TLS, policy, caps, read retries, pool, observation. */
export interface ClientTransportOptions {
  timeoutMs?: number;
  tls?: TlsOptions;
  retry?: RetryPolicy;
  /** A pool to share; when given, tls/endpointPolicy/allowInsecureHTTP are the pool's business. */
  dispatcher?: Dispatcher;
  onRequest?: (observation: RequestObservation) => void;
  /** Checks every address a new socket goes to (after DNS). The operator always passes one. */
  endpointPolicy?: EndpointPolicy;
  /** Whether a plain http:// endpoint is spoken to; refused otherwise (with an endpoint policy). */
  allowInsecureHTTP?: boolean;
  /** Reply bodies larger than this (or than their route's budget) are cut off while streaming and fail the call. */
  maxReplyBytes?: number;
}

export interface TlsOptions {
  /** PEM bundle trusted instead of the system roots. */
  ca?: string | undefined;
  /** Name the certificate must carry (and SNI); the endpoint's host when unset. */
  serverName?: string | undefined;
  insecureSkipVerify?: boolean | undefined;
}

/** The pool a client owns when it is not given one: TLS as configured, and the endpoint policy on every connect. */
export function createPool(options: ClientTransportOptions = {}, connections = 16): Dispatcher {
  const tls = options.tls ?? {};
  const connect = options.endpointPolicy
    ? options.endpointPolicy.connector({
        ca: tls.ca,
        serverName: tls.serverName,
        insecureSkipVerify: tls.insecureSkipVerify,
        allowInsecureHTTP: options.allowInsecureHTTP,
      })
    : {
        ...(tls.ca ? { ca: tls.ca } : {}),
        ...(tls.serverName ? { servername: tls.serverName } : {}),
        rejectUnauthorized: !tls.insecureSkipVerify,
      };
  return new Agent({ connections, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000, connect });
}

/** A reply body past its budget (bytes, depth, values): the read stopped there and the connection was dropped. */
export class ReplyTooLargeError extends ProtocolError {}

/**
 * The body as text, counted while it streams: past `budget.bytes` (or a larger Content-Length), or once
 * the JSON nests or holds more than the budget allows, the stream is destroyed and ReplyTooLargeError
 * thrown before anything is parsed, so memory stays near `budget.bytes` whatever the remote sends.
 */
export async function readBody(
  res: Dispatcher.ResponseData,
  budget: ReplyBudget,
  details: Omit<RemoteErrorDetails, "cause" | "status">,
): Promise<string> {
  const maxBytes = budget.bytes;
  const refuse = (what: string) => {
    res.body.destroy();
    return new ReplyTooLargeError(`reply ${what}; not read`, { ...details, status: res.statusCode });
  };
  const declared = Number(res.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes)
    throw refuse(`declares ${declared} bytes, over the ${maxBytes}-byte limit`);
  const meter = new JsonBudgetMeter(budget);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body) {
    const buffer = chunk as Buffer;
    total += buffer.length;
    if (total > maxBytes) throw refuse(`passed ${maxBytes} bytes, over the ${maxBytes}-byte limit`);
    const over = meter.feed(buffer);
    if (over) throw refuse(`${over}, over this route's parse budget`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, total).toString("utf8");
}

/** A failure below HTTP (no status): timeout, reset, refused, TLS, or the body cut short; a reply too large as is. */
export function transportError(error: unknown, details: Omit<RemoteErrorDetails, "cause">): RemoteError {
  if (error instanceof ReplyTooLargeError) return error;
  let what = "request failed";
  if (isEndpointRefused(error)) what = `refused by the endpoint policy: ${(error as Error).message}`;
  else if (error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError)
    what = "timed out";
  else if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError"))
    what = "timed out";
  else if (error instanceof errors.SocketError) what = "connection reset";
  else if (error instanceof errors.RequestAbortedError) what = "aborted";
  else if (error instanceof Error && "code" in error) {
    what = `connection failed (${String(error.code)})`;
    // TLS failures say which check failed (unknown CA, wrong host name): a human needs that.
    if (/CERT|SSL|TLS|ERR_TLS/.test(String(error.code))) what += `: ${excerpt(error.message)}`;
  }
  return new TransportError(what, { ...details, cause: error });
}
