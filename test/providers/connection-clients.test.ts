// Namespaces do not disturb each other's clients: the DCS client slot was once shared by endpoint,
// project and AK, so a different SK in namespace B closed the client namespace A was using.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConnectionClients } from "../../src/connections/client-pool.js";
import { DcsClient } from "../../src/providers/dcs/client.js";
import { DcsSimulator } from "../simulators/dcs/server.js";

const AK = "AKTESTDCS000000000001";
const SK_A = "SKtestSecretKey0000000000000000000000aaaa";
const SK_B = "SKtestSecretKey0000000000000000000000bbbb";
const PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";

let sim: DcsSimulator;
let clients: ConnectionClients<DcsClient>;
let closed: string[];

beforeEach(async () => {
  sim = new DcsSimulator({
    credentials: [
      { accessKey: AK, secretKey: SK_A },
      { accessKey: AK, secretKey: SK_B },
    ],
    projects: { [PROJECT]: [{ name: "cache-1" }, { name: "cache-2" }] },
  });
  await sim.start();
  clients = new ConnectionClients();
  closed = [];
});
afterEach(async () => {
  await clients.closeAll();
  await sim.stop();
});

function make(name: string, secretKey: string): () => DcsClient {
  return () => {
    const client = new DcsClient({
      endpoint: sim.url,
      projectId: PROJECT,
      auth: { kind: "aksk", credentials: () => ({ accessKey: AK, secretKey }) },
      timeoutMs: 5000,
      retry: { attempts: 1, baseMs: 1, maxMs: 1, sleep: async () => {} },
    });
    const close = client.close.bind(client);
    client.close = async () => {
      closed.push(name);
      await close();
    };
    return client;
  };
}

describe("ConnectionClients", () => {
  it("leaves namespace A's listing in flight untouched when namespace B uses another SK, then rotates", async () => {
    sim.addFault({ method: "GET", kind: "latency", latencyMs: 300, times: 1 });
    const a = clients.acquire("team-a/cache", "team-a", "identity-sk-a", make("a", SK_A));
    const inFlight = a.listInstances();
    const b = clients.acquire("team-b/cache", "team-b", "identity-sk-b", make("b", SK_B));
    expect(b).not.toBe(a);
    // B rotates its SK: its own client goes, A's stays.
    const b2 = clients.acquire("team-b/cache", "team-b", "identity-sk-b2", make("b2", SK_B));
    expect(b2).not.toBe(b);
    expect((await inFlight).instances).toHaveLength(2);
    expect(closed).toEqual(["b"]);
    expect((await a.listInstances()).instances).toHaveLength(2);
  });

  it("shares one client between the sets of a namespace using the same connection, until the last lets go", async () => {
    const first = clients.acquire("team-a/one", "team-a", "same", make("shared", SK_A));
    const second = clients.acquire("team-a/two", "team-a", "same", make("unused", SK_A));
    expect(second).toBe(first);
    clients.release("team-a/one");
    expect(closed).toEqual([]);
    clients.release("team-a/two");
    expect(closed).toEqual(["shared"]);
    expect(clients.size).toBe(0);
  });

  it("never shares a client across namespaces, even with identical settings", () => {
    const a = clients.acquire("team-a/x", "team-a", "same", make("a", SK_A));
    const b = clients.acquire("team-b/x", "team-b", "same", make("b", SK_A));
    expect(b).not.toBe(a);
    expect(clients.size).toBe(2);
  });
});
