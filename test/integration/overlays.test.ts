// deploy/overlays on the real API server: each is rendered with `kubectl kustomize`, applied with
// `kubectl apply`, and the operator runs with its Deployment's arguments under a token of the overlay's
// ServiceAccount. It reconciles the sets in its scope and can do no more than it needs.
// Each overlay is moved to fresh namespaces (and cluster-scoped names) so it cannot meet another
// file's objects on the shared API server; see relocate().
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, inject, it } from "vitest";
import { eventually } from "../harness/engine.js";
import {
  canI,
  deploymentArgs,
  forServer,
  kubectlOk,
  kustomize,
  type OperatorProcess,
  pausedTenantSet,
  phaseOf,
  relocate,
  serviceAccountToken,
  startOperator,
  tokenKubeconfig,
  toYaml,
} from "../harness/kubectl.js";
import { RawApi } from "../harness/raw-api.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await raw.close();
});

const suffix = () => randomBytes(3).toString("hex");

/** Flags for a test run beside a Deployment's: loopback ports, a fast lease retry, a named identity. */
function testFlags(saKubeconfig: string, identity: string): string[] {
  return [
    `--kubeconfig=${saKubeconfig}`,
    "--metrics-port=0",
    "--metrics-host=127.0.0.1",
    "--health-probe-bind-address=127.0.0.1:0",
    "--retry-period=200ms",
    `--identity=${identity}`,
  ];
}

function run(args: string[], operatorNamespace: string): OperatorProcess {
  const operator = startOperator(args, { POD_NAMESPACE: operatorNamespace });
  cleanups.push(() => operator.stop());
  return operator;
}

async function leaseHolder(namespace: string, name: string): Promise<string | undefined> {
  const lease = await raw
    .call<{ spec: { holderIdentity?: string } }>(
      "GET",
      `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`,
    )
    .catch(() => undefined);
  return lease?.spec.holderIdentity;
}

async function createNamespace(name: string): Promise<void> {
  await raw.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
}

