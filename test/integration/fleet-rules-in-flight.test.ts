// The fleet rules while an operation is in flight (issue 22), on the real API server with both simulators,
// through admin-owned DatabaseConnections as users run them. Each story is judged by what the simulators
// were actually sent (their request logs), and ends by lifting the hold to show the call would have gone.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { RedisInstanceSetStatus } from "../../src/api/redis-instance-set.js";
import type { TenantReplicaSetStatus } from "../../src/api/tenant-replica-set.js";
import type { Operator } from "../../src/operator.js";
import { startRecommendedOperator } from "../harness/connections.js";
import { eventually, quietLogger } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { applyCredentialSecrets, RawApi, type RawObject } from "../harness/raw-api.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const PASSWORD = "in-flight-root-password";
const AK = "AKINFLIGHT0000000001";
const SK = "SKinflight000000000000000000000000000000";
const PROJECT = "5f4e3d2c1b0a99887766554433221100";
const WAIT_MS = 40_000;
let ns = "";
let ns2 = "";
let obshell: ObshellSimulator;
let dcs: DcsSimulator;
let operator: Operator;

type Condition = { type: string; status: string; reason: string; message: string };
type SetObject<S> = RawObject & {
  metadata: { generation: number };
  status?: S & { conditions?: Condition[] | undefined; observedGeneration?: number | undefined };
};

const trsPath = (namespace: string, name: string) =>
  `/apis/dbfleet.io/v1alpha1/namespaces/${namespace}/tenantreplicasets/${name}`;
const risPath = (name: string) => `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/redisinstancesets/${name}`;

/** The admin-owned connection of a namespace: how its sets reach the simulators. */
function connection(namespace: string, name: string, remote: Record<string, unknown>): RawObject {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "DatabaseConnection",
    metadata: { name, namespace },
    spec: remote,
  };
}

function tenantSet(
  namespace: string,
  name: string,
  tenant: string,
  policy: Record<string, unknown>,
): RawObject {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "TenantReplicaSet",
    metadata: { name, namespace },
    spec: {
      connectionRef: { kind: "DatabaseConnection", name: "ob" },
      tenant,
      zones: ["z1", "z2"],
      policy,
      pollInterval: "1s",
    },
  };
}

async function get<S>(path: string): Promise<SetObject<S>> {
  return raw.call<SetObject<S>>("GET", path);
}

/**
 * Waits until `type` has `status` for `reason` (and the message matches), and returns the set as then; or,
 * with `unless`, until that says the wrong thing was already sent (the caller then fails on the log).
 */
async function condition<S>(
  path: string,
  type: string,
  reason: string,
  o: { status?: "True" | "False"; message?: RegExp; unless?: () => boolean } = {},
): Promise<SetObject<S>> {
  let last: SetObject<S> | undefined;
  await eventually(
    `${path} ${type}=${o.status ?? "True"} (${reason}${o.message ? ` ${o.message}` : ""})`,
    async () => {
      last = await get<S>(path);
      if (o.unless?.()) return true;
      return (last.status?.conditions ?? []).some(
        (c) =>
          c.type === type &&
          c.status === (o.status ?? "True") &&
          c.reason === reason &&
          (o.message === undefined || o.message.test(c.message)),
      );
    },
    WAIT_MS,
  );
  if (!last) throw new Error("unreachable");
  return last;
}

const messageOf = (o: SetObject<unknown>, type: string) =>
  o.status?.conditions?.find((c) => c.type === type)?.message ?? "";

async function mergePatch(path: string, body: unknown): Promise<SetObject<unknown>> {
  return raw.call<SetObject<unknown>>("PATCH", path, body, "application/merge-patch+json");
}

/** The DAG the set's operation runs, once its id is recorded and it runs. */
async function runningDag(path: string): Promise<string> {
  let id: string | undefined;
  await eventually(
    `${path} follows a running DAG`,
    async () => {
      const s = (await get<TenantReplicaSetStatus>(path)).status;
      id = s?.operation?.dagId;
      return id !== undefined && (s?.dag?.state === "RUNNING" || s?.dag?.state === "READY");
    },
    WAIT_MS,
  );
  if (!id) throw new Error("unreachable");
  return id;
}

/** Every DAG operation (RETRY, ROLLBACK, ...) obshell was sent for `dagId`, with when it arrived. */
const operations = (dagId: string) =>
  obshell.log
    .filter((e) => e.method === "POST" && e.path === `/api/v1/task/dag/${dagId}`)
    .map((e) => ({ at: e.at, operator: String((e.body as { operator?: unknown }).operator) }));

