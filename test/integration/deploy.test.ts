// deploy/ on the real API server through the real kubectl: both ways users install the CRDs
// (`kubectl apply -f crds/`, `kubectl apply -k deploy/`), the hardened objects, the priority-class
// option; and the ServiceAccount it binds can do what the operator needs and nothing more. On an API
// server without policy/v1 (the harness's 1.20) deploy/ is applied with the one documented adaptation,
// components/kubernetes-1.20, as a user on 1.20 would: nothing else is rewritten.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { dump } from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import {
  type KubectlResult,
  kubectl,
  kubectlOk,
  kustomize,
  repoRoot,
  serviceAccountToken,
  toYaml,
} from "../harness/kubectl.js";
import { RawApi, RawApiError, type RawObject } from "../harness/raw-api.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
let sa: RawApi;
let other = "";
let crdsApply: KubectlResult;
let deployApply: KubectlResult;
let rendered: RawObject[] = [];
/** Whether the API server serves policy/v1 (1.21 and later); the harness's 1.20 does not. */
let servesPolicyV1 = true;
/** What was applied: `deploy/`, or a kustomization of deploy/ with components/kubernetes-1.20. */
let applied = "";

type Container = {
  image: string;
  args: string[];
  ports: { name: string; containerPort: number }[];
  securityContext: Record<string, unknown>;
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
};
type PodTemplate = {
  metadata: { labels: Record<string, string> };
  spec: {
    containers: Container[];
    priorityClassName?: string;
    topologySpreadConstraints?: {
      maxSkew: number;
      topologyKey: string;
      labelSelector: { matchLabels: Record<string, string> };
    }[];
  };
};
type Deployment = RawObject & {
  spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: PodTemplate };
};
type NetworkPolicyPort = { port: number | string; protocol: string };

async function get<T>(kind: string, name: string): Promise<T> {
  return JSON.parse(
    await kubectlOk(["-n", "dbfleet-system", "get", kind, name, "-o", "json"], { kubeconfig }),
  ) as T;
}

const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** kubectl's stderr without its warnings (kubectl warns when it adopts an object the harness created). */
const errorsIn = (stderr: string) =>
  stderr.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("Warning: "));

/**
 * A kustomization in a temporary folder of `resources` and `components` (folders of this repository),
 * as a user writes one; removed by the returned function.
 */
function kustomization(resources: string[], components: string[]): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "dbfleet-kustomize-"));
  // Kustomize takes relative paths only.
  const rel = (p: string) => relative(dir, join(repoRoot, p));
  writeFileSync(
    join(dir, "kustomization.yaml"),
    dump({
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      resources: resources.map(rel),
      components: components.map(rel),
    }),
  );
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

async function status(call: Promise<unknown>): Promise<number> {
  return call.then(
    () => 200,
    (e: unknown) => (e instanceof RawApiError ? e.status : 0),
  );
}

beforeAll(async () => {
  crdsApply = await kubectl(["apply", "-f", "crds/"], { kubeconfig });
  rendered = await kustomize("deploy");
  servesPolicyV1 = (await kubectlOk(["api-versions"], { kubeconfig })).split("\n").includes("policy/v1");
  if (servesPolicyV1) {
    applied = "deploy/";
    deployApply = await kubectl(["apply", "-k", "deploy/"], { kubeconfig });
  } else {
    const k = kustomization(["deploy"], ["deploy/components/kubernetes-1.20"]);
    applied = "deploy/ with components/kubernetes-1.20";
    deployApply = await kubectl(["apply", "-k", k.dir], { kubeconfig });
    k.remove();
  }
  other = await createTestNamespace(kubeConfigFor(kubeconfig), "deploy");
  await raw.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "creds", namespace: other },
    stringData: { password: "x" },
  });
  sa = new RawApi(server, caPem, await serviceAccountToken(raw, "dbfleet-system", "dbfleet-operator"));
}, 120_000);
afterAll(async () => {
  await raw.close();
  await sa?.close();
});

