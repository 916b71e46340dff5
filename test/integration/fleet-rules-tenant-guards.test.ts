// The tenant guards and the rules around a removal (issue 22), on the real API server with the obshell
// simulator over real HTTP: no action on a failed read, never a Paxos majority, a tenant not NORMAL, a left
// over pool, maxZonesPerOperation, an approval used once, and a DELETE not sent to a cluster the agent no
// longer reports. Sets reach obshell through admin-owned DatabaseConnections and the operator runs as
// deploy/'s identity; each story is judged by the agent's request log (what was actually sent), and a hold
// ends by lifting it to show the call would have gone.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { APPROVE_PLAN_ANNOTATION } from "../../src/api/group.js";
import type { TenantReplicaSetStatus } from "../../src/api/tenant-replica-set.js";
import type { Operator } from "../../src/operator.js";
import { conditionTrue } from "../harness/conditions.js";
import { obshellConnection, startRecommendedOperator, tenantSetManifest } from "../harness/connections.js";
import { eventually } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { captureLog } from "../harness/log-capture.js";
import { applyCredentialSecrets, RawApi, type RawObject } from "../harness/raw-api.js";
import type { FaultKind, LoggedRequest } from "../simulators/http-sim.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const PASSWORD = "guards-root-password";
const WAIT_MS = 40_000;
let ns = "";
let obshell: ObshellSimulator;
/** The agent whose reported cluster changes under a plan: its own, so no other story sees the change. */
let obshellMoving: ObshellSimulator;
/** The agent of one converged set: its own, so that every cluster-wide read in its log is that set's. */
let obshellSteady: ObshellSimulator;
let operator: Operator;
const log = captureLog();

type Condition = { type: string; status: string; reason: string; message: string };
type SetObject = RawObject & { status?: TenantReplicaSetStatus & { conditions?: Condition[] | undefined } };

const trsPath = (name: string) => `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/tenantreplicasets/${name}`;

function tenantSet(
  name: string,
  tenant: string,
  zones: string[],
  policy: Record<string, unknown> = {},
  connection = "obshell",
): RawObject {
  return tenantSetManifest({ namespace: ns, name }, connection, tenant, zones, {
    pollInterval: "1s",
    // These stories are about what is sent: each plan runs as soon as it is made (settling: settle-time.test.ts).
    policy: { settleTime: "0s", ...policy },
  });
}

/** Waits until the set has a True condition for `reason` of `type` (any type when absent), or `unless` says the wrong call was sent. */
async function condition(
  name: string,
  reason: string,
  type?: string,
  unless: () => boolean = () => false,
): Promise<SetObject> {
  return conditionTrue<SetObject>(raw, trsPath(name), { reason, type }, WAIT_MS, unless);
}

async function mergePatch(name: string, body: unknown): Promise<void> {
  await raw.call("PATCH", trsPath(name), body, "application/merge-patch+json");
}

/** The zones of every DELETE of the tenant's replicas the agent received, in order. */
const deletesOf = (tenant: string, sim = obshell) =>
  sim.log
    .filter((e) => e.method === "DELETE" && e.path === `/api/v1/tenant/${tenant}/replicas`)
    .map((e) => (e.body as { zones?: string[] }).zones);
/** Every request that changes something on the agent: replica DELETE/POST/PATCH and DAG operations. */
const changes = (sim = obshell) => sim.log.filter((e) => e.method !== "GET");
const tenantReads = (tenant: string, sim = obshell) =>
  sim.log.filter((e) => e.method === "GET" && e.path === `/api/v1/tenant/${tenant}`).length;

/** A few more reads of the tenant: its set has looked again (and decided again) since. */
async function threeMoreReads(tenant: string, sim = obshell): Promise<void> {
  const seen = tenantReads(tenant, sim);
  await eventually(`three more reads of ${tenant}`, () => tenantReads(tenant, sim) >= seen + 3, WAIT_MS);
}