/** Every DCS delete that named `instanceId` (batch body or single path). */
const deletesOf = (instanceId: string) =>
  dcs.log.filter(
    (e) =>
      e.method === "DELETE" &&
      (e.path.endsWith(`/instances/${instanceId}`) || JSON.stringify(e.body ?? "").includes(instanceId)),
  );

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "inflight");
  ns2 = await createTestNamespace(kubeConfigFor(kubeconfig), "inflight2");
  obshell = new ObshellSimulator({
    password: PASSWORD,
    stageMs: 40,
    seed: {
      zones: ["z1", "z2", "z3"].map((name) => ({ name, region: "hz" })),
      tenants: ["t_retry", "t_rollback", "t_dry_retry", "t_dry_rollback"].map((name) => ({
        name,
        zones: ["z1", "z2", "z3"],
      })),
    },
  });
  await obshell.start();
  dcs = new DcsSimulator({
    credentials: [{ accessKey: AK, secretKey: SK }],
    projects: { [PROJECT]: ["hush-1", "hush-2", "hush-3"].map((name) => ({ name })) },
    deleteDelayMs: 50,
  });
  await dcs.start();
  const ob = { endpoint: obshell.url, credentialsSecretRef: { name: "obshell" }, allowInsecureHTTP: true };
  for (const namespace of [ns, ns2]) {
    await applyCredentialSecrets(raw, namespace, { password: PASSWORD, accessKey: AK, secretKey: SK });
    await raw.apply(connection(namespace, "ob", { obshell: ob }));
  }
  await raw.apply(
    connection(ns, "dcs", {
      dcs: {
        endpoint: dcs.url,
        projectId: PROJECT,
        credentialsSecretRef: { name: "dcs" },
        allowInsecureHTTP: true,
      },
    }),
  );
  operator = startRecommendedOperator(kubeconfig, {
    logger: quietLogger,
    namespaces: [ns, ns2],
    tenant: { dagPollMs: 50 },
    redis: { deletePollMs: 100 },
  });
}, 60_000);

afterAll(async () => {
  await operator?.stop(2000);
  await obshell?.stop();
  await dcs?.stop();
  await raw.close();
});

