// Scale-out stories (issue 27) on the real API server with the obshell simulator, through admin-owned
// DatabaseConnections and the operator under deploy/'s identity. Each story is judged by what obshell was
// actually sent (the simulator's request log) and what it then holds, not by status text alone.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { TenantReplicaSetStatus } from "../../src/api/tenant-replica-set.js";
import { OperatorMetrics } from "../../src/observability/metrics.js";
import type { Operator } from "../../src/operator.js";
import {
  connectionRef,
  obshellConnection,
  SIMULATOR_FLAGS,
  startRecommendedOperator,
} from "../harness/connections.js";
import { eventually, quietLogger } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor, OPERATOR_NAMESPACE } from "../harness/kube.js";
import { removeOnExit, startProcess, stopProcess } from "../harness/processes.js";
import { applyCredentialSecrets, RawApi, type RawObject } from "../harness/raw-api.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const root = join(import.meta.dirname, "..", "..");
const main = join(root, "src", "cli", "main.ts");
const work = mkdtempSync(join(tmpdir(), "dbfleet-scaleout-"));
const forgetWork = removeOnExit(work);
const PASSWORD = "scale-out-root-password";
const WAIT_MS = 60_000;
const TENANTS = ["t_add", "t_replace", "t_kill", "t_human", "t_nounit", "t_appr_a", "t_appr_b"];
let ns = "";
let nsKill = "";
let obshell: ObshellSimulator;
let operator: Operator;
const metrics = new OperatorMetrics({ defaultMetrics: false });
const children: ChildProcess[] = [];

type Condition = { type: string; status: string; reason: string; message: string };
type SetObject = RawObject & {
  metadata: { generation: number; annotations?: Record<string, string> };
  status?: TenantReplicaSetStatus & { conditions?: Condition[] | undefined };
};

const trsPath = (namespace: string, name: string) =>
  `/apis/dbfleet.io/v1alpha1/namespaces/${namespace}/tenantreplicasets/${name}`;
const get = (path: string) => raw.call<SetObject>("GET", path);

function scaleOutSet(
  namespace: string,
  name: string,
  tenant: string,
  zones: string[],
  extra: Record<string, unknown> = {},
): RawObject {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "TenantReplicaSet",
    metadata: { name, namespace },
    spec: {
      ...connectionRef("ob"),
      tenant,
      zones,
      replicaTemplate: { unitConfigName: `${tenant}_unit` },
      pollInterval: "1s",
      ...extra,
    },
  };
}

async function condition(
  path: string,
  type: string,
  reason: string,
  o: { message?: RegExp; unless?: () => boolean } = {},
): Promise<SetObject> {
  let last: SetObject | undefined;
  await eventually(
    `${path} ${type}=True (${reason}${o.message ? ` ${o.message}` : ""})`,
    async () => {
      last = await get(path);
      if (o.unless?.()) return true;
      return (last.status?.conditions ?? []).some(
        (c) =>
          c.type === type &&
          c.status === "True" &&
          c.reason === reason &&
          (o.message === undefined || o.message.test(c.message)),
      );
    },
    WAIT_MS,
  );
  if (!last) throw new Error("unreachable");
  return last;
}

/** Every add (POST .../replicas) obshell was sent for `tenant`, and whether the agent executed it. */
const adds = (tenant: string) =>
  obshell.log.filter((e) => e.method === "POST" && e.path === `/api/v1/tenant/${tenant}/replicas`);
const removals = (tenant: string) =>
  obshell.log.filter((e) => e.method === "DELETE" && e.path === `/api/v1/tenant/${tenant}/replicas`);
const zonesOf = (tenant: string) =>
  obshell.cluster.tenants
    .get(tenant)
    ?.replicas.map((r) => r.zone)
    .sort();
const dagsOf = (tenant: string, name: string) =>
  obshell.cluster.dags.filter((d) => d.tenant === tenant && d.name === name);
