// vitest globalSetup of the integration project: one control plane shared by every file.
import type { TestProject } from "vitest/node";
import { startControlPlane } from "./control-plane.js";
import { externalCluster } from "./external-cluster.js";
import { bindOperatorIdentity, installCrds, kubeConfigFor } from "./kube.js";
import { RawApi } from "./raw-api.js";

declare module "vitest" {
  export interface ProvidedContext {
    kubeconfig: string;
    apiServer: {
      server: string;
      caPem: string;
      adminToken: string;
      operatorToken: string;
      operatorUser: string;
    };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.DBFLEET_KUBECONFIG;
  if (external) {
    // `make e2e-kind`: the same suites against an existing cluster.
    const cluster = await externalCluster(external);
    const raw = new RawApi(cluster.server, cluster.caPem, cluster.adminToken);
    await installCrds(kubeConfigFor(cluster.kubeconfigPath), raw);
    await bindOperatorIdentity(raw, cluster.operatorUser);
    await raw.close();
    project.provide("kubeconfig", cluster.kubeconfigPath);
    project.provide("apiServer", cluster);
    return async () => {};
  }
  const started = Date.now();
  const plane = await startControlPlane();
  try {
    const raw = new RawApi(plane.server, plane.caPem, plane.admin.token);
    await installCrds(kubeConfigFor(plane.kubeconfigPath), raw);
    await bindOperatorIdentity(raw, plane.operator.user);
    await raw.close();
  } catch (error) {
    await plane.stop();
    throw error;
  }
  console.log(`envtest: kube-apiserver ${plane.server} ready with CRDs in ${Date.now() - started} ms`);
  project.provide("kubeconfig", plane.kubeconfigPath);
  project.provide("apiServer", {
    server: plane.server,
    caPem: plane.caPem,
    adminToken: plane.admin.token,
    operatorToken: plane.operator.token,
    operatorUser: plane.operator.user,
  });
  return () => plane.stop();
}
