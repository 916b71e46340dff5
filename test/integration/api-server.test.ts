import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { GROUP, VERSION } from "../../src/api/group.js";
import { badManifests, brokenManifest, loadManifests } from "../fixtures/manifests.js";
import { createTestNamespace, customObjects, kubeConfigFor } from "../harness/kube.js";
import { kubectl } from "../harness/kubectl.js";
import { RawApi, type RawObject } from "../harness/raw-api.js";

const kubeconfig = inject("kubeconfig");
const kc = kubeConfigFor(kubeconfig);
const api = customObjects(kc);
const { server, caPem, adminToken } = inject("apiServer");
const dispatcher = new Agent({ connect: { ca: caPem } });
const raw = new RawApi(server, caPem, adminToken);
let namespace = "";

const pluralOf = {
  TenantReplicaSet: "tenantreplicasets",
  RedisInstanceSet: "redisinstancesets",
  DatabaseConnection: "databaseconnections",
  ClusterDatabaseConnection: "clusterdatabaseconnections",
} as const;
type Obj = {
  metadata: { generation: number; resourceVersion: string };
  spec: Record<string, unknown>;
  status?: unknown;
};

function inNamespace(docs: RawObject[]): RawObject[] {
  return docs.map((d) => ({ ...d, metadata: { ...d.metadata, namespace } }));
}

async function getTrs(name: string): Promise<Obj> {
  return (await api.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: "tenantreplicasets",
    name,
  })) as Obj;
}

beforeAll(async () => {
  namespace = await createTestNamespace(kc, "apiserver");
  const examples = [
    ...loadManifests("examples/tenant-replica-set.yaml"),
    ...loadManifests("examples/redis-instance-set.yaml"),
  ];
  for (const doc of inNamespace(examples as RawObject[])) await raw.apply(doc);
});

afterAll(async () => {
  await dispatcher.close();
  await raw.close();
});

