// JSON over HTTP to the API server with one keep-alive pool, auth taken from the kubeconfig.
// client-node's own calls build a new undici Agent per request (no connection reuse) and its typed
// serializer drops unmodelled keys; the engine needs neither.
import { HttpMethod, type KubeConfig, RequestContext } from "@kubernetes/client-node";
import { type Dispatcher, request } from "undici";

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
}

/** Auth headers are re-read from the kubeconfig this often, so rotated or exec tokens keep working. */
const AUTH_REFRESH_MS = 60_000;

export class KubeHttp {
  readonly server: string;
  private dispatcher: Dispatcher | undefined;
  private headers: Record<string, string> = {};
  private headersAt = 0;

  constructor(private readonly kc: KubeConfig) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error("kubeconfig has no current cluster");
    this.server = cluster.server.replace(/\/$/, "");
  }

  private async auth(): Promise<{ headers: Record<string, string>; dispatcher: Dispatcher | undefined }> {
    if (Date.now() - this.headersAt > AUTH_REFRESH_MS || this.headersAt === 0) {
      const ctx = new RequestContext(this.server, HttpMethod.GET);
      await this.kc.applySecurityAuthentication(ctx);
      this.headers = { ...(ctx.getHeaders() as Record<string, string>) };
      const fresh = ctx.getDispatcher();
      if (this.dispatcher === undefined && fresh) {
        // Keep the first pool; its TLS settings do not change. Give it keep-alive and more sockets.
        this.dispatcher = fresh;
      } else if (fresh && fresh !== this.dispatcher) {
        await fresh.close();
      }
      this.headersAt = Date.now();
    }
    return { headers: this.headers, dispatcher: this.dispatcher };
  }

  url(path: string, query?: KubeRequest["query"]): string {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  async raw(path: string, req: KubeRequest = {}): Promise<Dispatcher.ResponseData> {
    const { headers, dispatcher } = await this.auth();
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    return request(this.url(path, req.query), {
      method: req.method ?? "GET",
      headers: {
        ...headers,
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": req.contentType ?? "application/json" }),
      },
      ...(dispatcher ? { dispatcher } : {}),
      ...(body === undefined ? {} : { body }),
      ...(req.signal ? { signal: req.signal } : {}),
    });
  }

  async json<T = unknown>(path: string, req: KubeRequest = {}): Promise<T> {
    const res = await this.raw(path, req);
    const text = await res.body.text();
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
    await this.dispatcher?.close();
  }
}