const zones = ["z1", "z2", "z3", "z4", "z5"].map((name) => ({ name, region: "hz" }));

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "guards");
  obshell = new ObshellSimulator({
    password: PASSWORD,
    stageMs: 40,
    seed: {
      zones,
      tenants: [
        { name: "t_read_a", zones: ["z1", "z2", "z3"] },
        { name: "t_read_b", zones: ["z1", "z2", "z3"] },
        { name: "t_read_c", zones: ["z1", "z2", "z3"] },
        { name: "t_paxos", zones: ["z1", "z2", "z3"] },
        { name: "t_readonly", zones: ["z1"], readonlyZones: ["z2", "z3"] },
        { name: "t_restore", zones: ["z1", "z2", "z3"], status: "RESTORE" },
        { name: "t_pool", zones: ["z1", "z2"] },
        { name: "t_blast", zones: ["z1", "z2", "z3", "z4", "z5"] },
        { name: "t_approved", zones: ["z1", "z2", "z3"] },
      ],
    },
  });
  await obshell.start();
  obshellMoving = new ObshellSimulator({
    password: PASSWORD,
    stageMs: 40,
    seed: {
      zones,
      tenants: [
        { name: "t_moving", zones: ["z1", "z2", "z3"] },
        { name: "t_growing", zones: ["z1", "z2", "z3"] },
      ],
    },
  });
  await obshellMoving.start();
  obshellSteady = new ObshellSimulator({
    password: PASSWORD,
    stageMs: 40,
    seed: { zones, tenants: [{ name: "t_steady", zones: ["z1", "z2", "z3"] }] },
  });
  await obshellSteady.start();
  await applyCredentialSecrets(raw, ns, { password: PASSWORD, accessKey: "unused", secretKey: "unused" });
  await raw.apply(obshellConnection({ namespace: ns, name: "obshell" }, obshell.url));
  await raw.apply(obshellConnection({ namespace: ns, name: "obshell-moving" }, obshellMoving.url));
  await raw.apply(obshellConnection({ namespace: ns, name: "obshell-steady" }, obshellSteady.url));
  operator = startRecommendedOperator(kubeconfig, {
    logger: log.logger,
    namespaces: [ns],
    tenant: { dagPollMs: 50 },
  });
}, 60_000);

afterAll(async () => {
  await operator?.stop(2000);
  await obshell?.stop();
  await obshellMoving?.stop();
  await obshellSteady?.stop();
  await raw.close();
});

describe("no action on a failed observation", () => {
  // The unfinished-DAG read is what keeps a second DELETE off a tenant whose DAG runs: read as "none" when it
  // failed, a removal would go out on a guess.
  const faults: { what: string; kind: FaultKind; tenant: string }[] = [
    { what: "malformed JSON", kind: "malformed", tenant: "t_read_a" },
    { what: "a proxy's HTML error page", kind: "html", tenant: "t_read_b" },
    { what: "a reply nested past its budget", kind: "oversize", tenant: "t_read_c" },
  ];
  it.each(faults)(
    "the unfinished-DAG read answers $what: nothing is sent until it reads",
    async ({ kind, tenant }) => {
      const unfinished = /^\/api\/v1\/task\/dag\/ob\/unfinish$/;
      obshell.addFault({ method: "GET", path: unfinished, kind });
      const failedReads = () => obshell.log.filter((e) => unfinished.test(e.path) && e.fault).length;
      const name = tenant.replace(/_/g, "-");
      await raw.apply(tenantSet(name, tenant, ["z1", "z2"]));
      await condition(name, "ObserveFailed", undefined, () => deletesOf(tenant).length > 0);
      // A reconcile after the one that recorded the failure has read again: the first one ended, sending nothing.
      const seen = failedReads();
      await eventually("the unfinished DAGs read again", () => failedReads() > seen, WAIT_MS);
      expect(deletesOf(tenant)).toEqual([]);

      obshell.http.clearFaults();
      await condition(name, "Converged", "Ready");
      expect(deletesOf(tenant)).toEqual([["z3"]]);
    },
  );
});

