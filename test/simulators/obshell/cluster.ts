// The simulated OceanBase cluster: zones, tenants (locality, primary zone, pools) and replica DAGs,
// validated like the agent (docs/protocols/obshell.md "What the agent checks before removing replicas").
import { AgentError } from "./errors.js";
import { highestPriorityZones, localityText, type SimReplica } from "./locality.js";
import {
  type SimServer,
  type SimServerSeed,
  type SimUnitConfig,
  type SimUnitConfigSeed,
  servers,
  unitConfig,
} from "./resources.js";
import { checkFirstPriorityChange, checkPrimaryZoneAndLocality } from "./zone-rules.js";

export { AgentError, legacyCodeOf } from "./errors.js";

type Replica = SimReplica;

export interface SimTenant {
  name: string;
  id: number;
  status: string;
  primaryZone: string;
  replicas: Replica[];
  pools: { name: string; id: number; zones: string[]; unitConfig: string; unitNum: number }[];
  enableRebalance: boolean;
}

export type DagState = "PENDING" | "READY" | "RUNNING" | "FAILED" | "SUCCEED";
export type DagOperatorName = "RUN" | "RETRY" | "ROLLBACK" | "CANCEL" | "PASS";

interface SimNode {
  /** Row ids, as the agent's database gives them: unrelated to the DAG id. */
  rowId: number;
  subTaskRowId: number;
  name: string;
  zone?: string;
  state: DagState;
  operator: DagOperatorName;
  /** The task's SetCanRollback / SetCanPass (engine/task/task.go), per node kind. */
  canRollback: boolean;
  canPass: boolean;
  startTime?: string;
  endTime?: string;
  logs: string[];
}

export interface SimDag {
  dagId: number;
  name: string;
  tenant: string;
  kind: "scale-in" | "scale-out" | "modify";
  stage: number;
  state: DagState;
  operator: DagOperatorName;
  startTime: string;
  endTime: string;
  nodes: SimNode[];
  /** 1-based stage at which the DAG fails (once), for fault tests. */
  failAtStage?: number;
  /** The zones a scale-out DAG adds, as bound and rendered. */
  addZones?: AddZoneParam[];
  /** Pools the "Create and attach resource pools" node created: its rollback detaches and drops them. */
  createdPools?: string[];
  /** Replica types a "Modify tenant replicas" DAG sets, by zone. */
  modifyTypes?: Map<string, string>;
}

/** One entry of POST /replicas `zone_list` after binding (param/tenant.go ZoneParam; Go zero values for absent fields). */
export interface AddZoneParam {
  name: string;
  replica_type: string;
  unit_config_name: string;
  unit_num: number;
}

/** One entry of PATCH /replicas `zone_list` after binding (param/tenant.go ModifyReplicaZoneParam). */
export interface ModifyZoneParam {
  zone_name: string;
  replica_type?: string | undefined;
  unit_config_name?: string | undefined;
  unit_num?: number | undefined;
}

/** The node names the agent gives (executor/tenant/enter.go TASK_NAME_*), with each task's capabilities. */
const NODE_KINDS = {
  // alter_locality.go newAlterLocalityTask: SetCanContinue().SetCanRetry().SetCanCancel().SetCanRollback().SetCanPass()
  "Alter tenant locality": { canRollback: true, canPass: true },
  // scale_out_replicas.go newBatchCreateResourcePoolTask: SetCanContinue().SetCanRollback().SetCanRetry().SetCanCancel()
  "Create and attach resource pools": { canRollback: true, canPass: false },
  // scale_in_replicas.go newSplitResourcePoolTask / newBatchDropResourcePoolTask: no SetCanRollback
  "Split resource pool": { canRollback: false, canPass: true },
  "Drop resource pools": { canRollback: false, canPass: true },
} as const;
type NodeName = keyof typeof NODE_KINDS;

const ZERO_TIME = "0001-01-01T00:00:00Z";

export interface ClusterSeed {
  /** `servers`: a count or one entry per server (capacity overrides); one roomy server by default. */
  zones: { name: string; region: string; servers?: number | SimServerSeed[] | undefined }[];
  /** Unit configs besides each tenant's own `<tenant>_unit`, which is always created. */
  unitConfigs?: SimUnitConfigSeed[] | undefined;
  tenants: {
    name: string;
    zones: string[];
    primaryZone?: string | undefined;
    readonlyZones?: string[] | undefined;
    status?: string | undefined;
    /** Units per pool (1 by default): one unit on each of the first `unitNum` servers of each zone. */
    unitNum?: number | undefined;
    enableRebalance?: boolean | undefined;
  }[];
}

