// The operator as every phase of the bench runs it: the README's recommended configuration (admin-owned
// connections only, deploy/'s identity through the kubeconfig's "operator" context), with the bench's
// workers and poll periods. One home, whether it runs in the bench's process or in its own.
import type { Logger } from "pino";
import type { OperatorMetrics } from "../src/observability/metrics.js";
import type { Operator } from "../src/operator.js";
import { startRecommendedOperator } from "../test/harness/connections.js";

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
