// deploy/ on the real API server: every object is accepted, and the ServiceAccount it binds can do
// what the operator needs and nothing more.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadAll } from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { RawApi, RawApiError, type RawObject } from "../harness/raw-api.js";

const root = join(import.meta.dirname, "..", "..");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
let sa: RawApi;
let other = "";

function deployDocuments(): RawObject[] {
  const kustomization = loadAll(readFileSync(join(root, "deploy", "kustomization.yaml"), "utf8"))[0] as {
    resources: string[];
  };
  return kustomization.resources
    .filter((r) => r.endsWith(".yaml"))
    .flatMap((r) => loadAll(readFileSync(join(root, "deploy", r), "utf8")) as RawObject[]);
}

async function status(call: Promise<unknown>): Promise<number> {
  return call.then(
    () => 200,
    (e: unknown) => (e instanceof RawApiError ? e.status : 0),
  );
}

beforeAll(async () => {
  for (const doc of deployDocuments()) await raw.apply(doc);
  other = await createTestNamespace(kubeConfigFor(inject("kubeconfig")), "deploy");
  await raw.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "creds", namespace: other },
    stringData: { password: "x" },
  });
  // A token for the ServiceAccount, as the kubelet would mount it.
  const token = await raw.call<{ status: { token: string } }>(
    "POST",
    "/api/v1/namespaces/dbfleet-system/serviceaccounts/dbfleet-operator/token",
    { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 600 } },
  );
  sa = new RawApi(server, caPem, token.status.token);
});
afterAll(async () => {
  await raw.close();
  await sa?.close();
});

describe("deploy/", () => {
  it("is accepted by the API server, with a restricted pod and probes on /healthz and /readyz", async () => {
    const deployment = await raw.call<{
      spec: {
        replicas: number;
        template: {
          spec: {
            containers: {
              securityContext: Record<string, unknown>;
              livenessProbe: { httpGet: { path: string } };
              readinessProbe: { httpGet: { path: string } };
            }[];
          };
        };
      };
    }>("GET", "/apis/apps/v1/namespaces/dbfleet-system/deployments/dbfleet-operator");
    expect(deployment.spec.replicas).toBe(2);
    const container = deployment.spec.template.spec.containers[0];
    expect(container?.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    expect(container?.livenessProbe.httpGet.path).toBe("/healthz");
    expect(container?.readinessProbe.httpGet.path).toBe("/readyz");
  });

  it("lets the operator's ServiceAccount do its job", async () => {
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
          metadata: { name: "rbac-probe" },
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
