// The obshell simulator's replica routes, DAG operations and DAG listing against the agent's own source:
// oceanbase/obshell at tag 4.5.0.0, paths under ob/agent/ (each case names its file). Requests go over real HTTP
// with auth v2; the refusals are read from the wire (status, errCode, message) and from the client's typed errors.
import { request } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RemoteError } from "../../src/providers/errors.js";
import {
  authHeader,
  encryptBody,
  newSessionKeys,
  parseAgentPublicKey,
} from "../../src/providers/obshell/auth.js";
import { ObshellClient, type ZoneListItem } from "../../src/providers/obshell/client.js";
import { DagOperationRefusedError } from "../../src/providers/obshell/errors.js";
import type { DagDetail } from "../../src/providers/obshell/schemas.js";
import { GiB } from "../simulators/obshell/resources.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";

const PASSWORD = "agent-rules-pw";
let sim: ObshellSimulator;
let client: ObshellClient;

/** Zones, servers and unit configs chosen so that each refusal below has a tenant or zone that reaches it. */
const seed = {
  zones: [
    { name: "z1", region: "hz" },
    { name: "z2", region: "hz" },
    { name: "z3", region: "hz" },
    { name: "z4", region: "hz", servers: 2 },
    { name: "z5", region: "sh" },
    { name: "z6", region: "hz", servers: [{ cpu: 1 }] },
    { name: "z7", region: "hz", servers: [{ logDisk: 10 * GiB }] },
  ],
  unitConfigs: [{ name: "small" }, { name: "huge", memorySize: 1024 * GiB }],
  tenants: [
    { name: "t", zones: ["z1", "z2", "z3"], primaryZone: "z1;z2,z3" },
    { name: "locked", zones: ["z1", "z2", "z3"], status: "LOCKED" },
    { name: "norebalance", zones: ["z1", "z2"], primaryZone: "RANDOM", enableRebalance: false },
    { name: "random", zones: ["z1", "z2"], primaryZone: "RANDOM" },
    { name: "solo", zones: ["z1"], readonlyZones: ["z2"], primaryZone: "z1" },
    { name: "leftover", zones: ["z1", "z2", "z3"], primaryZone: "z1" },
    { name: "busy", zones: ["z1", "z2", "z3"] },
    { name: "split", zones: ["z1", "z2", "z3"] },
  ],
};

beforeEach(async () => {
  sim = new ObshellSimulator({ password: PASSWORD, stageMs: 15, keyBits: 512, seed });
  await sim.start();
  client = new ObshellClient({ endpoint: sim.url, password: () => PASSWORD, timeoutMs: 5000 });
});
afterEach(async () => {
  await client.close();
  await sim.stop();
});

/** One authenticated request with any JSON body (the client's typed methods cannot send a malformed one). */
async function raw(method: "POST" | "PATCH" | "DELETE" | "GET", uri: string, body?: unknown) {
  const secret = await request(`${sim.url}/api/v1/secret`);
  const key = parseAgentPublicKey(
    ((await secret.body.json()) as { data: { public_key: string } }).data.public_key,
  );
  const keys = newSessionKeys();
  const headers = {
    "x-ocs-header": authHeader({
      publicKey: key,
      password: PASSWORD,
      uri,
      keys,
      nowSeconds: Date.now() / 1000,
    }),
  };
  const payload = body === undefined ? undefined : encryptBody(JSON.stringify(body), keys);
  const res = await request(`${sim.url}${uri}`, { method, headers, ...(payload ? { body: payload } : {}) });
  const text = await res.body.text();
  const json = text
    ? (JSON.parse(text) as { data?: unknown; error?: { errCode: string; message: string } })
    : undefined;
  return {
    status: res.statusCode,
    errCode: json?.error?.errCode,
    message: json?.error?.message,
    data: json?.data,
  };
}

async function refusal(promise: Promise<unknown>): Promise<RemoteError> {
  try {
    await promise;
  } catch (error) {
    return error as RemoteError;
  }
  throw new Error("expected a refusal");
}

