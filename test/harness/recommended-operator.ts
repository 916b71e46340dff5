// The operator as the README recommends running it, in the calling process: connections by reference only,
// the simulators' loopback allowed, deploy/'s RBAC identity (the kubeconfig's "operator" context), the
// kubeconfig read as `run` reads it. In a module of its own, without the rest of the harness: the bench's
// operator process imports it and must not load client-node, which the image's operator never loads.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { type KubeAccess, loadKubeAccess } from "../../src/controller/kube-access.js";
import { OperatorMetrics } from "../../src/observability/metrics.js";
import { createOperator, type Operator, type OperatorOptions } from "../../src/operator.js";
import { simulatorEndpoints } from "./simulator-endpoints.js";

/**
 * An operator started on the harness's kubeconfig. `options` holds what a story or the bench varies: its
 * namespaces and logger, workers, poll periods, a moved clock, a Lease.
 */
export function startRecommendedOperator(
  kubeconfigPath: string,
  options: Omit<OperatorOptions, "kubeConfig" | "metrics"> & { metrics?: OperatorMetrics },
): Operator {
  const operator = createOperator({
    ...simulatorEndpoints,
    ...options,
    kubeConfig: operatorKubeAccess(kubeconfigPath),
    metrics: options.metrics ?? new OperatorMetrics({ defaultMetrics: false }),
  });
  void operator.manager.start();
  return operator;
}

const harnessKubeconfig = z.object({
  clusters: z.array(z.object({ name: z.string(), cluster: z.object({ server: z.string() }) })),
  contexts: z.array(z.object({ name: z.string(), context: z.object({ cluster: z.string() }) })),
});

/**
 * The kubeconfig's "operator" context through `loadKubeAccess`, as `run --kubeconfig --context` builds it
 * (not client-node's KubeConfig). Handed over before it has loaded, so that starting an operator stays
 * synchronous for the stories; a kubeconfig it cannot load fails the operator's first request. Every story
 * that runs an operator or a manager as deploy/'s identity uses it.
 */
export function operatorKubeAccess(kubeconfigPath: string): KubeAccess {
  const loaded = loadKubeAccess({ path: kubeconfigPath, context: "operator" });
  loaded.catch(() => {});
  const config = harnessKubeconfig.parse(JSON.parse(readFileSync(kubeconfigPath, "utf8")));
  const cluster = config.contexts.find((c) => c.name === "operator")?.context.cluster;
  const server = config.clusters.find((c) => c.name === cluster)?.cluster.server;
  if (server === undefined) throw new Error(`${kubeconfigPath}: no cluster for context "operator"`);
  return {
    server: server.replace(/\/$/, ""),
    headers: async () => (await loaded).headers(),
    dispatcher: async () => (await loaded).dispatcher(),
    close: async () => (await loaded).close(),
  };
}
