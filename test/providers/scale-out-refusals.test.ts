// The operator's add (AddZones) against the obshell simulator's add-replica rules, over real HTTP: each
// refusal the agent makes (its errCode, from oceanbase/obshell ob/agent/...; tenant/add-refusals.ts cites
// the file of each) becomes the reason the set shows, Stalled when a person must fix it and Reconciling
// when it passes by itself. Nothing is started by a refused add.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Reason } from "../../src/api/reasons.js";
import { ConnectionClients } from "../../src/connections/client-pool.js";
import { EndpointPolicy } from "../../src/providers/endpoint-policy.js";
import { ObshellClient } from "../../src/providers/obshell/client.js";
import type { TenantStep } from "../../src/reconcilers/tenant/decide.js";
import { tenantKind } from "../../src/reconcilers/tenant/kind.js";
import type { ReplicaToAdd } from "../../src/reconcilers/tenant/plan.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";
import { tenantSet } from "../unit/sets.js";

const PASSWORD = "scale-out-refusals";
let sim: ObshellSimulator;
let client: ObshellClient;
const kind = tenantKind({
  resolve: () => ({ ok: false, reason: Reason.ConnectionNotFound, message: "unused" }),
  endpointPolicy: new EndpointPolicy({ allowedEndpoints: "127.0.0.1" }),
  pool: new ConnectionClients<ObshellClient>(),
  timing: { dagPollMs: 50, busyRetryMs: 700 },
});

beforeAll(async () => {
  sim = new ObshellSimulator({
    password: PASSWORD,
    stageMs: 30,
    seed: {
      zones: [
        { name: "z1", region: "hz" },
        { name: "z2", region: "hz" },
        { name: "z3", region: "hz" },
        { name: "z4", region: "hz", servers: 2 },
        { name: "z5", region: "sh" },
        { name: "z6", region: "hz", servers: [{ cpu: 1 }] },
        { name: "z7", region: "hz", servers: 0 },
      ],
      tenants: [
        { name: "t", zones: ["z1", "z2", "z3"], primaryZone: "z1;z2,z3" },
        { name: "busy", zones: ["z1", "z2", "z3"] },
        { name: "locked", zones: ["z1", "z2", "z3"], status: "LOCKED" },
        { name: "norebalance", zones: ["z1", "z2"], primaryZone: "RANDOM", enableRebalance: false },
        { name: "random", zones: ["z1", "z2"], primaryZone: "RANDOM" },
      ],
    },
  });
  await sim.start();
  client = new ObshellClient({ endpoint: sim.url, password: () => PASSWORD });
});

afterAll(async () => {
  await client.close();
  await sim.stop();
});

async function add(tenant: string, replica: Partial<ReplicaToAdd> & { zone: string }): Promise<TenantStep> {
  const r: ReplicaToAdd = { unitConfigName: `${tenant}_unit`, unitNum: 1, type: "FULL", ...replica };
  const step: Extract<TenantStep, { kind: "AddZones" }> = {
    kind: "AddZones",
    reason: Reason.AddingZones,
    message: "",
    target: { endpoint: sim.url, tenant },
    zones: [r.zone],
    replicas: [r],
  };
  return (await kind.act(client, tenantSet({ tenant }), step, undefined as never, new Date())) as TenantStep;
}

describe("an add refused by obshell", () => {
  it.each([
    { what: "a zone the cluster lacks", tenant: "t", r: { zone: "z9" }, reason: Reason.ZoneNotFound },
    {
      what: "a unit config the cluster lacks",
      tenant: "t",
      r: { zone: "z4", unitConfigName: "nope" },
      reason: Reason.UnitConfigNotFound,
    },
    {
      what: "a unit number other than the tenant's",
      tenant: "t",
      r: { zone: "z4", unitNum: 2 },
      reason: Reason.UnitNumMismatch,
    },
    { what: "a zone with no server", tenant: "t", r: { zone: "z7" }, reason: Reason.InsufficientResources },
    {
      what: "a zone whose server lacks CPU",
      tenant: "t",
      r: { zone: "z6" },
      reason: Reason.InsufficientResources,
    },
    {
      what: "a FULL replica moving RANDOM's first priority with enable_rebalance off",
      tenant: "norebalance",
      r: { zone: "z3" },
      reason: Reason.PrimaryZoneRule,
    },
    {
      what: "a replica in another region under a RANDOM primary zone",
      tenant: "random",
      r: { zone: "z5", type: "READONLY" as const },
      reason: Reason.PrimaryZoneRule,
    },
    {
      what: "a tenant that is not NORMAL",
      tenant: "locked",
      r: { zone: "z4" },
      reason: Reason.TenantNotNormal,
    },
  ])(
    "$what: Stalled $reason, naming zone and unit config, nothing started",
    async ({ tenant, r, reason }) => {
      const dags = sim.cluster.dags.length;
      const step = await add(tenant, r);
      expect({ kind: step.kind, reason: step.reason, phase: step.phase }).toEqual({
        kind: "AddRefused",
        reason,
        phase: "Stalled",
      });
      expect(step.message).toContain(r.zone);
      expect(step.message).toContain(r.unitConfigName ?? `${tenant}_unit`);
      expect(sim.cluster.dags.length).toBe(dags);
    },
  );

  it("the tenant lock (a DAG running): Reconciling, looked at again after the busy delay", async () => {
    sim.cluster.holdDags.add("busy");
    sim.cluster.removeReplicas("busy", ["z3"]);
    const step = await add("busy", { zone: "z4" });
    expect(step).toMatchObject({
      kind: "AddRefused",
      reason: Reason.TenantBusy,
      phase: "Reconciling",
      requeueAfterMs: 700,
    });
    sim.cluster.holdDags.delete("busy");
  });

  it("accepted: the DAG it started is recorded", async () => {
    const step = await add("t", { zone: "z4" });
    expect(step.kind).toBe("DagStarted");
    expect("dag" in step ? step.dag.name : "").toBe("Scale out tenant replicas");
  });
});