const reads = (tenant: string) =>
  obshell.log.filter((e) => e.method === "GET" && e.path === `/api/v1/tenant/${tenant}`).length;

function startOperatorProcess(name: string, lease: string): ChildProcess {
  const child = startProcess(
    process.execPath,
    [
      "--import",
      "tsx",
      main,
      "run",
      `--kubeconfig=${kubeconfig}`,
      "--context=operator",
      `--namespace=${nsKill}`,
      `--lease-namespace=${OPERATOR_NAMESPACE}`,
      `--lease-name=${lease}`,
      "--lease-duration=3s",
      "--renew-deadline=2s",
      "--retry-period=300ms",
      "--metrics-port=0",
      "--metrics-host=127.0.0.1",
      `--identity=${name}`,
      ...SIMULATOR_FLAGS,
    ],
    join(work, `${name}.log`),
  );
  children.push(child);
  return child;
}

beforeAll(async () => {
  const kc = kubeConfigFor(kubeconfig);
  ns = await createTestNamespace(kc, "scaleout");
  nsKill = await createTestNamespace(kc, "scaleout-kill");
  obshell = new ObshellSimulator({
    password: PASSWORD,
    stageMs: 40,
    seed: {
      zones: ["z1", "z2", "z3", "z4", "z5"].map((name) => ({ name, region: "hz" })),
      tenants: TENANTS.map((name) => ({ name, zones: ["z1", "z2", "z3"] })),
    },
  });
  await obshell.start();
  for (const namespace of [ns, nsKill]) {
    await applyCredentialSecrets(raw, namespace, { password: PASSWORD, accessKey: "-", secretKey: "-" });
    await raw.apply(obshellConnection({ namespace, name: "ob" }, obshell.url));
  }
  operator = startRecommendedOperator(kubeconfig, {
    logger: quietLogger,
    metrics,
    namespaces: [ns],
    tenant: { dagPollMs: 50 },
  });
}, 60_000);

afterAll(async () => {
  for (const child of children) await stopProcess(child, 2000);
  await operator?.stop(2000);
  await obshell?.stop();
  await raw.close();
  forgetWork();
  rmSync(work, { recursive: true, force: true });
});

