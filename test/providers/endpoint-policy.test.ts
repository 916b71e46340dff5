// The endpoint policy on real sockets: a refused server accepts no connection at all.
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DcsClient } from "../../src/providers/dcs/client.js";
import { EndpointPolicy, isEndpointRefused } from "../../src/providers/endpoint-policy.js";
import { RemoteError } from "../../src/providers/errors.js";
import { createPool } from "../../src/providers/transport.js";
import { DcsSimulator } from "../simulators/dcs/server.js";

const AK = "AKTESTDCS000000000001";
const SK = "SKtestSecretKey0000000000000000000000abcd";
const PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const noRetry = { attempts: 1, baseMs: 1, maxMs: 1, sleep: async () => {} };

/** A TCP server that counts the sockets it accepts and every byte they send. */
class CountingServer {
  accepted = 0;
  bytes = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor() {
    this.server = createServer((socket) => {
      this.accepted++;
      this.sockets.add(socket);
      socket.on("data", (d) => {
        this.bytes += d.length;
        socket.end("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}");
      });
      socket.on("close", () => this.sockets.delete(socket));
    });
  }
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const address = this.server.address();
    this.port = typeof address === "object" && address ? address.port : 0;
  }
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let server: CountingServer;
let sim: DcsSimulator;
const clients: DcsClient[] = [];

beforeEach(async () => {
  server = new CountingServer();
  await server.start();
  sim = new DcsSimulator({ credentials: [{ accessKey: AK, secretKey: SK }], projects: { [PROJECT]: [] } });
  await sim.start();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server.stop();
  await sim.stop();
});

function dcs(endpoint: string, policy: EndpointPolicy, allowInsecureHTTP = true): DcsClient {
  const client = new DcsClient({
    endpoint,
    projectId: PROJECT,
    auth: { kind: "aksk", credentials: () => ({ accessKey: AK, secretKey: SK }) },
    timeoutMs: 2000,
    retry: noRetry,
    endpointPolicy: policy,
    allowInsecureHTTP,
  });
  clients.push(client);
  return client;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a refusal");
    },
    (e: unknown) => e,
  );
}

describe("the endpoint policy on every connection", () => {
  it("refuses loopback by default: the listening server accepts no socket and the AK never leaves", async () => {
    const error = await failure(dcs(`http://127.0.0.1:${server.port}`, new EndpointPolicy()).listInstances());
    expect(error).toBeInstanceOf(RemoteError);
    expect(isEndpointRefused(error)).toBe(true);
    expect((error as Error).message).toContain("refused by the endpoint policy: 127.0.0.1 is loopback");
    expect(server.accepted).toBe(0);
    expect(server.bytes).toBe(0);
  });

  it("refuses a name that resolves to loopback, however the name is spelled", async () => {
    const policy = new EndpointPolicy({ lookup: async () => ["::ffff:127.0.0.1"] });
    const error = await failure(dcs(`http://innocent.example:${server.port}`, policy).listInstances());
    expect(isEndpointRefused(error)).toBe(true);
    expect(server.accepted).toBe(0);
  });

  it("reaches the simulator once 127.0.0.1 is allowlisted (what the e2e and chaos harness pass)", async () => {
    const listing = await dcs(sim.url, new EndpointPolicy({ allowedEndpoints: "127.0.0.1" })).listInstances();
    expect(listing.instances).toEqual([]);
  });

  it("refuses plain http:// in the connector unless the connection allows it, even when allowlisted", async () => {
    const policy = new EndpointPolicy({ allowedEndpoints: "127.0.0.1" });
    const error = await failure(dcs(`http://127.0.0.1:${server.port}`, policy, false).listInstances());
    expect(isEndpointRefused(error)).toBe(true);
    expect(server.accepted).toBe(0);
  });

  it("checks again on every new socket: a name re-pointed at the metadata address after a good answer is refused", async () => {
    const answers = [["127.0.0.1"], ["169.254.169.254"]];
    let lookups = 0;
    const policy = new EndpointPolicy({
      allowedEndpoints: "127.0.0.1,rebind.example",
      lookup: async () => answers[Math.min(lookups++, answers.length - 1)] ?? [],
    });
    const pool = createPool({ endpointPolicy: policy, allowInsecureHTTP: true });
    try {
      const url = `http://rebind.example:${server.port}/`;
      const first = await pool.request({
        origin: new URL(url).origin,
        path: "/",
        method: "GET",
        reset: true,
      });
      await first.body.text();
      expect(server.accepted).toBe(1);
      const second = await failure(
        pool.request({ origin: new URL(url).origin, path: "/", method: "GET", reset: true }),
      );
      expect(isEndpointRefused(second)).toBe(true);
      expect((second as Error).message).toContain("rebind.example (169.254.169.254) is link-local");
      expect(lookups).toBe(2);
      expect(server.accepted).toBe(1);
    } finally {
      await pool.close();
    }
  });
});

describe("the connector says why it opened no socket", () => {
  let server: CountingServer;
  beforeEach(async () => {
    server = new CountingServer();
    await server.start();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await server.stop();
  });
  /** Every message down an error's cause chain. */
  const messages = (error: unknown): string[] => {
    const out: string[] = [];
    for (let e: unknown = error; e instanceof Error; e = e.cause) out.push(e.message);
    return out;
  };

  it("plain http:// names the host and the setting", async () => {
    const policy = new EndpointPolicy({ allowedEndpoints: "127.0.0.1" });
    const error = await failure(dcs(`http://127.0.0.1:${server.port}`, policy, false).listInstances());
    expect(messages(error)).toContain(
      "127.0.0.1: http:// is refused unless the connection sets allowInsecureHTTP",
    );
    expect(server.accepted).toBe(0);
  });

  it("a resolver failure fails the request at once with the resolver's error, no socket opened", async () => {
    const policy = new EndpointPolicy({
      allowedEndpoints: "broken-dns.example",
      lookup: async () => {
        throw new Error("SERVFAIL from the resolver");
      },
    });
    const error = await failure(dcs(`http://broken-dns.example:${server.port}`, policy).listInstances());
    expect(messages(error).some((m) => m.includes("SERVFAIL from the resolver"))).toBe(true);
    expect(server.accepted).toBe(0);
  });
});