describe("a converged set's polls", () => {
  // A poll of a set found converged reads the tenant alone (observe.ts): the unfinished-DAG list is
  // cluster-wide and nothing decides on it while the tenant is converged. Once the tenant moves, the list is
  // read before anything is decided, and a DAG running there keeps every call off the tenant.
  it("read the tenant alone; once a person's DAG has moved it, the DAGs are read before any decision, and nothing is sent while it runs", async () => {
    const sim = obshellSteady;
    const tenant = "t_steady";
    const unfinished = /^\/api\/v1\/task\/dag\/(ob\/)?unfinish$/;
    const dagReads = () => sim.log.filter((e) => unfinished.test(e.path));
    await raw.apply(tenantSet("t-steady", tenant, ["z1", "z2", "z3"], {}, "obshell-steady"));
    await condition("t-steady", "Converged", "Ready");
    // The reconcile that found it converged read both, and one started before its status reached the
    // operator's cache may too; after that, polls only.
    await threeMoreReads(tenant, sim);
    const polled = dagReads().length;
    await threeMoreReads(tenant, sim);
    expect(dagReads()).toHaveLength(polled);

    // A person adds z4 and z5, slowly enough to hold the DAG once z4 is in the locality (its third node).
    sim.stageMs = 2000;
    const human = sim.cluster.addReplicas(tenant, [
      { name: "z4", unit_config_name: `${tenant}_unit`, unit_num: 1 },
      { name: "z5", unit_config_name: `${tenant}_unit`, unit_num: 1 },
    ]);
    await eventually("z4 in the tenant's locality", () => human.stage === 3, WAIT_MS);
    sim.cluster.holdDags.add(tenant);
    await condition("t-steady", "TenantBusy", "Reconciling", () => deletesOf(tenant, sim).length > 0);
    // Not one DAG read while the tenant was converged, the DAG running all along; the first one after the
    // first reply that showed z4, and asked only once that reply was in.
    const movedAt = sim.log.find(
      (e) => e.path === `/api/v1/tenant/${tenant}` && JSON.stringify(e.handled?.body ?? "").includes("z4"),
    );
    const after = dagReads().slice(polled);
    expect(movedAt?.monotonicRepliedAt).toBeDefined();
    expect(after.length).toBeGreaterThan(0);
    for (const read of after)
      expect(read.monotonicAt).toBeGreaterThanOrEqual(
        movedAt?.monotonicRepliedAt ?? Number.POSITIVE_INFINITY,
      );
    await threeMoreReads(tenant, sim);
    expect(changes(sim)).toEqual([]);

    // The person's change is taken into the spec and the DAG let go: Ready, and nothing was ever sent.
    await mergePatch("t-steady", { spec: { zones: ["z1", "z2", "z3", "z4", "z5"] } });
    sim.stageMs = 40;
    sim.cluster.holdDags.delete(tenant);
    await eventually("the person's DAG succeeded", () => human.state === "SUCCEED", WAIT_MS);
    await condition("t-steady", "Converged", "Ready");
    expect(changes(sim)).toEqual([]);
  });
});

