import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  AuthError,
  BadRequestError,
  BusyError,
  NotFoundError,
  ProtocolError,
  RemoteError,
  ServerError,
  TransportError,
} from "../../src/providers/errors.js";
import { ObshellClient } from "../../src/providers/obshell/client.js";
import type { DagDetail } from "../../src/providers/obshell/schemas.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";

const PASSWORD = "p@ss-Root-9f2";
let sim: ObshellSimulator;
let client: ObshellClient;

const noSleepRetry = { attempts: 3, baseMs: 1, maxMs: 2, sleep: async () => {} };

beforeEach(async () => {
  sim = new ObshellSimulator({ password: PASSWORD, stageMs: 10 });
  await sim.start();
  client = new ObshellClient({
    endpoint: sim.url,
    password: () => PASSWORD,
    timeoutMs: 2000,
    retry: noSleepRetry,
  });
});
afterEach(async () => {
  await client.close();
  await sim.stop();
});

async function until(dagId: string, done: (dag: DagDetail) => boolean): Promise<DagDetail> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const dag = await client.getDag(dagId);
    if (done(dag)) return dag;
    if (Date.now() > deadline) throw new Error(`DAG ${dagId} did not finish within 5 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function caught(promise: Promise<unknown>): Promise<RemoteError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RemoteError)) throw new Error(`expected a RemoteError, got ${String(error)}`);
  return error;
}

describe("obshell client against the simulator", () => {
  it("reads a tenant's replicas from its locality", async () => {
    const tenant = await client.getTenant("audit");
    expect(tenant.replicas).toEqual([
      { zone: "z1", type: "FULL" },
      { zone: "z2", type: "FULL" },
      { zone: "z3", type: "READONLY" },
    ]);
    expect(tenant.info.primary_zone).toBe("RANDOM");
    expect((await client.info()).supportedAuth).toEqual(["v2"]);
  });

  it("removes a zone: DAG created, polled to SUCCEED, zone and pool gone", async () => {
    const result = await client.deleteReplicas("orders", ["z3"]);
    expect(result.kind).toBe("dag");
    if (result.kind !== "dag") return;
    expect(result.dag).toMatchObject({
      id: `1${result.dag.dag_id}`,
      state: "READY",
      operator: "RUN",
      stage: 1,
      nodes: null,
    });
    expect(result.dag.maintenance_key).toBe("orders");
    const inFlight = await client.unfinishedDags();
    expect(inFlight.map((d) => d.id)).toContain(result.dag.id);
    const done = await until(result.dag.id, (d) => d.state === "SUCCEED" || d.state === "FAILED");
    expect(done).toMatchObject({ state: "SUCCEED", operator: "RUN", stage: 2, max_stage: 2 });
    const tenant = await client.getTenant("orders");
    expect(tenant.replicas.map((r) => r.zone)).toEqual(["z1", "z2"]);
    expect(tenant.info.pools?.map((p) => p.zone_list)).toEqual(["z1", "z2"]);
    expect(await client.unfinishedDags()).toEqual([]);
  });

  it("answers 204 (nothing to do) when no named zone holds a replica", async () => {
    expect(await client.deleteReplicas("orders", ["z7"])).toEqual({ kind: "nothing-to-do" });
  });

  it("surfaces a FAILED DAG with its failing node's log, and RETRY finishes it", async () => {
    sim.cluster.failNextDag.set("orders", 1);
    const result = await client.deleteReplicas("orders", ["z2"]);
    if (result.kind !== "dag") throw new Error("expected a DAG");
    const failed = await until(result.dag.id, (d) => d.state !== "READY" && d.state !== "RUNNING");
    expect(failed).toMatchObject({ state: "FAILED", operator: "RUN" });
    const detailed = await client.getDag(result.dag.id, true);
    const node = detailed.nodes?.find((n) => n.state === "FAILED");
    expect(node?.sub_tasks?.[0]?.task_logs?.join(" ")).toContain("z2");
    expect((await client.unfinishedDags()).map((d) => d.id)).toContain(result.dag.id);
    await client.operateDag(result.dag.id, "RETRY");
    const retried = await until(result.dag.id, (d) => d.state === "SUCCEED");
    expect(retried.operator).toBe("RUN");
    expect((await client.getTenant("orders")).replicas.map((r) => r.zone)).toEqual(["z1", "z3"]);
  });

  it("refuses a second DAG on a busy tenant with a BusyError, and an invalid DAG operation as bad request", async () => {
    const first = await client.deleteReplicas("billing", ["z3"]);
    expect(first.kind).toBe("dag");
    const busy = await caught(client.deleteReplicas("billing", ["z2"]));
    expect(busy).toBeInstanceOf(BusyError);
    expect(busy.remoteCode).toBe("OB.Tenant.UnderMaintenance");
    expect(busy.retryable).toBe(true);
    if (first.kind === "dag") {
      const bad = await caught(client.operateDag(first.dag.id, "PASS"));
      expect(bad).toBeInstanceOf(BadRequestError);
      expect(bad.remoteCode).toBe("Task.Dag.Operator.PassNotFailedDag");
    }
  });

  it("validates like the agent: unknown tenant, last FULL replicas, invalid DAG id", async () => {
    const missing = await caught(client.getTenant("nope"));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.status).toBe(400);
    expect(missing.remoteCode).toBe("OB.Tenant.NotExist");
    const principal = await caught(client.deleteReplicas("orders", ["z2", "z3"]));
    expect(principal).toBeInstanceOf(BadRequestError);
    expect(principal.remoteCode).toBe("OB.Tenant.Locality.PrincipalNotAllowed");
    const badId = await caught(client.getDag("x1"));
    expect(badId.remoteCode).toBe("Task.GenericID.Invalid");
    expect(badId.message).toMatch(/\(trace [0-9a-f]{16}\)/);
  });

  it("never puts the password in an error", async () => {
    const wrong = new ObshellClient({
      endpoint: sim.url,
      password: () => "wrong-Pa55word-xyz",
      retry: noSleepRetry,
    });
    const error = await caught(wrong.getTenant("orders"));
    await wrong.close();
    expect(error).toBeInstanceOf(AuthError);
    expect(error.remoteCode).toBe("Security.Authentication.IncorrectOceanbasePassword");
    expect(`${error.message} ${error.stack} ${JSON.stringify(error)}`).not.toContain("wrong-Pa55word-xyz");
  });

  it("re-fetches the agent key once after DecryptFailed (agent upgraded)", async () => {
    await client.getTenant("orders");
    sim.rotateKey();
    const before = sim.log.filter((e) => e.path === "/api/v1/secret").length;
    expect((await client.getTenant("orders")).info.tenant_name).toBe("orders");
    expect(sim.log.filter((e) => e.path === "/api/v1/secret").length).toBe(before + 1);
  });
});

describe("obshell client on bad replies", () => {
  it.each([
    ["malformed JSON", "malformed", ProtocolError],
    ["an HTML page from a proxy", "html", ServerError],
    ["a truncated body", "truncate", TransportError],
    ["a connection reset", "reset", TransportError],
    ["a 500 from the agent", "status", ServerError],
  ] as const)("turns %s into a typed error", async (_, kind, type) => {
    sim.addFault({ path: /^\/api\/v1\/tenant\/orders$/, kind });
    const error = await caught(client.getTenant("orders"));
    expect(error).toBeInstanceOf(type);
    expect(error.operation).toBe("GET /api/v1/tenant/orders");
    // Reads are retried: three attempts, each hit by the fault.
    expect(sim.log.filter((e) => e.path === "/api/v1/tenant/orders").length).toBe(3);
  });

  it("retries a read through one transient fault", async () => {
    sim.addFault({ path: /^\/api\/v1\/tenant\/orders$/, kind: "reset", times: 1 });
    expect((await client.getTenant("orders")).info.tenant_name).toBe("orders");
  });

  it("never retries a delete: one request, even when the reply was lost after the agent acted", async () => {
    sim.addFault({ method: "DELETE", kind: "reset", phase: "after" });
    const error = await caught(client.deleteReplicas("orders", ["z3"]));
    expect(error).toBeInstanceOf(TransportError);
    const deletes = sim.log.filter((e) => e.method === "DELETE");
    expect(deletes.length).toBe(1);
    expect(deletes[0]?.executed).toBe(true);
    // The operation is found again where the spec says to look.
    const inFlight = await client.unfinishedDags();
    expect(inFlight.find((d) => d.maintenance_type === 3 && d.maintenance_key === "orders")).toBeDefined();
  });

  it("rejects a 200 whose envelope says successful: false, with the trace id", async () => {
    // A server that answers 200 with successful:false, or with no envelope at all.
    const { createServer } = await import("node:http");
    const server = createServer((_req, out) => {
      out.writeHead(200, { "content-type": "application/json" });
      out.end(
        _req.url === "/api/v1/info"
          ? JSON.stringify({
              successful: false,
              timestamp: "t",
              duration: 1,
              status: 500,
              traceId: "abcdef0123456789",
              error: { errCode: "Common.Unexpected", message: "boom" },
            })
          : JSON.stringify({ ok: true }),
      );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const odd = new ObshellClient({
      endpoint: `http://127.0.0.1:${port}`,
      password: () => PASSWORD,
      retry: noSleepRetry,
    });
    const unsuccessful = await caught(odd.info());
    expect(unsuccessful).toBeInstanceOf(ServerError);
    expect(unsuccessful.requestId).toBe("abcdef0123456789");
    expect(unsuccessful.message).toContain("trace abcdef0123456789");
    const wrong = await caught(odd.tenantsOverview());
    expect(wrong).toBeInstanceOf(ProtocolError);
    expect(wrong.message).toContain("successful");
    await odd.close();
    await new Promise<void>((r) => server.close(() => r()));
  });
});
