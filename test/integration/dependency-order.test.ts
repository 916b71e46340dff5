// A set, its connection and the connection's Secret arrive in any order (GitOps tools apply in their own
// order; an operator may start with any subset cached). Whatever the order, the set converges within one
// requeue of the last object arriving: its pollInterval is 10 minutes, so only the arrival can wake it.
// Judged by what the simulators received: one DELETE of the removed zone per tenant (instance per set), and
// ready within 5 s of the last apply. The operator runs as deploy/'s identity and must never get a 403.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Operator } from "../../src/operator.js";
import {
  CLUSTER_SECRET_NAMESPACE,
  connectionRef,
  dcsConnection,
  obshellConnection,
  startRecommendedOperator,
} from "../harness/connections.js";
import { eventually } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { kubectlOk } from "../harness/kubectl.js";
import { captureLog } from "../harness/log-capture.js";
import { RawApi, type RawObject } from "../harness/raw-api.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { destructiveCalls } from "../simulators/destructive-calls.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const PASSWORD = "order-root-password";
const AK = "AKORDER00000000000001";
const SK = "SKorder00000000000000000000000000000000";
const PROJECT = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
// A tenth of the 10-minute pollInterval: Ready by then means the arrival woke the set, whatever the
// machine's load (on a quiet machine it takes well under a second; each wait is printed).
const READY_WITHIN_MS = 60_000;
const log = captureLog();
let ns = "";
let obshell: ObshellSimulator;
/** A second cluster with a tenant of the same name, for a connection repointed onto a peer's tenant. */
let obshellB: ObshellSimulator;
let dcs: DcsSimulator;
let operator: Operator | undefined;

type Part = "secret" | "connection" | "set";
const ORDERS: Part[][] = [
  ["secret", "connection", "set"],
  ["secret", "set", "connection"],
  ["connection", "secret", "set"],
  ["connection", "set", "secret"],
  ["set", "secret", "connection"],
  ["set", "connection", "secret"],
];
const tenants = [...ORDERS.keys()].flatMap((i) => [`t_live_${i}`, `t_restart_${i}`]);

const secret = (namespace: string, name: string, password = PASSWORD): RawObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace },
  stringData: { password },
});
const tenantSet = (name: string, tenant: string, ref: Record<string, unknown>): RawObject => ({
  apiVersion: "dbfleet.io/v1alpha1",
  kind: "TenantReplicaSet",
  metadata: { name, namespace: ns },
  spec: { ...ref, tenant, zones: ["z1", "z2"], pollInterval: "10m" },
});
const trsPath = (name: string) => `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/tenantreplicasets/${name}`;
const deletesOf = (tenant: string) =>
  obshell.log.filter((e) => e.method === "DELETE" && e.path === `/api/v1/tenant/${tenant}/replicas`);

/** The three objects of one set, named after its tenant. */
function parts(tenant: string): Record<Part, RawObject> {
  const name = tenant.replace(/_/g, "-");
  return {
    secret: secret(ns, `${name}-pw`),
    connection: obshellConnection({ namespace: ns, name: `${name}-ob` }, obshell.url, `${name}-pw`),
    set: tenantSet(name, tenant, connectionRef(`${name}-ob`)),
  };
}

/** Ready (the removed zone gone), the DELETE sent exactly once, within the bound after `since`. */
async function convergedOnce(tenant: string, since: number): Promise<void> {
  const name = tenant.replace(/_/g, "-");
  await eventually(
    `${name} Ready within ${READY_WITHIN_MS} ms of its last object`,
    async () => {
      const o = await raw.call<RawObject & { status?: { conditions?: { type: string; status: string }[] } }>(
        "GET",
        trsPath(name),
      );
      return (o.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
    },
    Math.max(1, since + READY_WITHIN_MS - Date.now()),
  );
  console.log(`dependency order: ${name} Ready ${Date.now() - since} ms after its last object`);
  expect(deletesOf(tenant)).toHaveLength(1);
  expect(obshell.cluster.tenants.get(tenant)?.replicas.map((r) => r.zone)).toEqual(["z1", "z2"]);
}

function startOperator(): Operator {
  return startRecommendedOperator(kubeconfig, {
    logger: log.logger,
    namespaces: [ns],
    tenant: { dagPollMs: 50 },
    redis: { deletePollMs: 100 },
  });
}

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "order");
  const zones = ["z1", "z2", "z3"].map((name) => ({ name, region: "hz" }));
  obshell = new ObshellSimulator({
    password: PASSWORD,
    stageMs: 20,
    seed: {
      zones,
      tenants: [...tenants, "t_cluster", "t_rotate", "t_shared"].map((name) => ({
        name,
        zones: ["z1", "z2", "z3"],
      })),
    },
  });
  await obshell.start();
  obshellB = new ObshellSimulator({
    password: PASSWORD,
    stageMs: 20,
    seed: { zones, tenants: [{ name: "t_shared", zones: ["z1", "z2", "z3"] }] },
  });
  await obshellB.start();
  dcs = new DcsSimulator({
    credentials: [{ accessKey: AK, secretKey: SK }],
    projects: { [PROJECT]: ["cache-1", "cache-2"].map((name) => ({ name })) },
    deleteDelayMs: 50,
  });
  await dcs.start();
});

