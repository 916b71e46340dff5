// /healthz (the process answers), /readyz (caches synced), /metrics (Prometheus). One server may serve
// all three, or two servers split them so the probes and the scrape port can be firewalled apart. Over
// HTTPS with `tls`; /metrics then asks `authorize` first, as controller-runtime filters only its metrics
// handler (the probes stay open: the kubelet presents no token).
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Registry } from "prom-client";
import type { MetricsAccess } from "./metrics-auth.js";

export interface HealthServerOptions {
  port: number;
  host?: string;
  /** Serves /healthz and /readyz when given. */
  ready?: () => boolean;
  /** Serves /metrics when given. */
  registry?: Registry;
  /** Serve HTTPS with this PEM key pair. */
  tls?: { cert: string; key: string };
  /** Asked before /metrics is served (the request's Authorization header, verb and path). */
  authorize?: (authorization: string | undefined, verb: string, path: string) => Promise<MetricsAccess>;
}

export interface HealthServer {
  url: string;
  /** A new key pair for new connections (a rotated certificate). */
  setCertificate(tls: { cert: string; key: string }): void;
  close(): Promise<void>;
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const { ready, registry, authorize } = options;
  const metrics = (req: IncomingMessage, res: ServerResponse, path: string): void => {
    if (!registry) return;
    const access = authorize ? authorize(req.headers.authorization, req.method ?? "GET", path) : undefined;
    void (access ?? Promise.resolve<MetricsAccess>({ allowed: true }))
      .then(async (decision) => {
        if (!decision.allowed) {
          res
            .writeHead(decision.status, { "content-type": "text/plain; charset=utf-8" })
            .end(`${decision.message}\n`);
          return;
        }
        const text = await registry.metrics();
        res.writeHead(200, { "content-type": registry.contentType }).end(text);
      })
      .catch(() => res.writeHead(500).end());
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (ready && path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    } else if (ready && path === "/readyz") {
      const isReady = ready();
      res
        .writeHead(isReady ? 200 : 503, { "content-type": "text/plain" })
        .end(isReady ? "ok" : "caches not synced");
    } else if (registry && path === "/metrics") {
      metrics(req, res, path);
    } else {
      res.writeHead(404).end();
    }
  };
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler)
    : createHttpServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    url: `${options.tls ? "https" : "http"}://${options.host ?? "127.0.0.1"}:${port}`,
    setCertificate: (tls) => {
      if ("setSecureContext" in server && typeof server.setSecureContext === "function")
        server.setSecureContext({ cert: tls.cert, key: tls.key });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
