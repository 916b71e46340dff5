// The simulated OceanBase cluster: zones, tenants (locality, primary zone, pools) and replica DAGs,
// validated like the agent (docs/protocols/obshell.md "What the agent checks before removing replicas").
import { highestPriorityZones, localityText, type SimReplica } from "./locality.js";

type Replica = SimReplica;

/**
 * The error's deprecated integer code, as the agent fills `error.code` (obshell ob/agent/errors/errorcode.go: the
 * fourth argument of NewErrorCode; lib/http/response.go buildErrorResponse copies ErrorCode().OldCode, omitted
 * when 0). Only these codes carry one.
 */
export function legacyCodeOf(errCode: string): number | undefined {
  if (errCode === "Security.Authentication.Header.DecryptFailed") return 1;
  if (errCode === "Common.Unauthorized") return 10008;
  if (LEGACY_AUTH_CODES.has(errCode)) return 10008;
  return undefined;
}

const LEGACY_AUTH_CODES = new Set([
  "Security.Authentication.Unauthorized",
  "Security.Authentication.Header.UriMismatch",
  "Security.Authentication.WithAgentPassword",
  "Security.Authentication.IncorrectAgentPassword",
  "Security.Authentication.IncorrectOceanbasePassword",
  "Security.Authentication.UnknownPasswordType",
  "Security.Authentication.Expired",
  "Security.Authentication.Timestamp.Invalid",
  "Security.Authentication.IncorrectToken",
  "Security.Authentication.WithOceanBasePassword",
  "Security.Authentication.AgentPasswordNotInitialized",
  "Security.Authentication.SessionInvalid",
  "Security.Authentication.SessionExpired",
]);

export class AgentError extends Error {
  readonly legacyCode: number | undefined;
  constructor(
    readonly status: number,
    readonly errCode: string,
    message: string,
  ) {
    super(message);
    this.legacyCode = legacyCodeOf(errCode);
  }
}

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
  startTime?: string;
  endTime?: string;
  logs: string[];
}

export interface SimDag {
  dagId: number;
  name: string;
  tenant: string;
  kind: "scale-in" | "scale-out";
  stage: number;
  state: DagState;
  operator: DagOperatorName;
  startTime: string;
  endTime: string;
  nodes: SimNode[];
  /** 1-based stage at which the DAG fails (once), for fault tests. */
  failAtStage?: number;
  addReplicas?: Replica[];
}

const ZERO_TIME = "0001-01-01T00:00:00Z";

export interface ClusterSeed {
  zones: { name: string; region: string }[];
  /** Unit configs besides each tenant's own `<tenant>_unit`. */
  unitConfigs?: { name: string }[] | undefined;
  tenants: {
    name: string;
    zones: string[];
    primaryZone?: string | undefined;
    readonlyZones?: string[] | undefined;
    status?: string | undefined;
  }[];
}