describe("the tenant guards", () => {
  const majority: { what: string; tenant: string; keep: string[]; lifted: string[]; removed: string }[] = [
    {
      what: "one FULL replica of three would be left",
      tenant: "t_paxos",
      keep: ["z1"],
      lifted: ["z1", "z2"],
      removed: "z3",
    },
    {
      what: "only READONLY replicas would be left",
      tenant: "t_readonly",
      keep: ["z2", "z3"],
      lifted: ["z1", "z2"],
      removed: "z3",
    },
  ];
  it.each(majority)(
    "$what: Stalled PaxosMajority, no DELETE; a spec that keeps a majority removes",
    async ({ tenant, keep, lifted, removed }) => {
      const name = tenant.replace(/_/g, "-");
      // No approval asked (removing two of three would ask one): a guard that let it pass would send.
      await raw.apply(tenantSet(name, tenant, keep, { approvalThreshold: 3 }));
      await condition(name, "PaxosMajority", "Stalled", () => deletesOf(tenant).length > 0);
      await threeMoreReads(tenant);
      expect(changes().filter((e) => e.path.includes(tenant))).toEqual([]);

      await mergePatch(name, { spec: { zones: lifted } });
      await condition(name, "Converged", "Ready");
      expect(deletesOf(tenant)).toEqual([[removed]]);
    },
  );

  it("a tenant that is not NORMAL (RESTORE) is never operated: no DELETE until it is NORMAL again", async () => {
    await raw.apply(tenantSet("t-restore", "t_restore", ["z1", "z2"]));
    await condition("t-restore", "TenantNotNormal", "Stalled", () => deletesOf("t_restore").length > 0);
    await threeMoreReads("t_restore");
    expect(changes().filter((e) => e.path.includes("t_restore"))).toEqual([]);

    const tenant = obshell.cluster.tenants.get("t_restore");
    if (!tenant) throw new Error("unreachable");
    tenant.status = "NORMAL";
    await condition("t-restore", "Converged", "Ready");
    expect(deletesOf("t_restore")).toEqual([["z3"]]);
  });

  it("a resource pool left in a zone without a replica (a failed scale-in): Stalled LeftoverPool, that zone is never sent for removal, nothing is operated", async () => {
    const tenant = obshell.cluster.tenants.get("t_pool");
    if (!tenant) throw new Error("unreachable");
    // What a scale-in DAG leaves when it fails after its locality change: z3's pool, no replica in z3.
    tenant.pools.push({
      name: "t_pool_pool_z3",
      id: 9001,
      zones: ["z3"],
      unitConfig: "t_pool_unit",
      unitNum: 1,
    });
    const since = obshell.log.length;
    // What the set could send for this tenant: a change of its replicas, or an operation of a DAG.
    const sentSince = () =>
      changes().filter(
        (e) =>
          obshell.log.indexOf(e) >= since &&
          (e.path.includes("t_pool") || e.path.startsWith("/api/v1/task/dag/")),
      );
    await raw.apply(tenantSet("t-pool", "t_pool", ["z1", "z2"]));
    const held = await condition("t-pool", "LeftoverPool", "Stalled", () => sentSince().length > 0);
    await threeMoreReads("t_pool");
    // No DELETE of z3 (or of anything), no DAG operated: only a person knows what the failed DAG left.
    expect(sentSince()).toEqual([]);
    expect(held.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("False");

    // A person resolves it (the failed DAG retried, the pool dropped): Ready, and still nothing was sent.
    tenant.pools = tenant.pools.filter((p) => !p.zones.includes("z3"));
    await condition("t-pool", "Converged", "Ready");
    expect(sentSince()).toEqual([]);
  });
});

describe("blast radius", () => {
  it("maxZonesPerOperation 1: three zones to remove go as three DELETEs of one zone each, in order", async () => {
    await raw.apply(
      tenantSet("t-blast", "t_blast", ["z1", "z2"], { maxZonesPerOperation: 1, approvalThreshold: 3 }),
    );
    await condition("t-blast", "Converged", "Ready", () =>
      deletesOf("t_blast").some((z) => (z?.length ?? 0) > 1),
    );
    expect(deletesOf("t_blast")).toEqual([["z3"], ["z4"], ["z5"]]);
  });
});

describe("approvals", () => {
  it("an approval is used once: the same plan again under the used annotation sends nothing, until it is given anew", async () => {
    await raw.apply(tenantSet("t-approved", "t_approved", ["z1", "z2"], { approvalThreshold: 0 }));
    const asked = await condition(
      "t-approved",
      "ApprovalRequired",
      "Stalled",
      () => deletesOf("t_approved").length > 0,
    );
    const hash = asked.status?.pendingApproval?.hash ?? "";
    expect(hash).not.toBe("");
    expect(deletesOf("t_approved")).toEqual([]);
    await mergePatch("t-approved", { metadata: { annotations: { [APPROVE_PLAN_ANNOTATION]: hash } } });
    await condition("t-approved", "Converged", "Ready");
    expect(deletesOf("t_approved")).toEqual([["z3"]]);

    // A person adds z3 back: the very plan the approval was given for (same set, cluster, tenant, zones).
    const added = obshell.cluster.addReplicas("t_approved", [
      { name: "z3", unit_config_name: "t_approved_unit", unit_num: 1 },
    ]);
    await eventually("the person's add of z3 done", () => added.state === "SUCCEED", WAIT_MS);
    const again = await condition(
      "t-approved",
      "ApprovalAlreadyUsed",
      "Stalled",
      () => deletesOf("t_approved").length > 1,
    );
    expect(deletesOf("t_approved")).toEqual([["z3"]]);
    expect(again.status?.pendingApproval?.hash).toBe(hash);
    await threeMoreReads("t_approved");
    expect(deletesOf("t_approved")).toEqual([["z3"]]);

    // Forgotten once the annotation goes: the same hash given again runs the plan once more.
    await mergePatch("t-approved", { metadata: { annotations: { [APPROVE_PLAN_ANNOTATION]: null } } });
    await condition("t-approved", "ApprovalRequired", "Stalled");
    await mergePatch("t-approved", { metadata: { annotations: { [APPROVE_PLAN_ANNOTATION]: hash } } });
    await condition("t-approved", "Converged", "Ready");
    expect(deletesOf("t_approved")).toEqual([["z3"], ["z3"]]);
  });
});

describe("remote identity", () => {
  it.each([
    {
      call: "DELETE",
      set: "t-moving",
      tenant: "t_moving",
      spec: { zones: ["z1", "z2"] },
      sent: [{ zones: ["z3"] }],
    },
    {
      call: "add's POST",
      set: "t-growing",
      tenant: "t_growing",
      spec: { zones: ["z1", "z2", "z3", "z4"], replicaTemplate: { unitConfigName: "t_growing_unit" } },
      sent: [{ zone_list: [{ name: "z4", unit_config_name: "t_growing_unit" }] }],
    },
  ])(
    "the agent reports another cluster just before the $call: nothing is sent for the plan made on the first; decided again there",
    async ({ set, tenant, spec, sent }) => {
      const second = obshellMoving.clusterIdentity.id + 1;
      let changed = false;
      const tenantPath = `/api/v1/tenant/${tenant}`;
      // The tenant read of the plan is answered by the first cluster; every answer after it comes from the second.
      const moveAfterPlanRead = (e: LoggedRequest) => {
        if (changed || e.method !== "GET" || e.path !== tenantPath) return;
        changed = true;
        obshellMoving.clusterIdentity = { ...obshellMoving.clusterIdentity, id: second };
      };
      obshellMoving.http.onComplete.add(moveAfterPlanRead);
      try {
        const clusterIn = (e: LoggedRequest) =>
          (e.handled?.body as { data?: { obcluster_info?: { id?: number } } } | undefined)?.data
            ?.obcluster_info?.id;
        const calls = () =>
          obshellMoving.log.filter((e) => e.method !== "GET" && e.path === `${tenantPath}/replicas`);
        /** Where the first call stands against the answer that named the second cluster. */
        const judged = () => {
          const log = obshellMoving.log;
          const first = log.findIndex((e) => e.method !== "GET" && e.path === `${tenantPath}/replicas`);
          const secondAnswered = log.findIndex(
            (e) => e.path === "/api/v1/ob/info" && clusterIn(e) === second,
          );
          const between =
            secondAnswered >= 0 && first > secondAnswered ? log.slice(secondAnswered, first) : [];
          return {
            first,
            secondAnswered,
            // The tenant read again after the agent said "another cluster": a new plan, made there.
            replanned: between.some((e) => e.method === "GET" && e.path === tenantPath),
          };
        };
        const manifest = tenantSet(set, tenant, spec.zones, {}, "obshell-moving");
        await raw.apply({ ...manifest, spec: { ...(manifest.spec as object), ...spec } });
        const ready = await condition(set, "Converged", "Ready", () => {
          const j = judged();
          return j.first >= 0 && !j.replanned;
        });
        expect(changed).toBe(true);
        // The agent was asked again before the call and said "another cluster"; the tenant was read again
        // there (a new plan) before anything was sent.
        const { first, secondAnswered, replanned } = judged();
        expect(secondAnswered).toBeGreaterThanOrEqual(0);
        expect(first).toBeGreaterThan(secondAnswered);
        expect(replanned).toBe(true);
        expect(calls().map((e) => e.body)).toMatchObject(sent);
        expect(calls()).toHaveLength(sent.length);
        expect(ready.status?.remote?.identity).toBe(`obshell|obcluster#${second}`);
        // The other answer came through the same endpoint: a person is told.
        await eventually(
          `a Warning RemoteIdentityChanged about ${set}`,
          async () =>
            (
              await raw.call<{ items: { type: string; reason: string }[] }>(
                "GET",
                `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name=${set}`,
              )
            ).items.some((e) => e.type === "Warning" && e.reason === "RemoteIdentityChanged"),
          WAIT_MS,
        );
      } finally {
        obshellMoving.http.onComplete.delete(moveAfterPlanRead);
      }
    },
  );
});

describe("the operator's identity", () => {
  it("the operator, as deploy/ grants it, was never refused by the API server", () => {
    expect(log.forbidden()).toEqual([]);
  });
});