export interface SimZone {
  region: string;
  servers: SimServer[];
}

export class SimCluster {
  readonly zones = new Map<string, SimZone>();
  /** The cluster's unit configs (DBA_OB_UNIT_CONFIGS), by name. */
  readonly unitConfigs = new Map<string, SimUnitConfig>();
  /**
   * A cluster-wide DAG holding the cluster (set by a test): every tenant DAG is refused with 500
   * OB.Cluster.UnderMaintenanceWithDag (service/task/status_maintainer.go setStatus).
   */
  clusterMaintenanceDag: string | undefined;
  readonly tenants = new Map<string, SimTenant>();
  readonly dags: SimDag[] = [];
  /** Failure to inject into the next DAG created for a tenant: stage number. */
  readonly failNextDag = new Map<string, number>();
  /** Tenants whose DAGs stand still at their running stage until removed from here (a test's "not yet"). */
  readonly holdDags = new Set<string>();
  private timers = new Set<NodeJS.Timeout>();
  private nextTenantId = 1001;
  private nextPoolId = 1;
  // The agent's node and sub-task ids are "1" + their own table's row id (engine/task/task_dto.go
  // ConvertToGenericID); distinct starting points keep any client from deriving them from the DAG id.
  private nextNodeRowId = 37;
  private nextSubTaskRowId = 512;

  constructor(
    seed: ClusterSeed,
    private readonly stageMs: () => number,
  ) {
    seed.zones.forEach((z, i) => {
      this.zones.set(z.name, { region: z.region, servers: servers(i, z.servers) });
    });
    for (const u of seed.unitConfigs ?? []) this.unitConfigs.set(u.name, unitConfig(u));
    for (const t of seed.tenants) this.addTenant(t);
  }

