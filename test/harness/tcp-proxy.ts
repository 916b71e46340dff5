// A loopback TCP proxy in front of the API server, so tests can cut or silently freeze connections.
import { createConnection, createServer, type Server, type Socket } from "node:net";

interface Pair {
  client: Socket;
  upstream: Socket;
  /** Bytes are swallowed while the sockets stay open, like a half-open TCP path. */
  frozen: boolean;
}

export class TcpProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<Pair>();
  connectionsAccepted = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<number> {
    const server = createServer((client) => {
      this.connectionsAccepted++;
      const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
      const pair: Pair = { client, upstream, frozen: false };
      this.pairs.add(pair);
      client.on("data", (chunk) => {
        if (!pair.frozen) upstream.write(chunk);
      });
      upstream.on("data", (chunk) => {
        if (!pair.frozen) client.write(chunk);
      });
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.pairs.delete(pair);
      };
      client.on("error", close).on("close", close);
      upstream.on("error", close).on("close", close);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const address = server.address();
    return typeof address === "object" && address ? address.port : 0;
  }

  /** Reset every open connection, as a network blip or a load balancer would. */
  cutAll(): number {
    const n = this.pairs.size;
    for (const pair of [...this.pairs]) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
    return n;
  }

  /** Stop forwarding on the connections open now (they stay open); new connections work normally. */
  freezeOpenConnections(): number {
    for (const pair of this.pairs) pair.frozen = true;
    return this.pairs.size;
  }

  async stop(): Promise<void> {
    this.cutAll();
    const server = this.server;
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