describe("scale-out on the real API server", () => {
  it("adds one zone with exactly one POST, made of the template, and converges", async () => {
    const path = trsPath(ns, "add");
    await raw.apply(scaleOutSet(ns, "add", "t_add", ["z1", "z2", "z3", "z4"]));
    const ready = await condition(path, "Ready", "Converged");
    expect(zonesOf("t_add")).toEqual(["z1", "z2", "z3", "z4"]);
    const sent = adds("t_add");
    expect(sent).toHaveLength(1);
    expect(sent[0]?.body).toEqual({
      zone_list: [{ name: "z4", unit_config_name: "t_add_unit", unit_num: 1, replica_type: "FULL" }],
    });
    expect(removals("t_add")).toEqual([]);
    expect(ready.status?.operation).toBeUndefined();
    expect(ready.status?.dag?.name).toBe("Scale out tenant replicas");
    // Operations are counted by action: the add started and ended as an add, not as a removal.
    const text = await metrics.registry.metrics();
    const series = (name: string, labels: string) =>
      Number(new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, "m").exec(text)?.[1] ?? "0");
    const add = 'kind="TenantReplicaSet",operation="add_replicas"';
    expect(series("dbfleet_destructive_operations_total", add)).toBeGreaterThanOrEqual(1);
    expect(
      series("dbfleet_destructive_operation_results_total", `${add},outcome="succeeded"`),
    ).toBeGreaterThanOrEqual(1);
  });

  it("replaces a zone: the new one is added (its DAG ended) before the old one is removed", async () => {
    const path = trsPath(ns, "replace");
    await raw.apply(scaleOutSet(ns, "replace", "t_replace", ["z1", "z2", "z4"]));
    await condition(path, "Ready", "Converged");
    expect(zonesOf("t_replace")).toEqual(["z1", "z2", "z4"]);
    const [add] = adds("t_replace");
    const [remove] = removals("t_replace");
    expect(adds("t_replace")).toHaveLength(1);
    expect(removals("t_replace")).toHaveLength(1);
    expect(remove?.body).toEqual({ zones: ["z3"] });
    // Never fewer replicas than declared: the removal was sent only after the add's DAG had ended SUCCEED.
    const [outDag] = dagsOf("t_replace", "Scale out tenant replicas");
    expect(outDag?.state).toBe("SUCCEED");
    expect(add && remove && add.at < remove.at).toBe(true);
    expect(Date.parse(outDag?.endTime ?? "")).toBeLessThanOrEqual(remove?.at ?? 0);
  });

  it("a unit config the cluster lacks: Stalled naming the zone and the config, nothing sent", async () => {
    const path = trsPath(ns, "nounit");
    await raw.apply(
      scaleOutSet(ns, "nounit", "t_nounit", ["z1", "z2", "z3", "z4"], {
        replicaTemplate: { unitConfigName: "no_such_unit" },
      }),
    );
    const stalled = await condition(path, "Stalled", "UnitConfigNotFound", {
      unless: () => adds("t_nounit").length > 0,
    });
    const message = stalled.status?.conditions?.find((c) => c.type === "Stalled")?.message ?? "";
    expect(message).toMatch(/no_such_unit.*z4/);
    const before = reads("t_nounit");
    await eventually("three more observations", () => reads("t_nounit") >= before + 3, WAIT_MS);
    expect(adds("t_nounit")).toEqual([]);
    expect(obshell.log.some((e) => e.path === "/api/v1/units/config")).toBe(true);
  });

  it("a person's own scale-out DAG on the tenant is waited for and never operated, and nothing is sent", async () => {
    const tenant = "t_human";
    obshell.cluster.holdDags.add(tenant);
    obshell.cluster.failNextDag.set(tenant, 2);
    const human = obshell.cluster.addReplicas(tenant, [
      { name: "z4", unit_config_name: "t_human_unit", unit_num: 1 },
    ]);
    const humanId = `1${human.dagId}`;
    const path = trsPath(ns, "human");
    await raw.apply(
      scaleOutSet(ns, "human", tenant, ["z1", "z2", "z3", "z4"], { policy: { onDagFailure: "Retry" } }),
    );
    await condition(path, "Reconciling", "TenantBusy", {
      message: new RegExp(`DAG ${humanId}`),
      unless: () => adds(tenant).length > 0,
    });
    obshell.cluster.holdDags.delete(tenant);
    // It fails at its locality node, leaving its pool in z4: a person's to resolve.
    await eventually("the person's DAG FAILED", () => human.state === "FAILED", WAIT_MS);
    await condition(path, "Stalled", "ZoneHasPool", { unless: () => adds(tenant).length > 0 });
    const before = reads(tenant);
    await eventually("three more observations", () => reads(tenant) >= before + 3, WAIT_MS);
    const operated = obshell.log.filter(
      (e) => e.method === "POST" && e.path === `/api/v1/task/dag/${humanId}`,
    );
    expect(operated).toEqual([]);
    expect(adds(tenant)).toEqual([]);
    // The person retries their DAG: the zone is there, and the set is Ready without ever sending anything.
    obshell.cluster.operate(humanId, "RETRY");
    await condition(path, "Ready", "Converged");
    expect(adds(tenant)).toEqual([]);
  });

  it("an approval given for an add is refused when replayed on another tenant", async () => {
    const a = trsPath(ns, "appr-a");
    const b = trsPath(ns, "appr-b");
    // Two zones to add, one per operation: the default threshold asks for approval.
    await raw.apply(scaleOutSet(ns, "appr-a", "t_appr_a", ["z1", "z2", "z3", "z4", "z5"]));
    await raw.apply(scaleOutSet(ns, "appr-b", "t_appr_b", ["z1", "z2", "z3", "z4", "z5"]));
    const pending = await condition(a, "Stalled", "ApprovalRequired");
    await condition(b, "Stalled", "ApprovalRequired");
    const hash = pending.status?.pendingApproval?.hash ?? "";
    expect(pending.status?.pendingApproval?.targets).toEqual(["+z4", "+z5"]);
    const annotate = (path: string) =>
      raw.call(
        "PATCH",
        path,
        { metadata: { annotations: { "dbfleet.io/approve-plan": hash } } },
        "application/merge-patch+json",
      );
    await annotate(b);
    const before = reads("t_appr_b");
    await eventually("three more observations of t_appr_b", () => reads("t_appr_b") >= before + 3, WAIT_MS);
    await condition(b, "Stalled", "ApprovalRequired", { unless: () => adds("t_appr_b").length > 0 });
    expect(adds("t_appr_b")).toEqual([]);
    // The same annotation on the set it was given for runs its add (one zone per operation).
    await annotate(a);
    await eventually("the approved add reached obshell", () => adds("t_appr_a").length >= 1, WAIT_MS);
    expect(adds("t_appr_a")[0]?.body).toMatchObject({ zone_list: [{ name: "z4" }] });
    expect(adds("t_appr_b")).toEqual([]);
  });

  it("the operator SIGKILLed with the POST in flight: one DAG, no second POST, the DAG adopted", async () => {
    const tenant = "t_kill";
    const path = trsPath(nsKill, "kill");
    // The POST reaches obshell and waits there; the operator dies before any reply.
    obshell.addFault({
      method: "POST",
      path: new RegExp(`^/api/v1/tenant/${tenant}/replicas$`),
      kind: "latency",
      latencyMs: 3000,
      times: 1,
    });
    // Its DAG stands still until the next operator has found it, so there is a DAG to adopt.
    obshell.cluster.holdDags.add(tenant);
    const first = startOperatorProcess("scaleout-a", "scaleout-kill");
    await raw.apply(scaleOutSet(nsKill, "kill", tenant, ["z1", "z2", "z3", "z4"]));
    await eventually("the POST arrived at obshell", () => adds(tenant).length > 0, WAIT_MS);
    first.kill("SIGKILL");
    // The intent was written before the POST: the add, its zone and replica settings, no DAG id yet.
    const recorded = await get(path);
    expect(recorded.status?.operation).toMatchObject({
      kind: "AddZones",
      zones: ["z4"],
      replicas: [{ zone: "z4", unitConfigName: "t_kill_unit", unitNum: 1, type: "FULL" }],
      endpoint: obshell.url,
      tenant,
    });
    expect(recorded.status?.operation?.dagId).toBeUndefined();
    await eventually("the POST was executed by obshell", () => adds(tenant)[0]?.executed === true, WAIT_MS);
    startOperatorProcess("scaleout-b", "scaleout-kill");
    const adopted = await condition(path, "Reconciling", "DagRunning", {
      unless: () => adds(tenant).length > 1,
    });
    expect(adopted.status?.operation?.dagId).toBe(
      `1${dagsOf(tenant, "Scale out tenant replicas")[0]?.dagId}`,
    );
    obshell.cluster.holdDags.delete(tenant);
    const ready = await condition(path, "Ready", "Converged");
    expect(adds(tenant)).toHaveLength(1);
    const dags = dagsOf(tenant, "Scale out tenant replicas");
    expect(dags).toHaveLength(1);
    // Adopted, not merely outwaited: the set followed that very DAG to its end.
    expect(ready.status?.dag).toMatchObject({ id: `1${dags[0]?.dagId}`, state: "SUCCEED" });
    expect(zonesOf(tenant)).toEqual(["z1", "z2", "z3", "z4"]);
  });
});
