// JSON over HTTP to the API server with one keep-alive pool. client-node's own calls build a new undici
// Agent per request (no connection reuse) and its typed serializer drops unmodelled keys.
import type { KubeConfig } from "@kubernetes/client-node";
import { type Dispatcher, request } from "undici";
import { clientNodeAccess, type KubeAccess } from "./kube-access.js";

export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly path: string,
  ) {
    super(`${path}: ${status} ${reason}: ${message}`);
    this.name = "KubeApiError";
  }
}

export interface KubeRequest {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  contentType?: string;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
  /** Accept header; a metadata-only list or watch asks for `as=PartialObjectMetadata...`. */
  accept?: string;
  /**
   * A watch: the body may stay open for minutes, so it gets no overall deadline but `idleMs`, the longest
   * silence between two chunks, after which undici destroys the socket. Its connection is never reused
   * (an aborted or silent watch may sit on a half-open socket that would swallow the next request).
   */
  watch?: { idleMs: number };
}

/** Deadline for the reply headers and for each silence in a reply body of a non-watch request. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Hooks at the points client-go's rest client reports `rest_client_*` metrics (rest/request.go). */
export interface RestClientObserver {
  /** Every request once its reply headers arrive: code is the HTTP status, or "<error>" without a reply. */
  onResult?(code: string, method: string, host: string): void;
  /** Requests read to the end (not watches, as client-go's Watch does not observe latency). */
  onLatency?(verb: string, host: string, ms: number): void;
}

export class KubeHttp {
  readonly server: string;
  private readonly access: KubeAccess;
  private readonly host: string;

  /** A KubeConfig (tests, exec plugins) or the lean access of kube-access.ts. */
  constructor(
    source: KubeAccess | KubeConfig,
    private readonly observer: RestClientObserver = {},
    private readonly requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
  ) {
    this.access = "getCurrentCluster" in source ? clientNodeAccess(source) : source;
    this.server = this.access.server;
    this.host = new URL(this.server).host;
  }

  url(path: string, query?: KubeRequest["query"]): string {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  async raw(path: string, req: KubeRequest = {}): Promise<Dispatcher.ResponseData> {
    const headers = await this.access.headers();
    const dispatcher = await this.access.dispatcher();
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    const method = req.method ?? "GET";
    try {
      const res = await this.send(path, req, headers, dispatcher, body);
      this.observer.onResult?.(String(res.statusCode), method, this.host);
      return res;
    } catch (error) {
      this.observer.onResult?.("<error>", method, this.host);
      throw error;
    }
  }

  private send(
    path: string,
    req: KubeRequest,
    headers: Record<string, string | string[]>,
    dispatcher: Dispatcher | undefined,
    body: string | undefined,
  ): Promise<Dispatcher.ResponseData> {
    return request(this.url(path, req.query), {
      method: req.method ?? "GET",
      headers: {
        ...headers,
        accept: req.accept ?? "application/json",
        ...(body === undefined ? {} : { "content-type": req.contentType ?? "application/json" }),
      },
      ...(dispatcher ? { dispatcher } : {}),
      ...(body === undefined ? {} : { body }),
      ...(req.signal ? { signal: req.signal } : {}),
      // A frozen connection (half-open TCP, stalled proxy) fails the request after the deadline and undici
      // destroys its socket, instead of hanging the caller forever with the socket kept in the pool.
      headersTimeout: this.requestTimeoutMs,
      bodyTimeout: req.watch ? req.watch.idleMs : this.requestTimeoutMs,
      ...(req.watch ? { reset: true } : {}),
    });
  }

  async json<T = unknown>(path: string, req: KubeRequest = {}): Promise<T> {
    const started = performance.now();
    let text: string;
    let res: Dispatcher.ResponseData;
    try {
      res = await this.raw(path, req);
      text = await res.body.text();
    } finally {
      this.observer.onLatency?.(req.method ?? "GET", this.host, performance.now() - started);
    }
    if (res.statusCode >= 300) {
      let reason = "Unknown";
      let message = text.slice(0, 500);
      try {
        const status = JSON.parse(text) as { reason?: string; message?: string };
        reason = status.reason ?? reason;
        message = status.message ?? message;
      } catch {}
      throw new KubeApiError(res.statusCode, reason, message, `${req.method ?? "GET"} ${path}`);
    }
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }

  async close(): Promise<void> {
    await this.access.close();
  }
}