describe("installing the CRDs", () => {
  it("kubectl apply -f crds/ applies the five CRDs and nothing else", () => {
    expect(errorsIn(crdsApply.stderr)).toEqual([]);
    expect(crdsApply.code).toBe(0);
    expect(crdsApply.stdout.trim().split("\n").sort()).toEqual([
      expect.stringMatching(
        /^customresourcedefinition.apiextensions.k8s.io\/clusterdatabaseconnections.dbfleet.io /,
      ),
      expect.stringMatching(
        /^customresourcedefinition.apiextensions.k8s.io\/databaseconnections.dbfleet.io /,
      ),
      expect.stringMatching(
        /^customresourcedefinition.apiextensions.k8s.io\/fleetdisruptionbudgets.dbfleet.io /,
      ),
      expect.stringMatching(/^customresourcedefinition.apiextensions.k8s.io\/redisinstancesets.dbfleet.io /),
      expect.stringMatching(/^customresourcedefinition.apiextensions.k8s.io\/tenantreplicasets.dbfleet.io /),
    ]);
  });

  it("kubectl apply -k deploy/ applies the CRDs, the namespace, RBAC and the operator", () => {
    expect(errorsIn(deployApply.stderr), applied).toEqual([]);
    expect(deployApply.code).toBe(0);
    const kinds = rendered.map((d) => d.kind).sort();
    expect(kinds).toEqual(
      [
        "ClusterRole",
        "ClusterRole",
        "ClusterRole",
        "ClusterRole",
        "ClusterRole",
        "ClusterRole",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "CustomResourceDefinition",
        "CustomResourceDefinition",
        "CustomResourceDefinition",
        "CustomResourceDefinition",
        "Deployment",
        "Namespace",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Role",
        "RoleBinding",
        "Service",
        "ServiceAccount",
      ].sort(),
    );
    // Every rendered object reported by kubectl as created, configured or unchanged.
    expect(deployApply.stdout.trim().split("\n")).toHaveLength(rendered.length);
  });
});