describe("fleet rules while an operation is in flight", () => {
  it.each([
    { tenant: "t_retry", policy: { onDagFailure: "Retry", maxDagRetries: 2 }, lifted: "RETRY" },
    { tenant: "t_rollback", policy: { onDagFailure: "Rollback" }, lifted: "ROLLBACK" },
  ])(
    "a tenant named by a second set mid-DAG: its failed DAG is held, never $lifted, until the tenant has one owner",
    async ({ tenant, policy, lifted }) => {
      const name = tenant.replaceAll("_", "-");
      const path = trsPath(ns, name);
      obshell.cluster.failNextDag.set(tenant, 1);
      obshell.cluster.holdDags.add(tenant);
      await raw.apply(tenantSet(ns, name, tenant, policy));
      const dagId = await runningDag(path);
      // Another team's set names the same tenant, through its own connection to the same agent.
      await raw.apply(tenantSet(ns2, `${name}-copy`, tenant, policy));
      // The peer reports the conflict, so the operator's fleet view (one cache for both) holds the two sets
      // before the DAG is let fail.
      await condition(trsPath(ns2, `${name}-copy`), "Stalled", "OwnershipConflict");
      obshell.cluster.holdDags.delete(tenant);

      const held = await condition<TenantReplicaSetStatus>(path, "Stalled", "OwnershipConflict", {
        message: new RegExp(`DAG ${dagId} FAILED`),
        unless: () => operations(dagId).length > 0,
      });
      expect(operations(dagId)).toEqual([]);
      expect(messageOf(held, "Stalled")).toContain(`${ns2}/${name}-copy`);
      expect(held.status?.operation?.dagId).toBe(dagId);
      // A few more polls of the failed DAG, still nothing sent.
      const polls = obshell.log.filter((e) => e.path === `/api/v1/task/dag/${dagId}`).length;
      await eventually(
        "three more polls of the held DAG",
        () => obshell.log.filter((e) => e.path === `/api/v1/task/dag/${dagId}`).length >= polls + 3,
        WAIT_MS,
      );
      expect(operations(dagId)).toEqual([]);
      expect(obshell.cluster.tenants.get(tenant)?.replicas.map((r) => r.zone)).toContain("z3");

      // The peer goes: one owner again, and its policy applies to the DAG.
      const lift = Date.now();
      await raw.call("DELETE", trsPath(ns2, `${name}-copy`));
      if (lifted === "RETRY") await condition(path, "Ready", "Converged");
      else await condition(path, "Stalled", "DagRolledBack");
      const sent = operations(dagId);
      expect(sent.map((s) => s.operator)).toEqual([lifted]);
      expect(sent[0]?.at).toBeGreaterThanOrEqual(lift - 1);
    },
  );

  it.each([
    { tenant: "t_dry_retry", policy: { onDagFailure: "Retry", maxDagRetries: 2 }, lifted: "RETRY" },
    { tenant: "t_dry_rollback", policy: { onDagFailure: "Rollback" }, lifted: "ROLLBACK" },
  ])(
    "dryRun turned on mid-DAG: the failed DAG is shown, never sent $lifted, until dryRun is off",
    async ({ tenant, policy, lifted }) => {
      const name = tenant.replaceAll("_", "-");
      const path = trsPath(ns, name);
      obshell.cluster.failNextDag.set(tenant, 1);
      obshell.cluster.holdDags.add(tenant);
      await raw.apply(tenantSet(ns, name, tenant, policy));
      const dagId = await runningDag(path);
      const patched = await mergePatch(path, { spec: { policy: { dryRun: true } } });
      // The operator has decided for the dry-run spec before the DAG is let fail.
      await eventually(
        "the dry-run generation observed",
        async () =>
          ((await get<TenantReplicaSetStatus>(path)).status?.observedGeneration ?? 0) >=
          patched.metadata.generation,
        WAIT_MS,
      );
      obshell.cluster.holdDags.delete(tenant);

      await condition(path, "Ready", "DryRun", {
        status: "False",
        message: new RegExp(`dry run: would request ${lifted}.*DAG ${dagId}.*FAILED`),
        unless: () => operations(dagId).length > 0,
      });
      expect(operations(dagId)).toEqual([]);
      const polls = obshell.log.filter((e) => e.path === `/api/v1/task/dag/${dagId}`).length;
      await eventually(
        "three more polls of the failed DAG",
        () => obshell.log.filter((e) => e.path === `/api/v1/task/dag/${dagId}`).length >= polls + 3,
        WAIT_MS,
      );
      expect(operations(dagId)).toEqual([]);
      expect(obshell.cluster.tenants.get(tenant)?.replicas.map((r) => r.zone)).toContain("z3");

      const lift = Date.now();
      await mergePatch(path, { spec: { policy: { dryRun: false } } });
      // RETRY finishes the removal; after a ROLLBACK the spec has changed since the operation started (the
      // dryRun edits), so it is dropped and a new removal planned and run (the DAG fails only once).
      await condition(path, "Ready", "Converged");
      const sent = operations(dagId);
      expect(sent.map((s) => s.operator)).toEqual([lifted]);
      expect(sent[0]?.at).toBeGreaterThanOrEqual(lift - 1);
    },
  );

  it("an instance DCS shows without any busy field is not deleted; the set asks a person, the others go", async () => {
    const byName = new Map(dcs.instances(PROJECT).map((i) => [i.name, i.instance_id]));
    const silent = byName.get("hush-2") ?? "";
    const idle = byName.get("hush-3") ?? "";
    dcs.hideBusyFields.add(silent);
    await raw.apply({
      apiVersion: "dbfleet.io/v1alpha1",
      kind: "RedisInstanceSet",
      metadata: { name: "hush", namespace: ns },
      spec: {
        connectionRef: { kind: "DatabaseConnection", name: "dcs" },
        selector: { namePrefix: "hush-" },
        instances: ["hush-1"],
        policy: { approvalThreshold: 5 },
        pollInterval: "1s",
      },
    });
    // The instance shown idle goes: the operator did act on this set.
    await eventually(
      "hush-3 deleted",
      () => !dcs.instances(PROJECT).some((i) => i.instance_id === idle),
      WAIT_MS,
    );
    const stalled = await condition<RedisInstanceSetStatus>(
      risPath("hush"),
      "Stalled",
      "DeletionNeedsHuman",
      {
        message: /hush-2.*none of task, task_status, service_task_id/,
        unless: () => deletesOf(silent).length > 0,
      },
    );
    expect(deletesOf(silent)).toEqual([]);
    expect(stalled.status?.deletions?.map((d) => d.name)).toEqual(["hush-3"]);
    const lists = dcs.log.filter((e) => e.method === "GET").length;
    await eventually(
      "three more reads",
      () => dcs.log.filter((e) => e.method === "GET").length >= lists + 3,
      WAIT_MS,
    );
    expect(deletesOf(silent)).toEqual([]);
    expect(deletesOf(idle)).toHaveLength(1);

    // DCS shows the fields again (idle): the hold heals by itself and the instance goes.
    dcs.hideBusyFields.delete(silent);
    await condition(risPath("hush"), "Ready", "Converged");
    expect(deletesOf(silent)).toHaveLength(1);
  });
});
