// `make release`: dist/install.yaml (deploy/ in one file, labelled with package.json's version) applied
// on the real API server, with the adaptation the README documents for Kubernetes 1.20 (this harness's
// API server), and dist/sbom.cdx.json listing exactly the production dependency tree.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { loadAll } from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { canI, kubectl, kubectlOk, kustomize, relocate, repoRoot, toYaml } from "../harness/kubectl.js";
import { RawApi, type RawObject } from "../harness/raw-api.js";

const run = promisify(execFile);
const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const { version, dependencies } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  version: string;
  dependencies: Record<string, string>;
};
const out = mkdtempSync(join(tmpdir(), "dbfleet-release-"));
let installText = "";
let install: RawObject[] = [];

const RECOMMENDED = ["name", "instance", "version", "component", "part-of", "managed-by"].map(
  (k) => `app.kubernetes.io/${k}`,
);

const errorsIn = (stderr: string) =>
  stderr.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("Warning: "));
const labelsOf = (d: RawObject) => (d.metadata.labels ?? {}) as Record<string, string>;

beforeAll(async () => {
  await run("make", ["-s", "release", `RELEASE_DIR=${out}`], { cwd: repoRoot });
  installText = readFileSync(join(out, "install.yaml"), "utf8");
  install = (loadAll(installText) as RawObject[]).filter(Boolean);
}, 120_000);
afterAll(async () => {
  rmSync(out, { recursive: true, force: true });
  await raw.close();
});

