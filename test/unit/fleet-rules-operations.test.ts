// Fleet rule "an operation is followed only where it started" (README, Operations bound to their target), with
// the recommended config: the set names a DatabaseConnection, and an admin repoints that connection, or the
// team points the set at another connection, while a DAG runs. Judged by the obshell simulators' request logs:
// what reached which agent. Wrong versions this is written against: following the spec's connection instead
// of the recorded one, and following a recorded connection wherever it now leads.
import { afterEach, describe, expect, it } from "vitest";
import type { TenantOperation } from "../../src/api/tenant-replica-set.js";
import { ConnectionClients } from "../../src/connections/client-pool.js";
import type { KubeObject } from "../../src/controller/resource.js";
import { EndpointPolicy } from "../../src/providers/endpoint-policy.js";
import { ObshellClient } from "../../src/providers/obshell/client.js";
import { MemoryCredentialHealth } from "../../src/reconcilers/engine/memory-credential-health.js";
import { SetReconciler } from "../../src/reconcilers/engine/set-reconciler.js";
import { tenantKind } from "../../src/reconcilers/tenant/kind.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";
import { type Calls, eventLog, FakeApi, request } from "./engine-fakes.js";
import {
  addObshellConnection,
  addSecret,
  refTenantManifest,
  resolverOf,
  type World,
  world,
} from "./fleet-world.js";

const PASSWORD = "root-Pw-3k9";

describe("an operation in flight on a connectionRef set", () => {
  const sims: ObshellSimulator[] = [];
  const pools: ConnectionClients<ObshellClient>[] = [];
  afterEach(async () => {
    for (const p of pools.splice(0)) await p.closeAll();
    for (const s of sims.splice(0)) await s.stop();
  });

  async function agent(): Promise<ObshellSimulator> {
    // DAG stages slow enough that the removal is still running when the set is reconciled.
    const sim = new ObshellSimulator({ password: PASSWORD, stageMs: 60_000, keyBits: 512 });
    await sim.start();
    sims.push(sim);
    return sim;
  }

  /** Starts removing z3 from tenant orders on `sim`, as the operator would have; returns the recorded intent. */
  async function removalRunningOn(sim: ObshellSimulator, connection: string): Promise<TenantOperation> {
    const startedAt = new Date(Date.now() - 1000).toISOString();
    const client = new ObshellClient({ endpoint: sim.url, password: () => PASSWORD, timeoutMs: 5000 });
    try {
      const result = await client.deleteReplicas("orders", ["z3"]);
      if (result.kind !== "dag") throw new Error("expected a DAG");
      return {
        kind: "RemoveZones",
        zones: ["z3"],
        startedAt,
        dagId: result.dag.id,
        retries: 0,
        generation: 2,
        endpoint: sim.url,
        tenant: "orders",
        connectionRef: { kind: "DatabaseConnection", name: connection },
      };
    } finally {
      await client.close();
    }
  }

  function harness(w: World, object: KubeObject) {
    const calls: Calls = [];
    const api = new FakeApi(object, calls);
    const pool = new ConnectionClients<ObshellClient>();
    pools.push(pool);
    const reconciler = new SetReconciler(
      tenantKind({
        resolve: resolverOf(w),
        endpointPolicy: new EndpointPolicy({ allowedEndpoints: "127.0.0.1" }),
        pool,
        timing: { dagPollMs: 50, busyRetryMs: 50 },
      }),
      {
        cache: { get: () => api.stored },
        status: api.writer(),
        events: eventLog(calls),
        credentials: new MemoryCredentialHealth(),
      },
    );
    return {
      api,
      calls,
      reconcile: () => reconciler.reconcile(request(new AbortController().signal, "prod/orders")),
    };
  }

  it("the admin repoints the connection mid-operation: OperationTargetMoved, nothing sent to either agent", async () => {
    const old = await agent();
    const fresh = await agent();
    const w = world();
    addObshellConnection(w, "prod", "ob", { endpoint: old.url });
    addSecret(w, "prod", "obshell", { password: PASSWORD });
    const op = await removalRunningOn(old, "ob");
    const sentBefore = old.log.length;
    // The admin moves prod/ob to another cluster while the DAG runs.
    addObshellConnection(w, "prod", "ob", { endpoint: fresh.url });
    const h = harness(
      w,
      refTenantManifest({ connection: { name: "ob" }, zones: ["z1", "z2"], status: { operation: op } }),
    );

    await h.reconcile();
    expect(h.calls).toContain("status Stalled/OperationTargetMoved");
    const stalled = h.api.status.conditions as { type: string; reason: string; message: string }[];
    expect(stalled.find((c) => c.type === "Stalled")?.message).toContain(`started on ${old.url}`);
    expect(stalled.find((c) => c.type === "Stalled")?.message).toContain(fresh.url);
    // Not followed at the new agent, not operated at the old one: nothing at all was sent.
    expect(fresh.log).toHaveLength(0);
    expect(old.log.slice(sentBefore)).toHaveLength(0);
    // The intent stays for a person to settle.
    expect(h.api.status.operation).toMatchObject({ endpoint: old.url, dagId: op.dagId, zones: ["z3"] });

    // A second pass changes nothing.
    await h.reconcile();
    expect(fresh.log).toHaveLength(0);
    expect(old.log.slice(sentBefore)).toHaveLength(0);
    expect(
      h.calls
        .filter((c) => c.startsWith("status "))
        .every((c) => c === "status Stalled/OperationTargetMoved"),
    ).toBe(true);
  });

  it("the set is pointed at another connection mid-operation: the DAG is followed through the one it started with", async () => {
    const old = await agent();
    const fresh = await agent();
    const w = world();
    addObshellConnection(w, "prod", "ob", { endpoint: old.url });
    addObshellConnection(w, "prod", "ob-eu", { endpoint: fresh.url });
    addSecret(w, "prod", "obshell", { password: PASSWORD });
    const op = await removalRunningOn(old, "ob");
    const sentBefore = old.log.length;
    const h = harness(
      w,
      refTenantManifest({ connection: { name: "ob-eu" }, zones: ["z1", "z2"], status: { operation: op } }),
    );

    await h.reconcile();
    expect(h.calls).toContain("status Reconciling/DagRunning");
    expect(old.log.slice(sentBefore).map((r) => `${r.method} ${r.path}`)).toContain(
      `GET /api/v1/task/dag/${op.dagId}`,
    );
    expect(fresh.log.filter((r) => r.path.startsWith("/api/v1/task") || r.method !== "GET")).toHaveLength(0);
    expect(fresh.log.filter((r) => r.path.includes("/tenant"))).toHaveLength(0);
  });

  it("the connection still leads where the operation started: followed there, no stall", async () => {
    const old = await agent();
    const w = world();
    addObshellConnection(w, "prod", "ob", { endpoint: old.url });
    addSecret(w, "prod", "obshell", { password: PASSWORD });
    const op = await removalRunningOn(old, "ob");
    const h = harness(
      w,
      refTenantManifest({ connection: { name: "ob" }, zones: ["z1", "z2"], status: { operation: op } }),
    );
    await h.reconcile();
    expect(h.calls).toContain("status Reconciling/DagRunning");
    expect(h.calls).not.toContain("status Stalled/OperationTargetMoved");
  });
});
