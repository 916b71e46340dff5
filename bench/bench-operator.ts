// The operator as every phase of the bench runs it: the README's recommended configuration (admin-owned
// connections only, deploy/'s identity through the kubeconfig's "operator" context), with the bench's
// workers and poll periods. One home, whether it runs in the bench's process or in its own.
import type { Logger } from "pino";
import type { OperatorMetrics } from "../src/observability/metrics.js";
import type { Operator } from "../src/operator.js";
import { startRecommendedOperator } from "../test/harness/recommended-operator.js";

export function startBenchOperator(options: {
  kubeconfigPath: string;
  namespaces: string[];
  metrics: OperatorMetrics;
  logger: Logger;
  /**
   * How often a running DAG is polled. The latency phase polls it often: a DAG runs only between its samples,
   * so this shortens the wait for the next one and does not touch what a sample times.
   */
  dagPollMs?: number;
}): Operator {
  return startRecommendedOperator(options.kubeconfigPath, {
    logger: options.logger,
    metrics: options.metrics,
    namespaces: options.namespaces,
    workers: 8,
    tenant: { dagPollMs: options.dagPollMs ?? 100 },
    redis: { deletePollMs: 200 },
  });
}

type MetricsJson = Awaited<ReturnType<OperatorMetrics["registry"]["getMetricsAsJSON"]>>;

/** The sum of a metric's values whose labels match `labels`, from one read of the operator's registry. */
export function metricSum(all: MetricsJson, name: string, labels: Record<string, string> = {}): number {
  const metric = all.find((m) => m.name === name);
  return ((metric?.values ?? []) as { value: number; labels: Record<string, string | number> }[])
    .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}

/**
 * Resolves once no key waits in the operator's work queues and no worker reconciles (its own
 * `workqueue_depth` and `controller_runtime_active_workers`): the sets just created for a size are Ready
 * before the operator is done with them (their last status writes come back as watch events, their Events
 * are written), and the first samples of a size waited behind that, up to a few hundred ms.
 */
export async function operatorIdle(metrics: OperatorMetrics): Promise<void> {
  const deadline = performance.now() + 120_000;
  for (;;) {
    const all = await metrics.registry.getMetricsAsJSON();
    const busy = metricSum(all, "workqueue_depth") + metricSum(all, "controller_runtime_active_workers");
    if (busy === 0) return;
    if (performance.now() > deadline)
      throw new Error(`the operator is still busy (${busy} keys) after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