async function until(id: string, done: (dag: DagDetail) => boolean): Promise<DagDetail> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const dag = await client.getDag(id, true);
    if (done(dag)) return dag;
    if (Date.now() > deadline)
      throw new Error(`DAG ${id} never reached the condition: ${JSON.stringify(dag)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const zone = (name: string, extra: Partial<ZoneListItem> = {}): ZoneListItem => ({
  name,
  unit_config_name: "small",
  unit_num: 1,
  ...extra,
});

describe("the replica routes check the tenant before they read the body (api/tenant_utils.go tenantStatusHandlerWrapper)", () => {
  // api/tenant_handler.go InitTenantRoutes: POST, DELETE and PATCH /:name/replicas are each wrapped in
  // tenantStatusHandlerWrapper, which answers before the handler's c.BindJSON.
  it.each([
    [
      "POST",
      "nobody",
      { zone_list: "not a list" },
      400,
      "OB.Tenant.NotExist",
      "Tenant 'nobody' does not exist.",
    ],
    ["PATCH", "nobody", { zone_list: null }, 400, "OB.Tenant.NotExist", "Tenant 'nobody' does not exist."],
    ["DELETE", "nobody", { zone: ["z1"] }, 400, "OB.Tenant.NotExist", "Tenant 'nobody' does not exist."],
    ["POST", "locked", {}, 400, "OB.Tenant.StatusNotNormal", "Tenant 'locked' status is 'LOCKED'."],
    ["PATCH", "locked", {}, 400, "OB.Tenant.StatusNotNormal", "Tenant 'locked' status is 'LOCKED'."],
    [
      "DELETE",
      "locked",
      { zones: ["z3"] },
      400,
      "OB.Tenant.StatusNotNormal",
      "Tenant 'locked' status is 'LOCKED'.",
    ],
    // A NORMAL tenant: now the body is bound (param/tenant.go: zone_list / zones `binding:"required"`).
    ["POST", "t", {}, 400, "Common.BindJsonFailed", /^Bind JSON failed: /],
    ["PATCH", "t", { zone_list: null }, 400, "Common.BindJsonFailed", /^Bind JSON failed: /],
    ["DELETE", "t", { zone: ["z1"] }, 400, "Common.BindJsonFailed", /^Bind JSON failed: /],
    [
      "POST",
      "t",
      { zone_list: [{ name: "z4", unit_config_name: "small", unit_num: "1" }] },
      400,
      "Common.BindJsonFailed",
      /unit_num/,
    ],
  ] as const)(
    "%s /tenant/%s/replicas with %j answers %i %s",
    async (method, tenant, body, status, errCode, message) => {
      const res = await raw(method, `/api/v1/tenant/${tenant}/replicas`, body);
      expect(res.status).toBe(status);
      expect(res.errCode).toBe(errCode);
      expect(res.message).toMatch(message);
      expect(sim.cluster.dags).toEqual([]);
    },
  );
});

describe("add-replica preconditions (executor/tenant/scale_out_replicas.go ScaleOutTenantReplicas)", () => {
  // Each row: where the check lives, the request, the agent's errCode (all 400 but the locks, which are 500)
  // and its English message (assets/i18n/error/en.json).
  it.each([
    ["zone/check.go CheckZoneParams", "t", [], "OB.Tenant.ZoneList.Empty", "Zone list is empty."],
    [
      "zone/check.go StaticCheckForZoneParams",
      "t",
      [zone("z4"), zone("z4")],
      "OB.Tenant.Zone.Repeated",
      "Zone 'z4' is repeated.",
    ],
    [
      "zone/check.go StaticCheckForZoneParams",
      "t",
      [zone("z4", { unit_config_name: "" })],
      "OB.Resource.UnitConfig.Name.Empty",
      "Unit config name is empty.",
    ],
    [
      "zone/check.go CheckReplicaType",
      "t",
      [{ ...zone("z4"), replica_type: "LOGONLY" as "FULL" }],
      "OB.Tenant.Replica.InvalidType",
      "Replica type 'LOGONLY' is not supported",
    ],
    [
      "zone/check.go StaticCheckForZoneParams",
      "t",
      [zone("z4", { unit_num: 0 })],
      "OB.Tenant.UnitNum.Invalid",
      "Unit number '0' is invalid: unit num should be greater than 0",
    ],
    [
      "zone/check.go StaticCheckForZoneParams",
      "t",
      [zone("z4"), zone("z7", { unit_num: 2 })],
      "OB.Tenant.UnitNum.Inconsistent",
      "Unit number is inconsistent, should be the same in all zones.",
    ],
    [
      "zone/check.go CheckZoneParams (IsZoneExistInOB)",
      "t",
      [zone("z9")],
      "OB.Zone.NotExist",
      "Zone 'z9' does not exist",
    ],
    [
      "zone/check.go CheckZoneParams (IsUnitConfigExist)",
      "t",
      [zone("z4", { unit_config_name: "nope" })],
      "OB.Resource.UnitConfig.NotExist",
      "Unit config 'nope' does not exist.",
    ],
    [
      "zone/check.go CheckZoneParams (GetServerByZone)",
      "t",
      [zone("z6", { unit_num: 2 })],
      "OB.Tenant.UnitNum.ExceedsLimit",
      "Unit number '2' is bigger than server number '1' in zone 'z6'.",
    ],
    [
      "scale_out_replicas.go checkScaleOutTenantReplicasParam",
      "t",
      [zone("z1")],
      "OB.Tenant.ZoneAlreadyHasReplica",
      "Zone 'z1' already has a replica.",
    ],
    [
      "scale_out_replicas.go (GetTenantUnitNum)",
      "t",
      [zone("z4", { unit_num: 2 })],
      "OB.Tenant.UnitNum.Inconsistent",
      "Unit number is inconsistent, should be the same in all zones.",
    ],
    [
      "zone/check.go CheckFirstPriorityPrimaryZoneChangedWhenAlterLocality",
      "norebalance",
      [zone("z4")],
      "OB.Tenant.RebalanceDisabled",
      "Change first priority zone of locality is not allowed when tenant 'enable_rebalance' is disabled.",
    ],
    [
      "zone/check.go CheckPrimaryZoneAndLocality",
      "random",
      [zone("z5")],
      "OB.Tenant.PrimaryZone.CrossRegion",
      "Primary zone 'RANDOM' crosses regions, please check tenant's primary zone.",
    ],
    [
      "zone/check.go CheckPrimaryZoneAndLocality",
      "solo",
      [zone("z5", { replica_type: "READONLY" })],
      "OB.Tenant.PrimaryRegion.FullReplica.NotEnough",
      "The region hz where the first priority of tenant zone is located needs to have at least 2 F replicas. In fact, there are only 1 full replicas.",
    ],
    [
      "create_tenant.go checkZoneResourceForUnit",
      "t",
      [zone("z6")],
      "OB.Tenant.ResourceNotEnough",
      "Server 127.0.6.1:2882 CPU resource not enough.",
    ],
    [
      "create_tenant.go checkZoneResourceForUnit",
      "t",
      [zone("z4", { unit_config_name: "huge" })],
      "OB.Tenant.ResourceNotEnough",
      "Server 127.0.4.2:2882 MEMORY_SIZE resource not enough.",
    ],
    [
      "create_tenant.go checkZoneResourceForUnit",
      "t",
      [zone("z7")],
      "OB.Tenant.ResourceNotEnough",
      "Server 127.0.7.1:2882 LOG_DISK_SIZE resource not enough.",
    ],
  ] as const)("%s: %s %j -> %s", async (_, tenant, zoneList, errCode, message) => {
    const error = await refusal(client.addReplicas(tenant, zoneList));
    expect(error).toMatchObject({
      kind: "bad_request",
      status: 400,
      remoteCode: errCode,
      remoteMessage: message,
    });
    expect(sim.cluster.dags).toEqual([]);
  });

  // scale_out_replicas.go: CheckTenantHasPoolOnZone (a unit of the tenant's pools in the zone) after the replica
  // check: a scale-in that failed after its locality change leaves such a pool.
  it("refuses a zone that holds a leftover pool of the tenant: OB.Tenant.HasPoolOnZone", async () => {
    sim.cluster.tenants
      .get("leftover")
      ?.pools.push({ name: "leftover_pool_z4", id: 99, zones: ["z4"], unitConfig: "small", unitNum: 1 });
    const error = await refusal(client.addReplicas("leftover", [zone("z4")]));
    expect(error).toMatchObject({
      status: 400,
      remoteCode: "OB.Tenant.HasPoolOnZone",
      remoteMessage: "Tenant already has a pool located in zone 'z4'.",
    });
  });

  // service/task/status_maintainer.go holdPartialLock / setStatus, when the DAG is created: 500 ("known").
  it("refuses while the tenant's lock or the cluster is held, as busy (500)", async () => {
    sim.cluster.holdDags.add("busy");
    const first = await client.deleteReplicas("busy", ["z3"]);
    expect(first.kind).toBe("dag");
    const tenantBusy = await refusal(client.addReplicas("busy", [zone("z4")]));
    expect(tenantBusy).toMatchObject({
      kind: "busy",
      status: 500,
      remoteCode: "OB.Tenant.UnderMaintenance",
      remoteMessage: "Tenant 'busy' is under maintenance, please try again later.",
    });
    sim.cluster.clusterMaintenanceDag = "Upgrade agent";
    const clusterBusy = await refusal(client.addReplicas("t", [zone("z4")]));
    expect(clusterBusy).toMatchObject({
      kind: "busy",
      status: 500,
      remoteCode: "OB.Cluster.UnderMaintenanceWithDag",
      remoteMessage: "OceanBase cluster is under maintenance by DAG: Upgrade agent, please try again later",
    });
    expect(sim.cluster.dags).toHaveLength(1);
  });

  // scale_out_replicas.go buildScaleoutTenantReplicasDagTemplate: "Create and attach resource pools", then one
  // "Alter tenant locality" per zone; create_tenant.go buildCreateResourcePoolTaskParam names the pools
  // <tenant>_<zone>_<unix seconds>; render.go RenderZoneParams makes a missing replica type FULL.
  it("starts 'Scale out tenant replicas' with the agent's nodes and adds the replicas and pools", async () => {
    const dag = await client.addReplicas("t", [zone("z4")]);
    expect(dag).toMatchObject({
      name: "Scale out tenant replicas",
      state: "READY",
      operator: "RUN",
      stage: 1,
      max_stage: 2,
      maintenance_type: 3,
      maintenance_key: "t",
      nodes: null,
    });
    const done = await until(dag.id, (d) => d.state === "SUCCEED");
    expect(done.nodes?.map((n) => n.name)).toEqual([
      "Create and attach resource pools",
      "Alter tenant locality",
    ]);
    const tenant = await client.getTenant("t");
    expect(tenant.replicas).toContainEqual({ zone: "z4", type: "FULL" });
    expect(tenant.info.pools?.map((p) => p.pool_name)).toContainEqual(expect.stringMatching(/^t_z4_\d{10}$/));
    // Not idempotent: the same POST again is refused, nothing new starts.
    const again = await refusal(client.addReplicas("t", [zone("z4")]));
    expect(again.remoteCode).toBe("OB.Tenant.ZoneAlreadyHasReplica");
    expect(sim.cluster.dags).toHaveLength(1);
  });

  // service/task/dag.go getNodesCanPass: every node not yet succeeded must allow PASS; scale_out_replicas.go
  // newBatchCreateResourcePoolTask has no SetCanPass, alter_locality.go's task has.
  it("refuses PASS while the pool node has not succeeded, and allows it once only locality nodes are left", async () => {
    sim.cluster.failNextDag.set("t", 1);
    const atPools = await client.addReplicas("t", [zone("z4")]);
    await until(atPools.id, (d) => d.state === "FAILED");
    const refused = await refusal(client.operateDag(atPools.id, "PASS"));
    expect(refused).toMatchObject({
      status: 400,
      remoteCode: "Task.Dag.Operator.PassNotAllowed",
      remoteMessage: "Failed to pass DAG: node Create and attach resource pools cannot pass",
    });
    await client.operateDag(atPools.id, "RETRY");
    await until(atPools.id, (d) => d.state === "SUCCEED");
    sim.cluster.failNextDag.set("t", 2);
    const atLocality = await client.addReplicas("t", [zone("z5")]);
    await until(atLocality.id, (d) => d.state === "FAILED");
    await client.operateDag(atLocality.id, "PASS");
    expect(await client.getDag(atLocality.id)).toMatchObject({ state: "SUCCEED", operator: "PASS" });
  });
});

describe("ROLLBACK (service/task/dag.go getNodesCanRollback, txForRollbackDag)", () => {
  // A DAG that has not failed: Task.Dag.Operator.RollbackNotFailedDag, not RollbackNotAllowed.
  it("refuses to roll back a DAG that has not failed, with the agent's own code", async () => {
    sim.cluster.holdDags.add("t");
    const running = await client.deleteReplicas("t", ["z3"]);
    if (running.kind !== "dag") throw new Error("expected a DAG");
    const error = await refusal(client.operateDag(running.dag.id, "ROLLBACK"));
    expect(error).toMatchObject({
      status: 400,
      remoteCode: "Task.Dag.Operator.RollbackNotFailedDag",
      remoteMessage: "Failed to set DAG rollback: DAG state is not failed",
    });
  });

  // scale_in_replicas.go: "Split resource pool" and "Drop resource pools" have no SetCanRollback; every node up to
  // the failed one must allow it.
  it.each([
    ["Drop resource pools", "t", 2],
    ["Split resource pool", "split", 2],
  ])("refuses to roll back a scale-in that failed at %s", async (nodeName, tenant, stage) => {
    if (tenant === "split") {
      const t = sim.cluster.tenants.get("split");
      if (t)
        t.pools = [
          { name: "split_pool", id: 77, zones: ["z1", "z2", "z3"], unitConfig: "split_unit", unitNum: 1 },
        ];
    }
    sim.cluster.failNextDag.set(tenant, stage);
    const started = await client.deleteReplicas(tenant, ["z3"]);
    if (started.kind !== "dag") throw new Error("expected a DAG");
    const failed = await until(started.dag.id, (d) => d.state === "FAILED");
    expect(failed.nodes?.[stage - 1]?.name).toBe(nodeName);
    const error = await refusal(client.operateDag(started.dag.id, "ROLLBACK"));
    expect(error).toMatchObject({
      status: 400,
      remoteCode: "Task.Dag.Operator.RollbackNotAllowed",
      remoteMessage: `Failed to set DAG rollback: node ${nodeName} cannot rollback`,
    });
    expect(error).toBeInstanceOf(DagOperationRefusedError);
    expect(await client.getDag(started.dag.id)).toMatchObject({ state: "FAILED", operator: "RUN" });
  });

  // txForRollbackDag sets the DAG READY with operator ROLLBACK; the scheduler then runs each node's Rollback.
  // BatchCreateResourcePoolTask.Rollback detaches and drops the pools it made.
  it("runs a rollback as a DAG (READY/RUNNING with operator ROLLBACK, listed unfinished) before SUCCEED/ROLLBACK", async () => {
    sim.cluster.failNextDag.set("t", 2);
    const dag = await client.addReplicas("t", [zone("z4")]);
    await until(dag.id, (d) => d.state === "FAILED");
    expect((await client.getTenant("t")).info.pools?.some((p) => p.zone_list === "z4")).toBe(true);
    sim.cluster.holdDags.add("t");
    await client.operateDag(dag.id, "ROLLBACK");
    const rolling = await client.getDag(dag.id);
    expect(rolling.operator).toBe("ROLLBACK");
    expect(["READY", "RUNNING"]).toContain(rolling.state);
    expect((await client.unfinishedDags()).map((d) => d.id)).toContain(dag.id);
    // The rollback holds the tenant's lock like any DAG.
    expect((await refusal(client.deleteReplicas("t", ["z3"]))).remoteCode).toBe("OB.Tenant.UnderMaintenance");
    sim.cluster.holdDags.delete("t");
    const done = await until(dag.id, (d) => d.state === "SUCCEED");
    expect(done.operator).toBe("ROLLBACK");
    expect((await client.getTenant("t")).info.pools?.some((p) => p.zone_list === "z4")).toBe(false);
    expect((await client.unfinishedDags()).map((d) => d.id)).not.toContain(dag.id);
  });

  // status_maintainer.go UpdateMaintenanceTask: once a newer DAG took the tenant's lock, RETRY and ROLLBACK of the
  // failed one are 500 Task.Expired; while the newer one runs, holdPartialLock answers UnderMaintenance first.
  it("answers UnderMaintenance while a newer DAG runs, then Task.Expired for good", async () => {
    sim.cluster.failNextDag.set("t", 1);
    const old = await client.deleteReplicas("t", ["z3"]);
    if (old.kind !== "dag") throw new Error("expected a DAG");
    await until(old.dag.id, (d) => d.state === "FAILED");
    sim.cluster.holdDags.add("t");
    const newer = await client.deleteReplicas("t", ["z2"]);
    if (newer.kind !== "dag") throw new Error("expected a DAG");
    expect((await refusal(client.operateDag(old.dag.id, "RETRY"))).remoteCode).toBe(
      "OB.Tenant.UnderMaintenance",
    );
    sim.cluster.holdDags.delete("t");
    await until(newer.dag.id, (d) => d.state === "SUCCEED");
    for (const op of ["RETRY", "ROLLBACK"] as const) {
      const expired = await refusal(client.operateDag(old.dag.id, op));
      // The client's typed error for a refusal that asking again cannot change (src/providers/obshell/errors.ts).
      expect(expired).toBeInstanceOf(DagOperationRefusedError);
      expect(expired.retryable).toBe(false);
      expect(expired).toMatchObject({
        status: 500,
        remoteCode: "Task.Expired",
        remoteMessage: `t has already executed task ${newer.dag.id}. '${old.dag.id}: Scale in tenant replicas' cannot be executed. Please submit a new request`,
      });
    }
  });
});

describe("unfinished DAGs (executor/task/dag.go GetClusterUnfinishDags, service/task/dag.go updateDagState)", () => {
  it("keeps failed and cancelled DAGs, with nodes unless show_details=false; the client asks for false", async () => {
    sim.cluster.failNextDag.set("t", 1);
    const failed = await client.deleteReplicas("t", ["z3"]);
    if (failed.kind !== "dag") throw new Error("expected a DAG");
    await until(failed.dag.id, (d) => d.state === "FAILED");
    sim.cluster.holdDags.add("busy");
    const cancelled = await client.deleteReplicas("busy", ["z3"]);
    if (cancelled.kind !== "dag") throw new Error("expected a DAG");
    await client.operateDag(cancelled.dag.id, "CANCEL");
    expect(await client.getDag(cancelled.dag.id)).toMatchObject({ state: "FAILED", operator: "CANCEL" });

    const before = sim.log.length;
    const listed = await client.unfinishedDags();
    expect(listed.map((d) => d.id).sort()).toEqual([failed.dag.id, cancelled.dag.id].sort());
    expect(listed.every((d) => d.nodes === null)).toBe(true);
    const sent = sim.log.slice(before).filter((e) => e.path === "/api/v1/task/dag/ob/unfinish");
    expect(sent.map((e) => e.query)).toEqual(["?show_details=false"]);

    // param/task.go TaskQueryParams: `show_details,default=true`.
    for (const uri of ["/api/v1/task/dag/ob/unfinish", "/api/v1/task/dag/unfinish"]) {
      const res = await raw("GET", uri);
      const contents = (res.data as { contents: { nodes: unknown[] | null }[] }).contents;
      expect(contents).toHaveLength(2);
      expect(contents.every((d) => Array.isArray(d.nodes) && d.nodes.length > 0)).toBe(true);
    }
  });
});

describe("modify replicas (executor/tenant/modify_replicas.go ModifyTenantReplica)", () => {
  it("changes a replica type with a 'Modify tenant replicas' DAG, answers 204 when nothing changes", async () => {
    const uri = "/api/v1/tenant/t/replicas";
    const none = await raw("PATCH", uri, { zone_list: [{ zone_name: "z3", replica_type: "FULL" }] });
    expect(none.status).toBe(204);
    const without = await raw("PATCH", uri, { zone_list: [{ zone_name: "z5", replica_type: "FULL" }] });
    expect(without).toMatchObject({
      status: 400,
      errCode: "OB.Tenant.ZoneWithoutReplica",
      message: "Zone 'z5' does not have a replica.",
    });
    const changed = await raw("PATCH", uri, { zone_list: [{ zone_name: "z3", replica_type: "READONLY" }] });
    expect(changed.status).toBe(200);
    const dag = changed.data as DagDetail;
    expect(dag.name).toBe("Modify tenant replicas");
    await until(dag.id, (d) => d.state === "SUCCEED");
    expect((await client.getTenant("t")).replicas).toContainEqual({ zone: "z3", type: "READONLY" });
  });
});
