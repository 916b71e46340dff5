// The operator as the README recommends running it, in the calling process: connections by reference only,
// the simulators' loopback allowed, deploy/'s RBAC identity (the kubeconfig's "operator" context), the
// kubeconfig read as `run` reads it. In a module of its own, without the rest of the harness: the bench's
// operator process imports it and must not load client-node, which the image's operator never loads.
import { type KubeAccess, kubeconfigServer, loadKubeAccess } from "../../src/controller/kube-access.js";
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

/**
 * The kubeconfig's "operator" context through `loadKubeAccess`, as `run --kubeconfig --context` builds it
 * (not client-node's KubeConfig). Handed over before it has loaded, so that starting an operator stays
 * synchronous for the stories: the server is named at once by `kubeconfigServer` (the same resolution,
 * so a kubeconfig without that context throws here); anything else it cannot load fails the operator's
 * first request. Every story that runs an operator or a manager as deploy/'s identity uses it.
 */
export function operatorKubeAccess(kubeconfigPath: string): KubeAccess {
  const options = { path: kubeconfigPath, context: "operator" };
  const server = kubeconfigServer(options);
  const loaded = loadKubeAccess(options);
  loaded.catch(() => {});
  return {
    server,
    headers: async () => (await loaded).headers(),
    dispatcher: async () => (await loaded).dispatcher(),
    close: async () => (await loaded).close(),
  };
}
