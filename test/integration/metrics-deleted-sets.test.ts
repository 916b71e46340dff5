// Issue 25, L4: the condition series of deleted sets stayed (11 of 300). A set deleted while its reconcile
// was in flight lost its series on the delete event, then the reconcile, ending after it, recorded them
// again. Now a reconcile records only for the object the cache still holds. 300 sets, Ready, deleted while
// their polls are slowed by the agent; one scrape afterwards holds none of their series. Real API server.
// The series exist only with --per-set-metrics (perSetMetrics) since issue 30.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { OperatorMetrics } from "../../src/observability/metrics.js";
import type { Operator } from "../../src/operator.js";
import { connectionRef, obshellConnection, startRecommendedOperator } from "../harness/connections.js";
import { eventually, quietLogger } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { RawApi, type RawObject } from "../harness/raw-api.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const PASSWORD = "metrics-forget-password";
const SETS = 300;
const tenants = Array.from({ length: SETS }, (_, i) => `t_${i}`);
const metrics = new OperatorMetrics({ defaultMetrics: false, perSetMetrics: true });
let ns = "";
let obshell: ObshellSimulator;
let operator: Operator | undefined;

type SetList = { items: { status?: { conditions?: { type: string; status: string }[] } }[] };
const collection = () => `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/tenantreplicasets`;

const tenantSet = (name: string, tenant: string, extra: Record<string, unknown> = {}): RawObject => ({
  apiVersion: "dbfleet.io/v1alpha1",
  kind: "TenantReplicaSet",
  metadata: { name, namespace: ns },
  spec: { ...connectionRef("obshell"), tenant, zones: ["z1", "z2"], pollInterval: "1s", ...extra },
});

/** The names of the sets of this test's namespace that have condition series in a scrape. */
async function namesWithSeries(): Promise<Set<string>> {
  const text = await metrics.registry.metrics();
  const names = new Set<string>();
  for (const line of text.split("\n"))
    if (line.startsWith("dbfleet_reconcile_condition{") && line.includes(`namespace="${ns}"`))
      names.add(/name="([^"]+)"/.exec(line)?.[1] ?? "");
  return names;
}

async function activeWorkers(): Promise<number> {
  const gauge = await metrics.registry.getSingleMetric("controller_runtime_active_workers")?.get();
  return (gauge?.values ?? [])
    .filter((v) => v.labels.controller === "tenantreplicaset")
    .reduce((sum, v) => sum + v.value, 0);
}

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "metrics-gone");
  obshell = new ObshellSimulator({
    password: PASSWORD,
    seed: {
      zones: ["z1", "z2"].map((name) => ({ name, region: "hz" })),
      tenants: tenants.map((name) => ({ name, zones: ["z1", "z2"] })),
    },
  });
  await obshell.start();
  await raw.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "obshell", namespace: ns },
    stringData: { password: PASSWORD },
  });
  await raw.apply(obshellConnection({ namespace: ns, name: "obshell" }, obshell.url));
  operator = startRecommendedOperator(kubeconfig, {
    logger: quietLogger,
    metrics,
    namespaces: [ns],
  });
}, 60_000);

afterAll(async () => {
  await operator?.stop(2000);
  await obshell?.stop();
  await raw.close();
});

describe("metric series of deleted sets", () => {
  it("are all gone after 300 Ready sets are deleted while their reconciles are in flight", async () => {
    for (const [i, tenant] of tenants.entries()) await raw.apply(tenantSet(`set-${i}`, tenant));
    await eventually(
      `${SETS} sets Ready`,
      async () => {
        const list = await raw.call<SetList>("GET", collection());
        return (
          list.items.filter((o) =>
            (o.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"),
          ).length === SETS
        );
      },
      240_000,
    );
    expect((await namesWithSeries()).size).toBe(SETS);

    // Slow answers keep reconciles in flight (every set polls each second) when the sets go.
    obshell.addFault({ kind: "latency", method: "GET", latencyMs: 300 });
    await eventually("a reconcile in flight", async () => (await activeWorkers()) > 0);
    await raw.call("DELETE", collection());

    // One watch stream carries the deletions and then this set: once it is reconciled, every deletion was
    // seen; once no worker is busy after that, every reconcile that began before a deletion has ended.
    await raw.apply(tenantSet("sentinel", "t_0", { paused: true }));
    await eventually("the sentinel's series", async () => (await namesWithSeries()).has("sentinel"), 60_000);
    await eventually("no reconcile in flight", async () => (await activeWorkers()) === 0, 60_000);

    expect([...(await namesWithSeries())]).toEqual(["sentinel"]);
  }, 360_000);
});