describe("overlays/namespaced", () => {
  it("runs with Roles in its watched namespaces only, and reconciles the sets there", async () => {
    const id = suffix();
    const operatorNs = `nsd-op-${id}`;
    const watched = `nsd-db-${id}`;
    const elsewhere = `nsd-other-${id}`;
    // What the overlay's header asks a cluster admin to do first: the CRDs (the harness has) and the namespace.
    for (const ns of [operatorNs, watched, elsewhere]) await createNamespace(ns);
    const rendered = relocate(await kustomize("deploy/overlays/namespaced"), {
      namespaces: { "dbfleet-system": operatorNs, databases: watched },
      clusterSuffix: `-${id}`,
    });
    expect(rendered.filter((d) => d.kind.startsWith("Cluster"))).toEqual([]);
    await kubectlOk(["apply", "-f", "-"], {
      kubeconfig,
      stdin: toYaml(await forServer(kubeconfig, rendered)),
    });

    const sa = tokenKubeconfig(server, caPem, await serviceAccountToken(raw, operatorNs, "dbfleet-operator"));
    cleanups.push(sa.remove);
    // What it needs, in the watched namespace and for its Lease.
    expect(await canI(sa.path, ["watch", "tenantreplicasets.dbfleet.io", "-n", watched])).toBe(true);
    expect(
      await canI(sa.path, ["update", "tenantreplicasets.dbfleet.io", "--subresource=status", "-n", watched]),
    ).toBe(true);
    expect(await canI(sa.path, ["list", "secrets", "-n", watched])).toBe(true);
    expect(await canI(sa.path, ["create", "events", "-n", watched])).toBe(true);
    expect(await canI(sa.path, ["update", "leases.coordination.k8s.io", "-n", operatorNs])).toBe(true);
    // Nothing more: no other namespace, nothing cluster-wide, no spec or Secret writes.
    expect(await canI(sa.path, ["list", "tenantreplicasets.dbfleet.io", "-n", elsewhere])).toBe(false);
    expect(await canI(sa.path, ["list", "tenantreplicasets.dbfleet.io", "--all-namespaces"])).toBe(false);
    expect(await canI(sa.path, ["get", "secrets", "-n", elsewhere])).toBe(false);
    expect(await canI(sa.path, ["update", "tenantreplicasets.dbfleet.io", "-n", watched])).toBe(false);
    expect(await canI(sa.path, ["delete", "secrets", "-n", watched])).toBe(false);
    expect(await canI(sa.path, ["create", "leases.coordination.k8s.io", "-n", watched])).toBe(false);

    await raw.apply(pausedTenantSet(watched, "in-scope"));
    await raw.apply(pausedTenantSet(elsewhere, "out-of-scope"));
    const args = deploymentArgs(rendered, "dbfleet-operator");
    expect(args).toContain(`--namespace=${watched}`);
    const operator = run([...args, ...testFlags(sa.path, `namespaced-${id}`)], operatorNs);
    const { probes } = await operator.urls();
    await eventually("readyz 200", async () => (await fetch(`${probes}/readyz`)).status === 200, 20_000);
    await eventually(
      "the watched namespace's set Paused",
      async () => (await phaseOf(raw, watched, "in-scope")) === "Paused",
      20_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\noperator output:\n${operator.output()}`);
    });
    expect(await leaseHolder(operatorNs, leaseNameFrom(operator.output()))).toBe(`namespaced-${id}`);
    expect(await phaseOf(raw, elsewhere, "out-of-scope")).toBeUndefined();
    expect(operator.output()).not.toMatch(/forbidden/i);
    expect(await operator.stop()).toBe(0);
  });
});

describe("overlays/sharded", () => {
  it("splits the sets between two Deployments by label, each leading on its own Lease", async () => {
    const id = suffix();
    const operatorNs = `shd-op-${id}`;
    const sets = `shd-sets-${id}`;
    await createNamespace(sets);
    const rendered = relocate(await kustomize("deploy/overlays/sharded"), {
      namespaces: { "dbfleet-system": operatorNs },
      clusterSuffix: `-${id}`,
    });
    const deployments = rendered.filter((d) => d.kind === "Deployment").map((d) => d.metadata.name);
    expect(deployments.sort()).toEqual(["dbfleet-operator", "dbfleet-operator-shard1"]);
    await kubectlOk(["apply", "-f", "-"], {
      kubeconfig,
      stdin: toYaml(await forServer(kubeconfig, rendered)),
    });

    const sa = tokenKubeconfig(server, caPem, await serviceAccountToken(raw, operatorNs, "dbfleet-operator"));
    cleanups.push(sa.remove);
    expect(await canI(sa.path, ["watch", "tenantreplicasets.dbfleet.io", "--all-namespaces"])).toBe(true);
    expect(await canI(sa.path, ["update", "tenantreplicasets.dbfleet.io", "-n", sets])).toBe(false);
    expect(await canI(sa.path, ["delete", "secrets", "-n", sets])).toBe(false);
    expect(await canI(sa.path, ["create", "leases.coordination.k8s.io", "-n", sets])).toBe(false);

    await raw.apply(pausedTenantSet(sets, "unsharded"));
    await raw.apply(pausedTenantSet(sets, "sharded", { "dbfleet.io/shard": "shard1" }));
    // The shards are cluster-wide; --namespace keeps this run off other files' sets on the shared server.
    const scoped = (name: string) => [
      ...deploymentArgs(rendered, name),
      `--namespace=${sets}`,
      ...testFlags(sa.path, `${name}-${id}`),
    ];

    // shard1 alone: it takes its labelled set and leaves the other to the main Deployment.
    const shard1 = run(scoped("dbfleet-operator-shard1"), operatorNs);
    await eventually(
      "shard1's set Paused",
      async () => (await phaseOf(raw, sets, "sharded")) === "Paused",
      20_000,
    );
    await eventually(
      "shard1 leading on its own Lease",
      async () =>
        (await leaseHolder(operatorNs, "dbfleet-operator-shard1")) === `dbfleet-operator-shard1-${id}`,
    );
    expect(await phaseOf(raw, sets, "unsharded")).toBeUndefined();

    const main = run(scoped("dbfleet-operator"), operatorNs);
    await eventually(
      "the unlabelled set Paused",
      async () => (await phaseOf(raw, sets, "unsharded")) === "Paused",
      20_000,
    );
    await eventually(
      "main leading on its own Lease",
      async () => (await leaseHolder(operatorNs, "dbfleet-operator")) === `dbfleet-operator-${id}`,
    );
    // Both lead at once: two Leases, not one contested.
    expect(await leaseHolder(operatorNs, "dbfleet-operator-shard1")).toBe(`dbfleet-operator-shard1-${id}`);
    for (const operator of [shard1, main]) {
      expect(operator.output()).not.toMatch(/forbidden/i);
      expect(await operator.stop()).toBe(0);
    }
  });
});

/** The Lease the operator said it uses, from its start log line. */
function leaseNameFrom(output: string): string {
  const lease = /"lease":"([^"]+)"/.exec(output)?.[1];
  if (!lease) throw new Error(`no lease in the operator's output:\n${output}`);
  return lease;
}