describe("dist/install.yaml", () => {
  it("is what kubectl kustomize deploy/ renders, in one file that names its version", async () => {
    expect(installText.split("\n")[0]).toContain(`dbfleet-operator ${version}:`);
    expect(install).toEqual(await kustomize("deploy"));
    expect(install.filter((d) => d.kind === "CustomResourceDefinition")).toHaveLength(5);
  });

  it("labels every object with the recommended app.kubernetes.io labels, version package.json's", () => {
    for (const d of install) {
      const labels = labelsOf(d);
      expect(Object.keys(labels), `${d.kind}/${d.metadata.name}`).toEqual(
        expect.arrayContaining(RECOMMENDED),
      );
      expect(labels["app.kubernetes.io/version"]).toBe(version);
      expect(labels["app.kubernetes.io/part-of"]).toBe("dbfleet-operator");
    }
  });

  it("applies on the API server with the documented 1.20 adaptation; the viewer and editor roles carry the built-in view and edit roles' aggregation labels", async () => {
    // README "Install": on 1.20, PodDisruptionBudget as policy/v1beta1 (same fields), then the same apply.
    const adapted = installText.replace(/^apiVersion: policy\/v1$/m, "apiVersion: policy/v1beta1");
    expect(adapted).not.toBe(installText);
    const docs = (loadAll(adapted) as RawObject[]).filter(Boolean);
    // The CRDs as they are (the harness installed the same ones); the rest moved to names of this file's own.
    const id = Math.random().toString(16).slice(2, 8);
    const operatorNs = `rel-op-${id}`;
    const moved = relocate(docs, { namespaces: { "dbfleet-system": operatorNs }, clusterSuffix: `-${id}` });
    const apply = (objects: RawObject[]) =>
      kubectl(["apply", "-f", "-"], { kubeconfig, stdin: toYaml(objects) });
    const crds = await apply(docs.filter((d) => d.kind === "CustomResourceDefinition"));
    // kubectl warns when it adopts the CRDs the harness created; anything else is an error.
    expect(errorsIn(crds.stderr)).toEqual([]);
    expect(crds.code).toBe(0);
    const rest = await apply(moved);
    expect(errorsIn(rest.stderr)).toEqual([]);
    expect(rest.code).toBe(0);
    expect(rest.stdout.trim().split("\n")).toHaveLength(moved.length);

    const deployment = await raw.call<
      RawObject & { spec: { selector: { matchLabels: Record<string, string> } } }
    >("GET", `/apis/apps/v1/namespaces/${operatorNs}/deployments/dbfleet-operator`);
    expect(labelsOf(deployment)["app.kubernetes.io/version"]).toBe(version);
    expect(deployment.spec.selector.matchLabels).toEqual({ "app.kubernetes.io/name": "dbfleet-operator" });

    // Aggregation is kube-controller-manager's (not run here): check our labels meet the selectors the
    // API server's own view and edit roles declare.
    for (const [builtIn, ours] of [
      ["view", "dbfleet-viewer"],
      ["edit", "dbfleet-editor"],
    ] as const) {
      const role = await raw.call<{
        aggregationRule: { clusterRoleSelectors: { matchLabels: Record<string, string> }[] };
      }>("GET", `/apis/rbac.authorization.k8s.io/v1/clusterroles/${builtIn}`);
      const mine = await raw.call<RawObject>(
        "GET",
        `/apis/rbac.authorization.k8s.io/v1/clusterroles/${ours}-${id}`,
      );
      const labels = labelsOf(mine);
      expect(
        role.aggregationRule.clusterRoleSelectors.some((s) =>
          Object.entries(s.matchLabels).every(([k, v]) => labels[k] === v),
        ),
      ).toBe(true);
    }

    // What each grants, bound in a namespace as the built-in roles are.
    const ns = await createTestNamespace(kubeConfigFor(kubeconfig), "release");
    for (const role of ["dbfleet-viewer", "dbfleet-editor"])
      await raw.apply({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: role, namespace: ns },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `${role}-${id}` },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: `${role}-${id}` }],
      });
    const can = (who: string, args: string[]) => canI(kubeconfig, [...args, "-n", ns, `--as=${who}-${id}`]);
    for (const kind of ["tenantreplicasets", "redisinstancesets", "databaseconnections"]) {
      expect(await can("dbfleet-viewer", ["list", `${kind}.dbfleet.io`])).toBe(true);
      expect(await can("dbfleet-viewer", ["create", `${kind}.dbfleet.io`])).toBe(false);
      expect(await can("dbfleet-editor", ["create", `${kind}.dbfleet.io`])).toBe(true);
    }
    expect(await can("dbfleet-viewer", ["get", "tenantreplicasets.dbfleet.io", "--subresource=status"])).toBe(
      true,
    );
    expect(
      await can("dbfleet-editor", ["update", "tenantreplicasets.dbfleet.io", "--subresource=status"]),
    ).toBe(false);
    expect(await can("dbfleet-editor", ["get", "secrets"])).toBe(false);

    await kubectlOk(["delete", "--wait=false", "-f", "-"], { kubeconfig, stdin: toYaml(moved) });
  });
});

describe("dist/sbom.cdx.json", () => {
  type Bom = {
    bomFormat: string;
    metadata: { component: { name: string; version: string } };
    components: { name: string; version: string }[];
  };
  const bom = () => JSON.parse(readFileSync(join(out, "sbom.cdx.json"), "utf8")) as Bom;

  it("is a CycloneDX SBOM of this package and version", () => {
    expect(bom().bomFormat).toBe("CycloneDX");
    expect(bom().metadata.component).toMatchObject({ name: "dbfleet-operator", version });
  });

  it("lists every production dependency at its installed version, and exactly the production tree", async () => {
    const components = new Map(bom().components.map((c) => [c.name, c.version]));
    for (const name of Object.keys(dependencies)) {
      const installed = (
        JSON.parse(readFileSync(join(repoRoot, "node_modules", name, "package.json"), "utf8")) as {
          version: string;
        }
      ).version;
      expect(components.get(name), name).toBe(installed);
    }
    const { stdout } = await run("npm", ["ls", "--omit=dev", "--all", "--parseable"], { cwd: repoRoot });
    const tree = new Set(
      stdout
        .trim()
        .split("\n")
        .slice(1)
        .map((p) => p.replace(/^.*\/node_modules\//, "")),
    );
    expect(new Set(components.keys())).toEqual(tree);
  });
});