export class SimCluster {
  readonly zones = new Map<string, { region: string }>();
  readonly tenants = new Map<string, SimTenant>();
  /** The cluster's resource unit configs (GET /api/v1/units/config). */
  readonly unitConfigs = new Map<string, { name: string }>();
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
    for (const z of seed.zones) this.zones.set(z.name, { region: z.region });
    for (const u of seed.unitConfigs ?? []) this.unitConfigs.set(u.name, u);
    for (const t of seed.tenants) this.addTenant(t);
  }

  addTenant(t: ClusterSeed["tenants"][number]): SimTenant {
    const replicas: Replica[] = [
      ...t.zones.map((zone) => ({ zone, type: "FULL" })),
      ...(t.readonlyZones ?? []).map((zone) => ({ zone, type: "READONLY" })),
    ];
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
        unitConfig: `${t.name}_unit`,
        unitNum: 1,
      })),
      enableRebalance: true,
    };
    if (!this.unitConfigs.has(`${t.name}_unit`))
      this.unitConfigs.set(`${t.name}_unit`, { name: `${t.name}_unit` });
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
      pools: t.pools.map((p) => ({
        pool_name: p.name,
        pool_id: p.id,
        zone_list: p.zones.join(";"),
        observer_list: p.zones.map((_, i) => `127.0.0.${i + 1}:2882`).join(";"),
        unit_num: p.unitNum,
        unit_config: {
          name: p.unitConfig,
          max_cpu: 2,
          min_cpu: 2,
          memory_size: 4294967296,
          log_disk_size: 12884901888,
        },
      })),
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
    if (name === "") throw new AgentError(400, "OB.Tenant.Name.Empty", "Tenant name is empty.");
    const t = this.tenants.get(name);
    if (!t) throw new AgentError(400, "OB.Tenant.NotExist", `Tenant '${name}' does not exist.`);
    return t;
  }

  private inFlight(tenant: string): SimDag | undefined {
    return this.dags.find(
      (d) => d.tenant === tenant && (d.state === "READY" || d.state === "RUNNING" || d.state === "PENDING"),
    );
  }

  private requireNormalAndFree(t: SimTenant): void {
    if (t.status !== "NORMAL")
      throw new AgentError(400, "OB.Tenant.StatusNotNormal", `Tenant '${t.name}' status is ${t.status}.`);
  }

  private requireUnlocked(t: SimTenant): void {
    if (this.inFlight(t.name))
      throw new AgentError(
        500,
        "OB.Tenant.UnderMaintenance",
        `Tenant '${t.name}' is under maintenance, please try again later.`,
      );
  }

  /**
   * DELETE /api/v1/tenant/:name/replicas; undefined = 204 (none of the zones holds a replica). As the agent's
   * executor/tenant/scale_in_replicas.go ScaleInTenantReplicas: no NORMAL check (the maintenance lock is taken
   * when the DAG is created), and filterZones keeps the listed zones as listed, duplicates included (one
   * locality node per listed zone).
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

  /** POST /api/v1/tenant/:name/replicas. */
  addReplicas(
    name: string,
    zoneList: { name: string; unit_config_name: string; unit_num: number; replica_type?: string }[],
  ): SimDag {
    const t = this.requireTenant(name);
    this.requireNormalAndFree(t);
    for (const z of zoneList) {
      if (!this.zones.has(z.name))
        throw new AgentError(400, "OB.Zone.NotExist", `Zone '${z.name}' does not exist.`);
      if (t.replicas.some((r) => r.zone === z.name))
        throw new AgentError(
          400,
          "OB.Tenant.ZoneAlreadyHasReplica",
          `Zone '${z.name}' already has a replica of '${t.name}'.`,
        );
    }
    this.requireUnlocked(t);
    const dag = this.startDag(t, "Scale out tenant replicas", "scale-out", [
      this.node("Create resource pool"),
      ...zoneList.map((z) => this.node("Alter tenant locality", z.name)),
    ]);
    dag.addReplicas = zoneList.map((z) => ({ zone: z.name, type: (z.replica_type ?? "FULL").toUpperCase() }));
    return dag;
  }

  private node(name: string, zone?: string): SimNode {
    return {
      rowId: this.nextNodeRowId++,
      subTaskRowId: this.nextSubTaskRowId++,
      name,
      ...(zone === undefined ? {} : { zone }),
      state: "PENDING",
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
    } else {
      if (node.name === "Create resource pool")
        for (const r of dag.addReplicas ?? [])
          t.pools.push({
            name: `${t.name}_pool_${r.zone}`,
            id: this.nextPoolId++,
            zones: [r.zone],
            unitConfig: `${t.name}_unit`,
            unitNum: 1,
          });
      if (node.name === "Alter tenant locality" && node.zone) {
        const add = dag.addReplicas?.find((r) => r.zone === node.zone);
        if (add) t.replicas = [...t.replicas, add];
      }
    }
  }

  findDag(genericId: string): SimDag {
    if (!/^\d+$/.test(genericId) || genericId.length < 2)
      throw new AgentError(400, "Task.GenericID.Invalid", `Generic ID '${genericId}' is invalid.`);
    if (!genericId.startsWith("1"))
      throw new AgentError(404, "Task.NotFound", `Task '${genericId}' not found.`);
    const dag = this.dags.find((d) => d.dagId === Number(genericId.slice(1)));
    if (!dag) throw new AgentError(404, "Task.NotFound", `Task '${genericId}' not found.`);
    return dag;
  }

  operate(genericId: string, operator: string): void {
    const dag = this.findDag(genericId);
    const newer = this.dags.some((d) => d.tenant === dag.tenant && d.dagId > dag.dagId);
    switch (operator) {
      case "RETRY":
        if (dag.state !== "FAILED" || dag.operator === "CANCEL")
          throw new AgentError(
            400,
            "Task.Dag.Operator.RetryNotFailedDag",
            "Only a failed DAG can be retried.",
          );
        if (newer) throw new AgentError(500, "Task.Expired", "A newer DAG exists for the tenant.");
        this.requireUnlocked(this.requireTenant(dag.tenant));
        dag.state = "READY";
        dag.operator = "RUN";
        dag.endTime = ZERO_TIME;
        this.schedule(dag);
        return;
      case "ROLLBACK":
        if (dag.state !== "FAILED")
          throw new AgentError(
            400,
            "Task.Dag.Operator.RollbackNotAllowed",
            "Only a failed DAG can be rolled back.",
          );
        if (newer) throw new AgentError(500, "Task.Expired", "A newer DAG exists for the tenant.");
        dag.state = "SUCCEED";
        dag.operator = "ROLLBACK";
        dag.endTime = new Date().toISOString();
        return;
      case "CANCEL":
        if (dag.state === "SUCCEED" || dag.state === "FAILED")
          throw new AgentError(
            400,
            "Task.Dag.Operator.CancelFinishedDag",
            "A finished DAG cannot be cancelled.",
          );
        dag.state = "FAILED";
        dag.operator = "CANCEL";
        dag.endTime = new Date().toISOString();
        return;
      case "PASS":
        if (dag.state !== "FAILED")
          throw new AgentError(400, "Task.Dag.Operator.PassNotFailedDag", "Only a failed DAG can be passed.");
        dag.state = "SUCCEED";
        dag.operator = "PASS";
        dag.endTime = new Date().toISOString();
        return;
      default:
        throw new AgentError(400, "Task.Dag.Operator.NotSupport", `Operator '${operator}' is not supported.`);
    }
  }

  unfinished(): SimDag[] {
    return this.dags.filter(
      (d) => d.state !== "SUCCEED" && !(d.state === "FAILED" && d.operator === "CANCEL"),
    );
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
            operator: "RUN",
            start_time: n.startTime ?? ZERO_TIME,
            end_time: n.endTime ?? ZERO_TIME,
            additional_data: null,
            sub_tasks: [
              {
                id: `1${n.subTaskRowId}`,
                task_id: i + 1,
                name: n.zone ? `${n.name} ${n.zone}` : n.name,
                state: n.state,
                operator: "RUN",
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