describe("the generated CRDs on a real API server", () => {
  it("accept the examples and store the schema defaults", async () => {
    const trs = await getTrs("orders");
    expect(trs.spec.zones).toEqual(["z1", "z2"]);
    expect(trs.spec.paused).toBe(false);
    expect(trs.spec.policy).toMatchObject({
      maxZonesPerOperation: 1,
      maxDagRetries: 3,
      onDagFailure: "Hold",
    });
    const ris = (await api.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: "redisinstancesets",
      name: "checkout-cache",
    })) as Obj;
    expect(ris.spec.policy).toMatchObject({ allowEmpty: false, recycle: true, maxDeletionsPerOperation: 10 });
  });

  it("accept the connection examples, the cluster-scoped one without a namespace, and store their defaults", async () => {
    const [cluster] = loadManifests("examples/cluster-database-connection.yaml").filter(
      (m) => m.kind === "ClusterDatabaseConnection",
    );
    if (!cluster) throw new Error("no ClusterDatabaseConnection example");
    const stored = await raw.apply({ ...(cluster as RawObject), metadata: { name: `${namespace}-shared` } });
    expect(stored.metadata.namespace).toBeUndefined();
    expect((stored.spec as { dcs?: unknown }).dcs).toMatchObject({
      allowInsecureHTTP: false,
      requestTimeout: "30s",
    });
    const namespaced = (await api.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: "databaseconnections",
      name: "obshell-prod",
    })) as { spec: { obshell: { tls: { insecureSkipVerify: boolean } } } };
    expect(namespaced.spec.obshell.tls.insecureSkipVerify).toBe(false);
  });

  it("accept the FleetDisruptionBudget examples cluster-scoped, default `per` to Fleet, and refuse a window over 24h", async () => {
    const budgets = loadManifests("examples/fleet-disruption-budget.yaml");
    expect(budgets.map((b) => b.kind)).toEqual(["FleetDisruptionBudget", "FleetDisruptionBudget"]);
    for (const budget of budgets) {
      const name = `${namespace}-${(budget as RawObject).metadata.name}`;
      // Limited to this file's namespace: a budget is cluster-wide, and other files' operators share the API server.
      const spec = { ...((budget as RawObject).spec as object), namespaces: [namespace] };
      const stored = await raw.apply({ ...(budget as RawObject), metadata: { name }, spec });
      expect(stored.metadata.namespace).toBeUndefined();
      expect(stored.spec).toEqual(spec);
    }
    const defaulted = await raw.apply({
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "FleetDisruptionBudget",
      metadata: { name: `${namespace}-defaulted` },
      spec: { window: "30m", maxInstancesDeleted: 5, namespaces: [namespace], unknownField: 1 },
    });
    // 1.20 prunes what the schema does not know; the operator's strict schema never sees it.
    expect(defaulted.spec).toEqual({
      window: "30m",
      per: "Fleet",
      maxInstancesDeleted: 5,
      namespaces: [namespace],
    });
    const refused = await api
      .createClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: "fleetdisruptionbudgets",
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: "FleetDisruptionBudget",
          metadata: { name: `${namespace}-too-long` },
          spec: { window: "25h", maxInstancesDeleted: 5 },
        },
      })
      .then(
        () => undefined,
        (e: unknown) => e as { code?: number; body?: unknown },
      );
    expect(refused?.code).toBe(422);
    expect(String(refused?.body)).toContain("spec.window");
  });

  it.each(badManifests.filter((b) => b.serverRejects).map((b) => [b.title, b] as const))(
    "reject %s with a message naming the field",
    async (_, bad) => {
      const manifest = {
        ...brokenManifest(bad, badManifests.indexOf(bad)),
        metadata: { name: `bad-${badManifests.indexOf(bad)}`, namespace },
      };
      const plural = pluralOf[bad.kind];
      const created =
        bad.kind === "ClusterDatabaseConnection"
          ? api.createClusterCustomObject({
              group: GROUP,
              version: VERSION,
              plural,
              body: { ...manifest, metadata: { name: manifest.metadata.name } },
            })
          : api.createNamespacedCustomObject({
              group: GROUP,
              version: VERSION,
              namespace,
              plural,
              body: manifest,
            });
      const error = await created.then(
        () => undefined,
        (e: unknown) => e as { code?: number; body?: unknown },
      );
      expect(error?.code).toBe(422);
      expect(String(error?.body)).toContain(bad.field);
    },
  );
});

describe("the status subresource", () => {
  it("keeps spec writes away from status and status writes away from spec; generation moves on spec only", async () => {
    const before = await getTrs("orders");
    const withStatus = (await api.replaceNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: "tenantreplicasets",
      name: "orders",
      body: {
        ...before,
        spec: { ...before.spec, zones: ["z9"] },
        status: { phase: "Reconciling", zones: ["z1", "z2", "z3"] },
      },
    })) as Obj;
    expect(withStatus.status).toEqual({ phase: "Reconciling", zones: ["z1", "z2", "z3"] });
    expect(withStatus.spec.zones).toEqual(["z1", "z2"]);
    expect(withStatus.metadata.generation).toBe(before.metadata.generation);

    const specChanged = (await api.replaceNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: "tenantreplicasets",
      name: "orders",
      body: { ...withStatus, spec: { ...withStatus.spec, zones: ["z1"] }, status: { phase: "Ready" } },
    })) as Obj;
    expect(specChanged.spec.zones).toEqual(["z1"]);
    expect(specChanged.status).toEqual({ phase: "Reconciling", zones: ["z1", "z2", "z3"] });
    expect(specChanged.metadata.generation).toBe(before.metadata.generation + 1);
  });

  it("refuses a status that breaks the status schema", async () => {
    const current = await getTrs("orders");
    const error = await api
      .replaceNamespacedCustomObjectStatus({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: "tenantreplicasets",
        name: "orders",
        body: { ...current, status: { observedGeneration: "one" } },
      })
      .then(
        () => undefined,
        (e: unknown) => e as { code?: number; body?: unknown },
      );
    expect(error?.code).toBe(422);
    expect(String(error?.body)).toContain("status.observedGeneration");
  });
});