describe("deploy/", () => {
  it("runs two restricted replicas spread over nodes, probes on their own port apart from metrics", async () => {
    const deployment = await get<Deployment>("deployment", "dbfleet-operator");
    expect(deployment.spec.replicas).toBe(2);
    const pod = deployment.spec.template;
    const container = pod.spec.containers[0];
    expect(container?.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    expect(container?.ports).toEqual([
      { name: "metrics", containerPort: 8080, protocol: "TCP" },
      { name: "probes", containerPort: 8081, protocol: "TCP" },
    ]);
    expect(container?.args).toEqual(
      expect.arrayContaining(["--metrics-port=8080", "--health-probe-bind-address=:8081"]),
    );
    expect(container?.livenessProbe.httpGet).toMatchObject({ path: "/healthz", port: "probes" });
    expect(container?.readinessProbe.httpGet).toMatchObject({ path: "/readyz", port: "probes" });
    const spread = pod.spec.topologySpreadConstraints?.[0];
    expect(spread?.topologyKey).toBe("kubernetes.io/hostname");
    expect(spread?.maxSkew).toBe(1);
    expect(selects(spread?.labelSelector.matchLabels ?? {}, pod.metadata.labels)).toBe(true);
  });

  it("tags the image with package.json's version, and labels every object of deploy/ and its overlays with it", async () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      version: string;
    };
    const deployment = rendered.find((d) => d.kind === "Deployment") as Deployment;
    expect(deployment.spec.template.spec.containers[0]?.image).toBe(`dbfleet-operator:${version}`);
    const recommended = ["name", "instance", "version", "component", "part-of", "managed-by"];
    for (const dir of ["deploy", "deploy/overlays/namespaced", "deploy/overlays/sharded"])
      for (const d of dir === "deploy" ? rendered : await kustomize(dir)) {
        const labels = (d.metadata.labels ?? {}) as Record<string, string>;
        const what = `${dir}: ${d.kind}/${d.metadata.name}`;
        expect(
          recommended.filter((k) => !labels[`app.kubernetes.io/${k}`]),
          what,
        ).toEqual([]);
        expect(labels["app.kubernetes.io/version"], what).toBe(version);
      }
    // The labels never reach a selector (a Deployment's is immutable).
    expect(deployment.spec.selector.matchLabels).toEqual({ "app.kubernetes.io/name": "dbfleet-operator" });
  });

  it("keeps one replica up through voluntary disruptions (PodDisruptionBudget)", async () => {
    const deployment = await get<Deployment>("deployment", "dbfleet-operator");
    const pdb = await get<{
      spec: { maxUnavailable: number; selector: { matchLabels: Record<string, string> } };
    }>("poddisruptionbudget", "dbfleet-operator");
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(selects(pdb.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
  });

  it("uses only API versions Kubernetes 1.21+ serves; components/kubernetes-1.20 changes only the PDB's", async () => {
    // policy/v1 PodDisruptionBudget is the one object newer than 1.20 (1.21+); everything else is served
    // by 1.20 (the harness), where the rest of this file applies it.
    expect(rendered.filter((d) => d.apiVersion === "policy/v1").map((d) => d.kind)).toEqual([
      "PodDisruptionBudget",
    ]);
    const k = kustomization(["deploy"], ["deploy/components/kubernetes-1.20"]);
    try {
      const adapted = await kustomize(k.dir);
      const pdbAsV1beta1 = rendered.map((d) =>
        d.kind === "PodDisruptionBudget" ? { ...d, apiVersion: "policy/v1beta1" } : d,
      );
      expect(adapted).toEqual(pdbAsV1beta1);
    } finally {
      k.remove();
    }
    const pdb = await kubectl(["-n", "dbfleet-system", "get", "poddisruptionbudget", "dbfleet-operator"], {
      kubeconfig,
    });
    expect(pdb.code).toBe(0);
    // On this server, deploy/ as shipped is refused for its PodDisruptionBudget and nothing else.
    if (!servesPolicyV1) {
      const plain = await kubectl(["apply", "--dry-run=server", "-k", "deploy/"], { kubeconfig });
      expect(plain.code).not.toBe(0);
      const errors = errorsIn(plain.stderr).filter((l) => l.startsWith("error:"));
      expect(errors).toEqual([expect.stringMatching(/kind "PodDisruptionBudget" in version "policy\/v1"/)]);
    }
  });

  it("lets in only the metrics and probe ports and out only DNS and the API server (NetworkPolicy)", async () => {
    const deployment = await get<Deployment>("deployment", "dbfleet-operator");
    const policy = await get<{
      spec: {
        podSelector: { matchLabels: Record<string, string> };
        policyTypes: string[];
        ingress: { from?: unknown; ports: NetworkPolicyPort[] }[];
        egress: { to?: unknown; ports: NetworkPolicyPort[] }[];
      };
    }>("networkpolicy", "dbfleet-operator");
    expect(selects(policy.spec.podSelector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
    expect(policy.spec.policyTypes.sort()).toEqual(["Egress", "Ingress"]);
    const ports = (rules: { ports: NetworkPolicyPort[] }[]) =>
      rules.flatMap((r) => r.ports.map((p) => `${p.protocol}/${p.port}`)).sort();
    const containerPorts = deployment.spec.template.spec.containers[0]?.ports.map(
      (p) => `TCP/${p.containerPort}`,
    );
    expect(ports(policy.spec.ingress)).toEqual(containerPorts?.sort());
    expect(ports(policy.spec.egress)).toEqual(["TCP/443", "TCP/53", "TCP/6443", "UDP/53"]);
  });

  it("exposes metrics of every operator pod on the metrics port (Service)", async () => {
    const deployment = await get<Deployment>("deployment", "dbfleet-operator");
    const service = await get<{
      spec: { selector: Record<string, string>; ports: { name: string; targetPort: string }[] };
    }>("service", "dbfleet-operator-metrics");
    expect(selects(service.spec.selector, deployment.spec.template.metadata.labels)).toBe(true);
    expect(service.spec.ports).toMatchObject([{ name: "metrics", targetPort: "metrics", protocol: "TCP" }]);
    // Stated in the manifest, not left to the API server's default: server-side apply (Flux, Argo CD,
    // `kubectl apply --server-side`) refuses a port without it on older servers, as protocol is a key of
    // the ports list.
    const serviceManifest = rendered.find((d) => d.kind === "Service") as RawObject & {
      spec: { ports: { protocol?: string }[] };
    };
    expect(serviceManifest.spec.ports.map((p) => p.protocol)).toEqual(["TCP"]);
    const k = kustomization(["deploy"], servesPolicyV1 ? [] : ["deploy/components/kubernetes-1.20"]);
    try {
      const serverSide = await kubectl(
        ["apply", "--server-side", "--force-conflicts", "--dry-run=server", "-k", k.dir],
        { kubeconfig },
      );
      expect(errorsIn(serverSide.stderr)).toEqual([]);
      expect(serverSide.code).toBe(0);
    } finally {
      k.remove();
    }
  });

  it("components/priority-class gives the operator a PriorityClass the API server resolves", async () => {
    const k = kustomization(["deploy"], ["deploy/components/priority-class"]);
    try {
      const docs = await kustomize(k.dir);
      const priorityClass = docs.find((d) => d.kind === "PriorityClass");
      const deployment = docs.find((d) => d.kind === "Deployment") as Deployment;
      expect(priorityClass?.metadata.name).toBe("dbfleet-operator");
      expect(deployment.spec.template.spec.priorityClassName).toBe("dbfleet-operator");
      await kubectlOk(["apply", "-f", "-"], {
        kubeconfig,
        stdin: toYaml(priorityClass ? [priorityClass] : []),
      });
      // A pod from the template, as the ReplicaSet would create it (dry run: envtest has no scheduler):
      // the Priority admission plugin resolves the class to its value, or refuses an unknown one.
      const pod = (priorityClassName: string) => ({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "priority-probe", namespace: "dbfleet-system" },
        spec: { ...deployment.spec.template.spec, priorityClassName, automountServiceAccountToken: false },
      });
      const admitted = JSON.parse(
        await kubectlOk(["create", "--dry-run=server", "-o", "json", "-f", "-"], {
          kubeconfig,
          stdin: JSON.stringify(pod("dbfleet-operator")),
        }),
      ) as { spec: { priority: number } };
      expect(admitted.spec.priority).toBe((priorityClass as RawObject & { value: number }).value);
      const refused = await kubectl(["create", "--dry-run=server", "-f", "-"], {
        kubeconfig,
        stdin: JSON.stringify(pod("no-such-class")),
      });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain("no-such-class");
    } finally {
      k.remove();
    }
  });

  it("overlays/namespaced grants in each watched namespace exactly the ClusterRole's namespaced rules", async () => {
    const clusterRole = rendered.find(
      (d) => d.kind === "ClusterRole" && d.metadata.name === "dbfleet-operator",
    ) as RawObject & { rules: { resources: string[] }[] };
    // ClusterDatabaseConnections and FleetDisruptionBudgets are cluster-scoped: a Role cannot grant them (the
    // overlay turns both off);
    // nor the reviews of secure metrics (the overlay serves plain HTTP metrics).
    const clusterScoped = [
      "clusterdatabaseconnections",
      "fleetdisruptionbudgets",
      "tokenreviews",
      "subjectaccessreviews",
    ];
    const namespacedRules = clusterRole.rules
      .map((r) => ({ ...r, resources: r.resources.filter((x) => !clusterScoped.includes(x)) }))
      .filter((r) => r.resources.length > 0);
    const namespaced = await kustomize("deploy/overlays/namespaced");
    const roles = namespaced.filter(
      (d) => d.kind === "Role" && d.metadata.name === "dbfleet-operator",
    ) as (RawObject & { rules: unknown[] })[];
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) expect(role.rules).toEqual(namespacedRules);
    const args = (namespaced.find((d) => d.kind === "Deployment") as Deployment).spec.template.spec
      .containers[0]?.args;
    expect(args).toContain("--metrics-secure=false");
    expect(args).not.toContain("--metrics-secure=true");
    expect(args).toContain("--disruption-budgets=false");
    expect(
      namespaced.filter((d) => d.kind.startsWith("Cluster") || d.kind === "CustomResourceDefinition"),
    ).toEqual([]);
  });
});

describe("the ServiceAccount deploy/ binds", () => {
  it("lets the operator do its job", async () => {
    expect(await status(sa.call("GET", "/apis/dbfleet.io/v1alpha1/tenantreplicasets"))).toBe(200);
    expect(await status(sa.call("GET", "/apis/dbfleet.io/v1alpha1/redisinstancesets?watch=0"))).toBe(200);
    expect(await status(sa.call("GET", `/api/v1/namespaces/${other}/secrets/creds`))).toBe(200);
    expect(
      await status(
        sa.call("POST", `/api/v1/namespaces/${other}/events`, {
          apiVersion: "v1",
          kind: "Event",
          metadata: { name: "probe.1", namespace: other },
          involvedObject: { kind: "Secret", name: "creds", namespace: other },
          reason: "Probe",
          message: "rbac probe",
        }),
      ),
    ).toBe(200);
    expect(
      await status(
        sa.call("POST", "/apis/coordination.k8s.io/v1/namespaces/dbfleet-system/leases", {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name: `rbac-probe-${other}` },
          spec: { holderIdentity: "probe" },
        }),
      ),
    ).toBe(200);
  });

  it("denies it everything else: deleting Secrets, writing specs, Leases outside its namespace", async () => {
    expect(await status(sa.call("DELETE", `/api/v1/namespaces/${other}/secrets/creds`))).toBe(403);
    expect(
      await status(
        sa.call("PUT", `/api/v1/namespaces/${other}/secrets/creds`, {
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: "creds" },
        }),
      ),
    ).toBe(403);
    expect(
      await status(
        sa.call("POST", `/apis/dbfleet.io/v1alpha1/namespaces/${other}/tenantreplicasets`, {
          apiVersion: "dbfleet.io/v1alpha1",
          kind: "TenantReplicaSet",
          metadata: { name: "x" },
        }),
      ),
    ).toBe(403);
    expect(
      await status(
        sa.call("POST", `/apis/coordination.k8s.io/v1/namespaces/${other}/leases`, {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name: "x" },
          spec: {},
        }),
      ),
    ).toBe(403);
    expect(await status(sa.call("GET", "/api/v1/namespaces/kube-system/configmaps"))).toBe(403);
  });
});