  addTenant(t: ClusterSeed["tenants"][number]): SimTenant {
    const replicas: Replica[] = [
      ...t.zones.map((zone) => ({ zone, type: "FULL" })),
      ...(t.readonlyZones ?? []).map((zone) => ({ zone, type: "READONLY" })),
    ];
    const unit = `${t.name}_unit`;
    if (!this.unitConfigs.has(unit)) this.unitConfigs.set(unit, unitConfig({ name: unit }));
    const tenant: SimTenant = {
      name: t.name,
      id: this.nextTenantId++,
      status: t.status ?? "NORMAL",
      primaryZone: t.primaryZone ?? "RANDOM",
      replicas,
      pools: replicas.map((r) => ({
        name: `${t.name}_pool_${r.zone}`,
        id: this.nextPoolId++,
        zones: [r.zone],
        unitConfig: unit,
        unitNum: t.unitNum ?? 1,
      })),
      enableRebalance: t.enableRebalance ?? true,
    };
    this.tenants.set(t.name, tenant);
    return tenant;
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  tenantInfo(name: string): Record<string, unknown> {
    const t = this.requireTenant(name);
    return {
      tenant_name: t.name,
      tenant_id: t.id,
      created_time: "2026-01-05T08:00:00+08:00",
      mode: "MYSQL",
      status: t.status,
      locked: "NO",
      primary_zone: t.primaryZone,
      locality: localityText(t.replicas),
      in_recyclebin: "NO",
      charset: "utf8mb4",
      collation: "utf8mb4_general_ci",
      whitelist: "%",
      read_only: false,
      time_zone: "+08:00",
      comment: "",
      connection_strings: [
        { type: "DIRECT", connection_string: `obclient -h127.0.0.1 -P2881 -uroot@${t.name}` },
      ],
      pools: t.pools.map((p) => {
        const u = this.unitConfigs.get(p.unitConfig) ?? unitConfig({ name: p.unitConfig });
        return {
          pool_name: p.name,
          pool_id: p.id,
          zone_list: p.zones.join(";"),
          observer_list: p.zones
            .flatMap((z) => this.unitServers(z, p.unitNum).map((s) => `${s.ip}:${s.port}`))
            .join(";"),
          unit_num: p.unitNum,
          unit_config: {
            name: u.name,
            max_cpu: u.maxCpu,
            min_cpu: u.minCpu,
            memory_size: u.memorySize,
            log_disk_size: u.logDiskSize,
          },
        };
      }),
    };
  }

  tenantsOverview(): Record<string, unknown>[] {
    return [...this.tenants.values()].map((t) => ({
      tenant_name: t.name,
      tenant_id: t.id,
      status: t.status,
      locality: localityText(t.replicas),
      primary_zone: t.primaryZone,
      mode: "MYSQL",
    }));
  }

  requireTenant(name: string): SimTenant {
    if (name === "") throw new AgentError(400, "OB.Tenant.Name.Empty", "Tenant name is empty");
    const t = this.tenants.get(name);
    if (!t) throw new AgentError(400, "OB.Tenant.NotExist", `Tenant '${name}' does not exist.`);
    return t;
  }

  /**
   * api/tenant_utils.go tenantStatusHandlerWrapper, around POST, PATCH and DELETE /replicas
   * (api/tenant_handler.go InitTenantRoutes): name, existence and NORMAL status, before the handler binds the body.
   */
  requireNormalTenant(name: string): SimTenant {
    const t = this.requireTenant(name);
    if (t.status !== "NORMAL")
      throw new AgentError(400, "OB.Tenant.StatusNotNormal", `Tenant '${t.name}' status is '${t.status}'.`);
    return t;
  }

  private inFlight(tenant: string): SimDag | undefined {
    return this.dags.find(
      (d) => d.tenant === tenant && (d.state === "READY" || d.state === "RUNNING" || d.state === "PENDING"),
    );
  }

  /**
   * The maintenance lock taken when a tenant DAG is created, retried or rolled back (service/task/status_maintainer.go
   * StartMaintenance: setStatus refuses while a cluster-wide DAG runs, then holdPartialLock refuses while the
   * tenant's lock is held). Both are 500 ("known" errors): try again later.
   */
  private requireUnlocked(t: SimTenant): void {
    if (this.clusterMaintenanceDag !== undefined)
      throw new AgentError(
        500,
        "OB.Cluster.UnderMaintenanceWithDag",
        `OceanBase cluster is under maintenance by DAG: ${this.clusterMaintenanceDag}, please try again later`,
      );
    if (this.inFlight(t.name))
      throw new AgentError(
        500,
        "OB.Tenant.UnderMaintenance",
        `Tenant '${t.name}' is under maintenance, please try again later.`,
      );
  }

  /** zone -> FULL/READONLY (tenantService.GetTenantReplicaInfoMap). */
  private replicaInfoMap(t: SimTenant): Map<string, string> {
    return new Map(t.replicas.map((r) => [r.zone, r.type]));
  }

  /**
   * DELETE /api/v1/tenant/:name/replicas after the route's checks; undefined = 204 (none of the zones holds a
   * replica). As executor/tenant/scale_in_replicas.go ScaleInTenantReplicas: filterZones keeps the listed zones as
   * listed, duplicates included (one locality node per listed zone).
   */
  removeReplicas(name: string, zones: string[]): SimDag | undefined {
    const t = this.requireTenant(name);
    const targets = zones.filter((z) => t.replicas.some((r) => r.zone === z));
    if (targets.length === 0) return undefined;
    if (t.replicas.length === 1)
      throw new AgentError(400, "OB.Tenant.OnlyOneReplica", `Tenant '${t.name}' has only one replica.`);
    const remaining = t.replicas.filter((r) => !targets.includes(r.zone));
    const fullBefore = t.replicas.filter((r) => r.type === "FULL").length;
    const fullAfter = remaining.filter((r) => r.type === "FULL").length;
    if (!(fullAfter > 1 || (fullAfter === 1 && fullBefore === 1)))
      throw new AgentError(
        400,
        "OB.Tenant.Locality.PrincipalNotAllowed",
        `Removing ${targets.join(",")} leaves ${fullAfter} FULL replica(s) of ${fullBefore}: not allowed.`,
      );
    const firstBefore = highestPriorityZones(t.primaryZone);
    const firstAfter = firstBefore.filter((z) => remaining.some((r) => r.zone === z && r.type === "FULL"));
    if (firstAfter.length !== firstBefore.length && !t.enableRebalance)
      throw new AgentError(
        400,
        "OB.Tenant.RebalanceDisabled",
        "enable_rebalance is false; the primary zone would change.",
      );
    if (firstBefore.length > 0 && firstAfter.length === 0)
      throw new AgentError(
        400,
        "OB.Tenant.PrimaryZone.CrossRegion",
        "the first-priority primary zones would be left empty.",
      );
    this.requireUnlocked(t);
    const nodes: SimNode[] = targets.map((zone) => this.node("Alter tenant locality", zone));
    if (t.pools.some((p) => p.zones.length > 1 && p.zones.some((z) => targets.includes(z))))
      nodes.push(this.node("Split resource pool"));
    nodes.push(this.node("Drop resource pools"));
    return this.startDag(t, "Scale in tenant replicas", "scale-in", nodes);
  }

  /**
   * POST /api/v1/tenant/:name/replicas after the route's checks and the body's binding, as
   * executor/tenant/scale_out_replicas.go ScaleOutTenantReplicas: render, checkScaleOutTenantReplicasParam, the
   * resource check, then the DAG (which takes the tenant's lock). Tests also call it directly to start a person's
   * scale-out; `replica_type` may then be left out.
   */
  addReplicas(
    name: string,
    input: readonly {
      name: string;
      unit_config_name: string;
      unit_num: number;
      replica_type?: string | undefined;
    }[],
  ): SimDag {
    const t = this.requireTenant(name);
    // executor/zone/render.go RenderZoneParams: an empty replica type is FULL, any other is upper-cased.
    const zoneList: AddZoneParam[] = input.map((z) => ({
      ...z,
      replica_type: z.replica_type ? z.replica_type.toUpperCase() : "FULL",
    }));
    this.checkZoneParams(zoneList);
    const before = this.replicaInfoMap(t);
    for (const z of zoneList)
      if (before.has(z.name))
        throw new AgentError(
          400,
          "OB.Tenant.ZoneAlreadyHasReplica",
          `Zone '${z.name}' already has a replica.`,
        );
    if (this.tenantUnitNum(t) !== zoneList[0]?.unit_num)
      throw new AgentError(
        400,
        "OB.Tenant.UnitNum.Inconsistent",
        "Unit number is inconsistent, should be the same in all zones.",
      );
    const after = new Map(before);
    for (const z of zoneList) {
      after.set(z.name, z.replica_type);
      // tenantService.CheckTenantHasPoolOnZone: a unit of one of the tenant's pools in the zone (a leftover pool).
      if (t.pools.some((p) => p.zones.includes(z.name)))
        throw new AgentError(
          400,
          "OB.Tenant.HasPoolOnZone",
          `Tenant already has a pool located in zone '${z.name}'.`,
        );
    }
    checkFirstPriorityChange(before, after, t.primaryZone, t.enableRebalance);
    checkPrimaryZoneAndLocality(t.primaryZone, after, (zone) => this.zones.get(zone)?.region ?? "");
    // CheckResourceEnough (create_tenant.go), only for non-shared-storage clusters, which this one is.
    for (const z of zoneList) this.checkZoneResource(z.name, z.unit_config_name, z.unit_num);
    this.requireUnlocked(t);
    const dag = this.startDag(t, "Scale out tenant replicas", "scale-out", [
      this.node("Create and attach resource pools"),
      ...zoneList.map((z) => this.node("Alter tenant locality", z.name)),
    ]);
    dag.addZones = zoneList;
    return dag;
  }

  /**
   * PATCH /api/v1/tenant/:name/replicas after the route's checks and the body's binding; undefined = 204 (nothing
   * to change). As executor/tenant/modify_replicas.go ModifyTenantReplica for replica types only: the simulator
   * does not change unit configs or unit numbers (the operator never asks), and says so with a 500.
   */
  modifyReplicas(name: string, zoneList: readonly ModifyZoneParam[]): SimDag | undefined {
    const t = this.requireTenant(name);
    if (zoneList.length === 0) throw new AgentError(400, "OB.Tenant.ZoneList.Empty", "Zone list is empty.");
    const before = this.replicaInfoMap(t);
    for (const z of zoneList)
      if (!before.has(z.zone_name))
        throw new AgentError(
          400,
          "OB.Tenant.ZoneWithoutReplica",
          `Zone '${z.zone_name}' does not have a replica.`,
        );
    const seen = new Set<string>();
    for (const z of zoneList) {
      if (seen.has(z.zone_name))
        throw new AgentError(400, "OB.Tenant.Zone.Repeated", `Zone '${z.zone_name}' is repeated.`);
      seen.add(z.zone_name);
      if (z.replica_type !== undefined) checkReplicaType(z.replica_type);
      if (z.unit_num !== undefined || z.unit_config_name !== undefined)
        throw new AgentError(
          500,
          "Common.Unexpected",
          "Unexpected error: the simulator does not modify units",
        );
    }
    const changes = new Map<string, string>();
    for (const z of zoneList)
      if (z.replica_type !== undefined && z.replica_type !== "" && before.get(z.zone_name) !== z.replica_type)
        changes.set(z.zone_name, z.replica_type);
    if (changes.size === 0) return undefined;
    const after = new Map([...before, ...changes]);
    checkFirstPriorityChange(before, after, t.primaryZone, t.enableRebalance);
    checkPrimaryZoneAndLocality(t.primaryZone, after, (zone) => this.zones.get(zone)?.region ?? "");
    this.requireUnlocked(t);
    // buildModifyReplicaTemplate: changes to FULL first, then changes to READONLY.
    const order = [...changes].sort(([, a], [, b]) => (a === b ? 0 : a === "FULL" ? -1 : 1));
    const dag = this.startDag(
      t,
      "Modify tenant replicas",
      "modify",
      order.map(([zone]) => this.node("Alter tenant locality", zone)),
    );
    dag.modifyTypes = changes;
    return dag;
  }

  /** executor/zone/check.go CheckZoneParams: StaticCheckForZoneParams, then zone, unit config and server count. */
  private checkZoneParams(zoneList: readonly AddZoneParam[]): void {
    if (zoneList.length === 0) throw new AgentError(400, "OB.Tenant.ZoneList.Empty", "Zone list is empty.");
    const seen = new Set<string>();
    let unitNum = 0;
    for (const z of zoneList) {
      if (seen.has(z.name))
        throw new AgentError(400, "OB.Tenant.Zone.Repeated", `Zone '${z.name}' is repeated.`);
      seen.add(z.name);
      if (z.unit_config_name === "")
        throw new AgentError(400, "OB.Resource.UnitConfig.Name.Empty", "Unit config name is empty.");
      checkReplicaType(z.replica_type);
      if (z.unit_num <= 0)
        throw new AgentError(
          400,
          "OB.Tenant.UnitNum.Invalid",
          `Unit number '${z.unit_num}' is invalid: unit num should be greater than 0`,
        );
      if (unitNum !== 0 && z.unit_num !== unitNum)
        throw new AgentError(
          400,
          "OB.Tenant.UnitNum.Inconsistent",
          "Unit number is inconsistent, should be the same in all zones.",
        );
      unitNum = z.unit_num;
    }
    for (const z of zoneList) {
      const zone = this.zones.get(z.name);
      if (!zone) throw new AgentError(400, "OB.Zone.NotExist", `Zone '${z.name}' does not exist`);
      if (!this.unitConfigs.has(z.unit_config_name))
        throw new AgentError(
          400,
          "OB.Resource.UnitConfig.NotExist",
          `Unit config '${z.unit_config_name}' does not exist.`,
        );
      if (zone.servers.length < z.unit_num) throw unitNumExceeds(z.unit_num, zone.servers.length, z.name);
    }
  }

  /** tenantService.GetTenantUnitNum: UNIT_COUNT of the tenant's pools (they agree; the first one). */
  private tenantUnitNum(t: SimTenant): number {
    return t.pools[0]?.unitNum ?? 0;
  }

  /** The servers a pool's units sit on in a zone: one unit on each of the first `unitNum` servers. */
  private unitServers(zone: string, unitNum: number): SimServer[] {
    return (this.zones.get(zone)?.servers ?? []).slice(0, unitNum);
  }

  /**
   * create_tenant.go checkZoneResourceForUnit: the new unit must fit on `unitNum` servers of the zone after the
   * units already there (min and max CPU, memory, log disk); else the last shortage found is the answer.
   */
  private checkZoneResource(zoneName: string, unitName: string, unitNum: number): void {
    const zone = this.zones.get(zoneName);
    const unit = this.unitConfigs.get(unitName);
    if (!zone || !unit) return;
    if (zone.servers.length < unitNum) throw unitNumExceeds(unitNum, zone.servers.length, zoneName);
    let valid = 0;
    let shortage: AgentError | undefined;
    zone.servers.forEach((server, index) => {
      const used = { minCpu: 0, maxCpu: 0, memorySize: 0, logDiskSize: 0 };
      for (const t of this.tenants.values())
        for (const p of t.pools) {
          const u = this.unitConfigs.get(p.unitConfig);
          if (!u || !p.zones.includes(zoneName) || index >= p.unitNum) continue;
          used.minCpu += u.minCpu;
          used.maxCpu += u.maxCpu;
          used.memorySize += u.memorySize;
          used.logDiskSize += u.logDiskSize;
        }
      const short = (what: string) =>
        new AgentError(
          400,
          "OB.Tenant.ResourceNotEnough",
          `Server ${server.ip}:${server.port} ${what} resource not enough.`,
        );
      if (server.cpu - used.minCpu < unit.minCpu || server.cpuMax - used.maxCpu < unit.maxCpu)
        shortage = short("CPU");
      else if (server.memory - used.memorySize < unit.memorySize) shortage = short("MEMORY_SIZE");
      else if (server.logDisk - used.logDiskSize < unit.logDiskSize) shortage = short("LOG_DISK_SIZE");
      else valid++;
    });
    if (valid < unitNum && shortage) throw shortage;
  }

  private node(name: NodeName, zone?: string): SimNode {
    return {
      rowId: this.nextNodeRowId++,
      subTaskRowId: this.nextSubTaskRowId++,
      name,
      ...(zone === undefined ? {} : { zone }),
      state: "PENDING",
      operator: "RUN",
      ...NODE_KINDS[name],
      logs: [],
    };
  }

  private startDag(t: SimTenant, name: string, kind: SimDag["kind"], nodes: SimNode[]): SimDag {
    const dag: SimDag = {
      dagId: this.dags.length + 1,
      name,
      tenant: t.name,
      kind,
      stage: 1,
      state: "READY",
      operator: "RUN",
      startTime: new Date().toISOString(),
      endTime: ZERO_TIME,
      nodes,
    };
    const failAt = this.failNextDag.get(t.name);
    if (failAt !== undefined) {
      dag.failAtStage = failAt;
      this.failNextDag.delete(t.name);
    }
    this.dags.push(dag);
    this.schedule(dag);
    return dag;
  }

  private schedule(dag: SimDag): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.step(dag);
    }, this.stageMs());
    this.timers.add(timer);
  }

  /** Runs the current node to its end; then the next, or the DAG ends. */
  private step(dag: SimDag): void {
    if (dag.state !== "READY" && dag.state !== "RUNNING") return;
    if (dag.operator === "ROLLBACK") {
      this.stepRollback(dag);
      return;
    }
    const node = dag.nodes[dag.stage - 1];
    if (!node) return;
    if (node.state === "PENDING" || node.state === "READY" || node.state === "FAILED") {
      dag.state = "RUNNING";
      node.state = "RUNNING";
      node.startTime = new Date().toISOString();
      this.schedule(dag);
      return;
    }
    if (this.holdDags.has(dag.tenant)) {
      this.schedule(dag);
      return;
    }
    if (dag.failAtStage === dag.stage) {
      delete dag.failAtStage;
      node.state = "FAILED";
      node.logs.push(
        `${node.name}${node.zone ? ` ${node.zone}` : ""}: wait for job timeout, job status is FAILED`,
      );
      dag.state = "FAILED";
      dag.endTime = new Date().toISOString();
      return;
    }
    this.applyNode(dag, node);
    node.state = "SUCCEED";
    node.endTime = new Date().toISOString();
    if (dag.stage >= dag.nodes.length) {
      dag.state = "SUCCEED";
      dag.endTime = new Date().toISOString();
      return;
    }
    dag.stage++;
    this.schedule(dag);
  }

  /**
   * A ROLLBACK runs as the DAG itself (service/task/dag.go txForRollbackDag sets the DAG READY/ROLLBACK; the
   * scheduler then rolls the marked nodes back, last first): one node per stage time, then SUCCEED/ROLLBACK.
   */
  private stepRollback(dag: SimDag): void {
    if (dag.state === "READY") {
      dag.state = "RUNNING";
      this.schedule(dag);
      return;
    }
    if (this.holdDags.has(dag.tenant)) {
      this.schedule(dag);
      return;
    }
    const index = dag.nodes.findLastIndex((n) => n.operator === "ROLLBACK" && n.state === "READY");
    const node = dag.nodes[index];
    if (node) {
      this.undoNode(dag, node);
      node.state = "SUCCEED";
      node.endTime = new Date().toISOString();
      dag.stage = index + 1;
      this.schedule(dag);
      return;
    }
    dag.state = "SUCCEED";
    dag.endTime = new Date().toISOString();
  }

  private applyNode(dag: SimDag, node: SimNode): void {
    const t = this.tenants.get(dag.tenant);
    if (!t) return;
    if (dag.kind === "scale-in") {
      if (node.name === "Alter tenant locality" && node.zone)
        t.replicas = t.replicas.filter((r) => r.zone !== node.zone);
      if (node.name === "Drop resource pools")
        t.pools = t.pools.filter((p) => p.zones.some((z) => t.replicas.some((r) => r.zone === z)));
      if (node.name === "Split resource pool")
        t.pools = t.pools.map((p) => ({
          ...p,
          zones: p.zones.filter((z) => t.replicas.some((r) => r.zone === z)),
        }));
    } else if (dag.kind === "scale-out") {
      if (node.name === "Create and attach resource pools") {
        // create_tenant.go buildCreateResourcePoolTaskParam: <tenant>_<zone>_<unix seconds of the DAG's creation>.
        const stamp = Math.floor(Date.parse(dag.startTime) / 1000);
        dag.createdPools = [];
        for (const z of dag.addZones ?? []) {
          const poolName = `${t.name}_${z.name}_${stamp}`;
          dag.createdPools.push(poolName);
          t.pools.push({
            name: poolName,
            id: this.nextPoolId++,
            zones: [z.name],
            unitConfig: z.unit_config_name,
            unitNum: z.unit_num,
          });
        }
      }
      if (node.name === "Alter tenant locality" && node.zone) {
        const add = dag.addZones?.find((z) => z.name === node.zone);
        if (add && !t.replicas.some((r) => r.zone === add.name))
          t.replicas = [...t.replicas, { zone: add.name, type: add.replica_type }];
      }
    } else if (node.name === "Alter tenant locality" && node.zone) {
      const type = dag.modifyTypes?.get(node.zone);
      if (type) t.replicas = t.replicas.map((r) => (r.zone === node.zone ? { ...r, type } : r));
    }
  }

  /**
   * A node's Rollback: BatchCreateResourcePoolTask.Rollback detaches and drops the pools it created
   * (scale_out_replicas.go); AlterLocalityTask has none of its own, so a locality change is not undone.
   */
  private undoNode(dag: SimDag, node: SimNode): void {
    const t = this.tenants.get(dag.tenant);
    if (!t || node.name !== "Create and attach resource pools") return;
    const created = new Set(dag.createdPools ?? []);
    t.pools = t.pools.filter((p) => !created.has(p.name));
  }

  findDag(genericId: string): SimDag {
    if (!/^\d+$/.test(genericId) || genericId.length < 2)
      throw new AgentError(400, "Task.GenericID.Invalid", `Generic ID '${genericId}' is invalid.`);
    if (!genericId.startsWith("1")) throw new AgentError(404, "Task.NotFound", "Task not found");
    const dag = this.dags.find((d) => d.dagId === Number(genericId.slice(1)));
    if (!dag) throw new AgentError(404, "Task.NotFound", "Task not found");
    return dag;
  }

  /**
   * The lock a RETRY or ROLLBACK takes again (txForRetryAndReadyDag / txForRollbackDag: StartMaintenance, then
   * status_maintainer.go UpdateMaintenanceTask): busy while another DAG holds the tenant; once a newer DAG has taken
   * the tenant's lock, a failed DAG is expired for good (500 Task.Expired).
   */
  private retakeLock(dag: SimDag): void {
    this.requireUnlocked(this.requireTenant(dag.tenant));
    const newest = this.dags.filter((d) => d.tenant === dag.tenant).at(-1);
    if (newest && newest.dagId !== dag.dagId)
      throw new AgentError(
        500,
        "Task.Expired",
        `${dag.tenant} has already executed task 1${newest.dagId}. '1${dag.dagId}: ${dag.name}' cannot be executed. Please submit a new request`,
      );
  }

  /** POST /api/v1/task/dag/:id, as service/task/dag.go (SetDagRetryAndReady, SetDagRollback, CancelDag, PassDag). */
  operate(genericId: string, operator: string): void {
    const dag = this.findDag(genericId);
    switch (operator) {
      case "RETRY":
        // The agent lets a cancelled DAG be retried (getNodeCanRetry checks only FAILED); the simulator refuses it.
        if (dag.state !== "FAILED" || dag.operator === "CANCEL")
          throw new AgentError(
            400,
            "Task.Dag.Operator.RetryNotFailedDag",
            "Failed to set DAG retry: DAG state is not failed",
          );
        this.retakeLock(dag);
        dag.state = "READY";
        dag.operator = "RUN";
        dag.endTime = ZERO_TIME;
        this.schedule(dag);
        return;
      case "ROLLBACK": {
        const nodes = this.nodesToRollback(dag);
        this.retakeLock(dag);
        dag.state = "READY";
        dag.operator = "ROLLBACK";
        dag.endTime = ZERO_TIME;
        // updateNodeOperator: each finished node is set READY with operator ROLLBACK, to be rolled back.
        for (const n of nodes)
          if (n.state === "SUCCEED" || n.state === "FAILED") {
            n.operator = "ROLLBACK";
            n.state = "READY";
          }
        this.schedule(dag);
        return;
      }
      case "CANCEL":
        if (dag.state === "SUCCEED" || dag.state === "FAILED")
          throw new AgentError(
            400,
            "Task.Dag.Operator.CancelFinishedDag",
            "Failed to cancel DAG: DAG is finished",
          );
        dag.state = "FAILED";
        dag.operator = "CANCEL";
        dag.endTime = new Date().toISOString();
        return;
      case "PASS":
        if (dag.state !== "FAILED")
          throw new AgentError(
            400,
            "Task.Dag.Operator.PassNotFailedDag",
            "Failed to pass DAG: DAG is not failed",
          );
        // getNodesCanPass: every node not yet succeeded must allow PASS.
        for (const n of dag.nodes)
          if (n.state !== "SUCCEED" && !n.canPass)
            throw new AgentError(
              400,
              "Task.Dag.Operator.PassNotAllowed",
              `Failed to pass DAG: node ${n.name} cannot pass`,
            );
        dag.state = "SUCCEED";
        dag.operator = "PASS";
        dag.endTime = new Date().toISOString();
        return;
      default:
        throw new AgentError(400, "Task.Dag.Operator.NotSupport", `Operator ${operator} is not supported`);
    }
  }

  /**
   * service/task/dag.go getNodesCanRollback: only a FAILED DAG; every node up to and including the failed one must
   * allow rollback (a scale-in that failed at "Split resource pool" or "Drop resource pools" cannot be rolled back).
   */
  private nodesToRollback(dag: SimDag): SimNode[] {
    if (dag.state !== "FAILED")
      throw new AgentError(
        400,
        "Task.Dag.Operator.RollbackNotFailedDag",
        "Failed to set DAG rollback: DAG state is not failed",
      );
    let end = 0;
    for (const [index, node] of dag.nodes.entries()) {
      end = index;
      if (node.operator !== "ROLLBACK" && node.state === "PENDING") break;
      if (!node.canRollback)
        throw new AgentError(
          400,
          "Task.Dag.Operator.RollbackNotAllowed",
          `Failed to set DAG rollback: node ${node.name} cannot rollback`,
        );
      if (node.state === "FAILED") {
        end = index + 1;
        break;
      }
    }
    if (end === 0)
      throw new AgentError(
        500,
        "Common.Unexpected",
        "Unexpected error: failed to set dag rollback: no node failed",
      );
    return dag.nodes.slice(0, end);
  }

  /**
   * GET /api/v1/task/dag/ob/unfinish: rows with is_finished = false (service/task/dag.go GetAllUnfinishedDagInstance).
   * updateDagState leaves a FAILED maintenance DAG unfinished, cancelled ones included; only SUCCEED (run, passed
   * or rolled back) finishes it.
   */
  unfinished(): SimDag[] {
    return this.dags.filter((d) => d.state !== "SUCCEED");
  }

  dagDto(dag: SimDag, details: boolean): Record<string, unknown> {
    const id = `1${dag.dagId}`;
    return {
      id,
      dag_id: dag.dagId,
      name: dag.name,
      stage: dag.stage,
      max_stage: dag.nodes.length,
      state: dag.state,
      operator: dag.operator,
      start_time: dag.startTime,
      end_time: dag.endTime,
      maintenance_type: 3,
      maintenance_key: dag.tenant,
      additional_data: null,
      nodes: details
        ? dag.nodes.map((n, i) => ({
            id: `1${n.rowId}`,
            node_id: i + 1,
            name: n.name,
            state: n.state,
            operator: n.operator,
            start_time: n.startTime ?? ZERO_TIME,
            end_time: n.endTime ?? ZERO_TIME,
            additional_data: null,
            sub_tasks: [
              {
                id: `1${n.subTaskRowId}`,
                task_id: i + 1,
                name: n.zone ? `${n.name} ${n.zone}` : n.name,
                state: n.state,
                operator: n.operator,
                start_time: n.startTime ?? ZERO_TIME,
                end_time: n.endTime ?? ZERO_TIME,
                additional_data: null,
                execute_times: 1,
                execute_agent: { ip: "127.0.0.1", port: 2886 },
                task_logs: n.logs,
              },
            ],
          }))
        : null,
    };
  }
}

/** check.go CheckReplicaType: FULL, READONLY or empty (400 OB.Tenant.Replica.InvalidType). */
function checkReplicaType(type: string): void {
  if (type !== "FULL" && type !== "READONLY" && type !== "")
    throw new AgentError(400, "OB.Tenant.Replica.InvalidType", `Replica type '${type}' is not supported`);
}

function unitNumExceeds(unitNum: number, servers: number, zone: string): AgentError {
  return new AgentError(
    400,
    "OB.Tenant.UnitNum.ExceedsLimit",
    `Unit number '${unitNum}' is bigger than server number '${servers}' in zone '${zone}'.`,
  );
}