afterAll(async () => {
  await operator?.stop(2000);
  await obshell?.stop();
  await obshellB?.stop();
  await dcs?.stop();
  await raw.close();
});

describe("a set's dependencies in any order", () => {
  it.each(ORDERS.map((order, i) => ({ order: order.join(" -> "), i })))(
    "converges once the last arrives: $order",
    async ({ i }) => {
      operator ??= startOperator();
      const tenant = `t_live_${i}`;
      const objects = parts(tenant);
      let last = 0;
      for (const part of ORDERS[i] ?? []) {
        await raw.apply(objects[part]);
        last = Date.now();
      }
      await convergedOnce(tenant, last);
    },
  );

  it("converges in every order with the operator restarted between the first and the rest", async () => {
    const all = ORDERS.map((order, i) => ({
      order,
      objects: parts(`t_restart_${i}`),
      tenant: `t_restart_${i}`,
    }));
    await operator?.stop(2000);
    operator = undefined;
    for (const { order, objects } of all) await raw.apply(objects[order[0] as Part]);
    operator = startOperator();
    await eventually("the restarted operator's caches", () => operator?.manager.ready ?? false);
    for (const { order, objects } of all) await raw.apply(objects[order[1] as Part]);
    await operator.stop(2000);
    operator = startOperator();
    let last = 0;
    for (const { order, objects } of all) {
      await raw.apply(objects[order[2] as Part]);
      last = Date.now();
    }
    for (const { tenant } of all) await convergedOnce(tenant, last);
  });

  it("a ClusterDatabaseConnection that arrives last, its Secret in the operator's namespace", async () => {
    operator ??= startOperator();
    const name = `order-${ns}`;
    await raw.apply(tenantSet("t-cluster", "t_cluster", connectionRef(name, "ClusterDatabaseConnection")));
    await raw.apply(secret(CLUSTER_SECRET_NAMESPACE, name));
    await raw.apply(obshellConnection({ cluster: name, allowedNamespaces: [ns] }, obshell.url, name));
    await convergedOnce("t_cluster", Date.now());
    await raw.call("DELETE", `/apis/dbfleet.io/v1alpha1/clusterdatabaseconnections/${name}`);
    await raw.call("DELETE", `/api/v1/namespaces/${CLUSTER_SECRET_NAMESPACE}/secrets/${name}`);
  });

  it("follows a connection whose credentialsSecretRef changes to a Secret that exists", async () => {
    operator ??= startOperator();
    await raw.apply(secret(ns, "rotate-new"));
    await raw.apply(obshellConnection({ namespace: ns, name: "rotate-ob" }, obshell.url, "rotate-missing"));
    await raw.apply(tenantSet("t-rotate", "t_rotate", connectionRef("rotate-ob")));
    await eventually("t-rotate stalled on its missing Secret", async () => {
      const o = await raw.call<RawObject & { status?: { conditions?: { reason: string }[] } }>(
        "GET",
        trsPath("t-rotate"),
      );
      return (o.status?.conditions ?? []).some((c) => c.reason === "CredentialsMissing");
    });
    expect(deletesOf("t_rotate")).toEqual([]);
    await raw.apply(obshellConnection({ namespace: ns, name: "rotate-ob" }, obshell.url, "rotate-new"));
    await convergedOnce("t_rotate", Date.now());
  });

  it("a connection repointed onto a peer's tenant joins its ownership group: neither set removes a zone", async () => {
    operator ??= startOperator();
    const reason = async (name: string) => {
      const o = await raw.call<RawObject & { status?: { conditions?: { type: string; reason: string }[] } }>(
        "GET",
        trsPath(name),
      );
      return o.status?.conditions?.find((c) => c.type === "Ready")?.reason;
    };
    const keepAll = (name: string, connection: string, extra: Record<string, unknown> = {}): RawObject => ({
      ...tenantSet(name, "t_shared", {}),
      spec: {
        ...connectionRef(connection),
        tenant: "t_shared",
        zones: ["z1", "z2", "z3"],
        pollInterval: "10m",
        ...extra,
      },
    });
    await raw.apply(secret(ns, "shared-pw"));
    await raw.apply(obshellConnection({ namespace: ns, name: "shared-x" }, obshellB.url, "shared-pw"));
    await raw.apply(obshellConnection({ namespace: ns, name: "shared-y" }, obshell.url, "shared-pw"));
    // A paused set still names its tenant, and writes no status that would re-index it by chance.
    await raw.apply(keepAll("shared-a", "shared-x", { paused: true }));
    await raw.apply(keepAll("shared-b", "shared-y"));
    await eventually(
      "shared-a Paused, shared-b Converged on their own clusters",
      async () => (await reason("shared-a")) === "Paused" && (await reason("shared-b")) === "Converged",
    );
    // X now leads where Y does: both sets name t_shared on one cluster, and shared-b must learn it.
    await raw.apply(obshellConnection({ namespace: ns, name: "shared-x" }, obshell.url, "shared-pw"));
    await eventually(
      "shared-b sees shared-a",
      async () => (await reason("shared-b")) === "OwnershipConflict",
    );
    await raw.apply(tenantSet("shared-b", "t_shared", connectionRef("shared-y")));
    await eventually("shared-b still sees shared-a after its spec change", async () => {
      const o = await raw.call<
        RawObject & {
          metadata: { generation: number };
          status?: { conditions?: { type: string; reason: string; observedGeneration?: number }[] };
        }
      >("GET", trsPath("shared-b"));
      const ready = o.status?.conditions?.find((c) => c.type === "Ready");
      return ready?.observedGeneration === o.metadata.generation && ready.reason === "OwnershipConflict";
    });
    expect(deletesOf("t_shared")).toEqual([]);
    expect(obshellB.log.filter((e) => e.method === "DELETE")).toEqual([]);
  });

  it("a RedisInstanceSet whose DatabaseConnection arrives last; kubectl -o wide shows the connection's project", async () => {
    operator ??= startOperator();
    await raw.apply({
      apiVersion: "dbfleet.io/v1alpha1",
      kind: "RedisInstanceSet",
      metadata: { name: "cache", namespace: ns },
      spec: {
        ...connectionRef("cache-dcs"),
        selector: { namePrefix: "cache-" },
        instances: ["cache-1"],
        pollInterval: "10m",
      },
    });
    await raw.apply({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "cache-dcs", namespace: ns },
      stringData: { accessKey: AK, secretKey: SK },
    });
    await raw.apply(dcsConnection({ namespace: ns, name: "cache-dcs" }, dcs.url, PROJECT, "cache-dcs"));
    const last = Date.now();
    await eventually(
      `cache Ready within ${READY_WITHIN_MS} ms of its connection`,
      async () => {
        const o = await raw.call<
          RawObject & { status?: { conditions?: { type: string; status: string }[] } }
        >("GET", `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/redisinstancesets/cache`);
        return (o.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
      },
      Math.max(1, last + READY_WITHIN_MS - Date.now()),
    );
    const cache2 = dcs.deleted.find((i) => i.name === "cache-2")?.instance_id;
    expect(destructiveCalls({ dcs: dcs.log }).map((c) => c.target)).toEqual([`dcs:${PROJECT}/${cache2}`]);
    // The spec names no project (the connection does): the Project column reads status.
    const [header, row] = (await kubectlOk(["-n", ns, "get", "ris", "cache", "-o", "wide"], { kubeconfig }))
      .trim()
      .split("\n")
      .map((line) => line.split(/\s+/));
    expect(header?.slice(0, 2)).toEqual(["NAME", "PROJECT"]);
    expect(row?.slice(0, 2)).toEqual(["cache", PROJECT]);
  });

  it("the operator, as deploy/ grants it, was never refused by the API server", () => {
    expect(log.forbidden()).toEqual([]);
  });
});
