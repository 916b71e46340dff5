// Kubernetes helpers for tests: clients for the harness identities, CRD install, namespaces.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { loadAll } from "js-yaml";
import type { RawApi, RawObject } from "./raw-api.js";

const repoRoot = join(import.meta.dirname, "..", "..");

export function kubeConfigFor(kubeconfigPath: string, context: "admin" | "operator" = "admin"): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  kc.setCurrentContext(context);
  return kc;
}

export function crdDocuments(): RawObject[] {
  const dir = join(repoRoot, "crds");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
    .sort()
    .flatMap((f) => loadAll(readFileSync(join(dir, f), "utf8")) as RawObject[]);
}

/** Applies crds/ and waits until every CRD is Established. */
export async function installCrds(kc: KubeConfig, raw: RawApi): Promise<void> {
  const docs = crdDocuments();
  for (const doc of docs) await raw.apply(doc);
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const deadline = Date.now() + 30_000;
  for (const doc of docs) {
    const name = doc.metadata?.name ?? "";
    for (;;) {
      const crd = await api.readCustomResourceDefinition({ name });
      if (crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A fresh namespace for one test file, so files can share the API server. */
export async function createTestNamespace(kc: KubeConfig, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

export function customObjects(kc: KubeConfig): CustomObjectsApi {
  return kc.makeApiClient(CustomObjectsApi);
}

/** The namespace deploy/ installs the operator into: its Leases and ClusterDatabaseConnection Secrets. */
export const OPERATOR_NAMESPACE = "dbfleet-system";

/**
 * Leader election for a test's replicas: the Lease in deploy/'s namespace (its Role allows no other), with
 * timings short enough that a standby takes over within seconds.
 */
export function testLeaderElection(lease: string, identity: string) {
  return {
    namespace: OPERATOR_NAMESPACE,
    name: lease,
    identity,
    leaseDurationMs: 3000,
    renewDeadlineMs: 2000,
    retryPeriodMs: 300,
  };
}

/**
 * What deploy/ grants the operator, bound to the harness's non-admin identity `user`: the namespace, the
 * ClusterRole of deploy/cluster/rbac.yaml and the Lease Role of deploy/operator/leader-election.yaml (the
 * manifests' own rules; only the subject is the test user instead of the ServiceAccount).
 */
export async function bindOperatorIdentity(raw: RawApi, user: string): Promise<void> {
  const subject = { apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user };
  await raw.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: OPERATOR_NAMESPACE } });
  const cluster = loadAll(
    readFileSync(join(repoRoot, "deploy", "cluster", "rbac.yaml"), "utf8"),
  ) as RawObject[];
  for (const doc of cluster) if (doc.kind === "ClusterRole") await raw.apply(doc);
  await raw.apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: "dbfleet-operator-test-identity" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "dbfleet-operator" },
    subjects: [subject],
  });
  const leases = loadAll(
    readFileSync(join(repoRoot, "deploy", "operator", "leader-election.yaml"), "utf8"),
  ) as RawObject[];
  for (const doc of leases) {
    if (doc.kind === "Role") await raw.apply(doc);
    // Its own name: deploy/'s RoleBinding (bound to the ServiceAccount) is applied by the deploy tests.
    if (doc.kind === "RoleBinding")
      await raw.apply({
        ...doc,
        metadata: { ...doc.metadata, name: "dbfleet-operator-leader-election-test-identity" },
        subjects: [subject],
      });
  }
}