describe("kubectl get trs,ris", () => {
  async function table(
    plural: string,
  ): Promise<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }> {
    const res = await request(`${server}/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${plural}`, {
      dispatcher,
      headers: {
        authorization: `Bearer ${adminToken}`,
        accept: "application/json;as=Table;v=v1;g=meta.k8s.io",
      },
    });
    expect(res.statusCode).toBe(200);
    return (await res.body.json()) as { columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
  }

  it("shows the printer columns of TenantReplicaSet", async () => {
    const t = await table("tenantreplicasets");
    expect(t.columnDefinitions.map((c) => c.name)).toEqual([
      "Name",
      "Tenant",
      "Desired",
      "Observed",
      "Ready",
      "Reason",
      "DAG",
      "Stage",
      "Connection",
      "Age",
      "Message",
    ]);
    const row = t.rows.find((r) => r.cells[0] === "orders");
    expect(row?.cells[1]).toBe("orders");
    expect(row?.cells[2]).toBe('["z1"]');
  });

  it("shows the printer columns of RedisInstanceSet", async () => {
    const t = await table("redisinstancesets");
    expect(t.columnDefinitions.map((c) => c.name)).toEqual([
      "Name",
      "Project",
      "Desired",
      "Observed",
      "Ready",
      "Reason",
      "Connection",
      "Age",
      "Message",
    ]);
    expect(t.rows.find((r) => r.cells[0] === "checkout-cache")?.cells[2]).toBe('["cache-eu-1","cache-eu-2"]');
  });
});

// The README's "deleting" row: a set held by someone's finalizer (the operator adds none) is deleting, and the
// API server bumps metadata.generation when it sets deletionTimestamp; the operator reconciles no deleting
// set, so its Ready condition stays at the older generation and `kubectl wait --for=condition=Ready` waits
// out its --timeout. `--for=delete` is what returns.
describe("kubectl wait on a deleting set", () => {
  const path = () => `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/tenantreplicasets/held`;
  const wait = (...args: string[]) => kubectl(["-n", namespace, "wait", "trs/held", ...args], { kubeconfig });

  it("times out on condition=Ready once the deletion bumped the generation; --for=delete returns", async () => {
    const created = await raw.apply({
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "TenantReplicaSet",
      metadata: { name: "held", namespace, finalizers: ["example.com/hold"] },
      spec: {
        obshell: { endpoint: "https://ob.example:2886", credentialsSecretRef: { name: "obshell" } },
        tenant: "held",
        zones: ["z1"],
      },
    });
    const generation = created.metadata.generation as number;
    await raw.call("PUT", `${path()}/status`, {
      ...created,
      status: {
        observedGeneration: generation,
        phase: "Ready",
        conditions: [
          {
            type: "Ready",
            status: "True",
            reason: "Converged",
            message: "zones z1",
            observedGeneration: generation,
            lastTransitionTime: new Date().toISOString(),
          },
        ],
      },
    });
    expect((await wait("--for=condition=Ready", "--timeout=30s")).code).toBe(0);

    await raw.call("DELETE", path());
    const deleting = await raw.call("GET", path());
    expect(deleting.metadata.deletionTimestamp).toBeDefined();
    expect(deleting.metadata.generation).toBe(generation + 1);
    const ready = await wait("--for=condition=Ready", "--timeout=1s");
    expect(ready.code).not.toBe(0);
    expect(ready.stderr).toMatch(/timed out/);

    await raw.call(
      "PATCH",
      path(),
      [{ op: "remove", path: "/metadata/finalizers" }],
      "application/json-patch+json",
    );
    expect((await wait("--for=delete", "--timeout=30s")).code).toBe(0);
  });
});
