// The same suites against a cluster the user already has (kind, for `make e2e-kind`): from any
// kubeconfig, make token identities like the harness's own: an admin and the operator.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeApiError, KubeHttp } from "../../src/controller/kube-http.js";
import { removeOnExit } from "./processes.js";

async function ensure(http: KubeHttp, path: string, body: { metadata: { name: string } }): Promise<void> {
  try {
    await http.json(path, { method: "POST", body });
  } catch (error) {
    if (!(error instanceof KubeApiError) || error.status !== 409) throw error;
  }
}

async function serviceAccountToken(http: KubeHttp, namespace: string, name: string): Promise<string> {
  await ensure(http, "/api/v1/namespaces", { metadata: { name: namespace } });
  await ensure(http, `/api/v1/namespaces/${namespace}/serviceaccounts`, { metadata: { name } });
  const reply = await http.json<{ status: { token: string } }>(
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    {
      method: "POST",
      body: {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { expirationSeconds: 7200 },
      },
    },
  );
  return reply.status.token;
}

export async function externalCluster(kubeconfigPath: string) {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`${kubeconfigPath} has no current cluster`);
  const http = new KubeHttp(kc);
  try {
    const adminToken = await serviceAccountToken(http, "dbfleet-e2e", "admin");
    await ensure(http, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
      metadata: { name: "dbfleet-e2e-admin" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ kind: "ServiceAccount", name: "admin", namespace: "dbfleet-e2e" }],
    } as { metadata: { name: string } });
    const operatorToken = await serviceAccountToken(http, "dbfleet-e2e", "operator");
    const caPem = cluster.caData ? Buffer.from(cluster.caData, "base64").toString("utf8") : "";
    const dir = mkdtempSync(join(tmpdir(), "dbfleet-e2e-"));
    removeOnExit(dir);
    const path = join(dir, "kubeconfig");
    writeFileSync(
      path,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          { name: "e2e", cluster: { server: cluster.server, "certificate-authority-data": cluster.caData } },
        ],
        users: [
          { name: "admin", user: { token: adminToken } },
          { name: "operator", user: { token: operatorToken } },
        ],
        contexts: [
          { name: "admin", context: { cluster: "e2e", user: "admin" } },
          { name: "operator", context: { cluster: "e2e", user: "operator" } },
        ],
        "current-context": "admin",
      }),
    );
    return {
      kubeconfigPath: path,
      server: cluster.server,
      caPem,
      adminToken,
      operatorToken,
      operatorUser: "system:serviceaccount:dbfleet-e2e:operator",
    };
  } finally {
    await http.close();
  }
}
