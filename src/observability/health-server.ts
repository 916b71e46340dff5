// /healthz (the process answers), /readyz (caches synced), /metrics (Prometheus). One server may serve
// all three, or two servers split them so the probes and the scrape port can be firewalled apart.
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

export interface HealthServerOptions {
  port: number;
  host?: string;
  /** Serves /healthz and /readyz when given. */
  ready?: () => boolean;
  /** Serves /metrics when given. */
  registry?: Registry;
}

export async function startHealthServer(
  options: HealthServerOptions,
): Promise<{ url: string; close: () => Promise<void> }> {
  const { ready, registry } = options;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (ready && path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    } else if (ready && path === "/readyz") {
      const isReady = ready();
      res
        .writeHead(isReady ? 200 : 503, { "content-type": "text/plain" })
        .end(isReady ? "ok" : "caches not synced");
    } else if (registry && path === "/metrics") {
      registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
