// `dbfleet-operator run`: the controller, as the Deployment runs it.
import { hostname } from "node:os";
import { z } from "zod";
import { duration, durationMs } from "../api/common.js";
import { loadKubeAccess } from "../controller/kube-access.js";
import { startHealthServer } from "../observability/health-server.js";
import { createLogger } from "../observability/logger.js";
import { OperatorMetrics } from "../observability/metrics.js";
import { createOperator } from "../operator.js";
import { parseFlags } from "./flags.js";

const runFlags = z.object({
  kubeconfig: z.string().optional(),
  namespace: z.array(z.string().regex(/^[a-z0-9-]+$/, { message: "must be a namespace name" })).default([]),
  "label-selector": z.string().optional(),
  "leader-elect": z
    .enum(["true", "false"], { message: "must be true or false" })
    .default("true")
    .transform((v) => v === "true"),
  "lease-name": z
    .string()
    .regex(/^[a-z0-9.-]+$/)
    .optional(),
  "lease-namespace": z.string().optional(),
  "lease-duration": duration.default("15s"),
  "renew-deadline": duration.default("10s"),
  "retry-period": duration.default("2s"),
  workers: z.coerce.number().int().min(1).max(64).default(4),
  "metrics-port": z.coerce.number().int().min(0).max(65535).default(8080),
  "metrics-host": z.string().default("0.0.0.0"),
  // controller-runtime's flag: probes on their own port; without it they share the metrics port.
  "health-probe-bind-address": z
    .string()
    .regex(/^[^:]*:\d{1,5}$/, { message: "must be HOST:PORT or :PORT" })
    .transform((address) => {
      const colon = address.lastIndexOf(":");
      return { host: address.slice(0, colon) || "0.0.0.0", port: Number(address.slice(colon + 1)) };
    })
    .refine((a) => a.port <= 65535, { message: "port must be at most 65535" })
    .optional(),
  "log-level": z.enum(["trace", "debug", "info", "warn", "error"]).default("info"),
  "shutdown-timeout": duration.default("30s"),
  identity: z.string().optional(),
});

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, runFlags, {
    kubeconfig: { type: "string" },
    namespace: { type: "string", multiple: true },
    "label-selector": { type: "string" },
    "leader-elect": { type: "string" },
    "lease-name": { type: "string" },
    "lease-namespace": { type: "string" },
    "lease-duration": { type: "string" },
    "renew-deadline": { type: "string" },
    "retry-period": { type: "string" },
    workers: { type: "string" },
    "metrics-port": { type: "string" },
    "metrics-host": { type: "string" },
    "health-probe-bind-address": { type: "string" },
    "log-level": { type: "string" },
    "shutdown-timeout": { type: "string" },
    identity: { type: "string" },
  });
  const logger = createLogger({ level: flags["log-level"] });
  const kubeConfig = await loadKubeAccess({ path: flags.kubeconfig });
  const namespaces = flags.namespace.flatMap((n) => n.split(",")).filter((n) => n !== "");
  const metrics = new OperatorMetrics();
  // Each scope (namespaces, selector) has its own lease, so several deployments can split the work.
  const scope = [namespaces.join(","), flags["label-selector"] ?? ""].filter((s) => s !== "").join("-");
  const leaseName =
    flags["lease-name"] ??
    (scope ? `dbfleet-operator-${Buffer.from(scope).toString("hex").slice(0, 16)}` : "dbfleet-operator");
  const leaseNamespace =
    flags["lease-namespace"] ?? process.env.POD_NAMESPACE ?? namespaces[0] ?? "dbfleet-system";
  let exitCode = 0;
  const operator = createOperator({
    kubeConfig,
    logger,
    metrics,
    namespaces,
    workers: flags.workers,
    ...(flags["label-selector"] ? { labelSelector: flags["label-selector"] } : {}),
    ...(flags["leader-elect"]
      ? {
          leaderElection: {
            namespace: leaseNamespace,
            name: leaseName,
            identity: flags.identity ?? `${hostname()}_${process.pid}`,
            leaseDurationMs: durationMs(flags["lease-duration"]),
            renewDeadlineMs: durationMs(flags["renew-deadline"]),
            retryPeriodMs: durationMs(flags["retry-period"]),
          },
        }
      : {}),
    onLeadershipLost: () => {
      logger.error("leadership lost: exiting so a fresh process follows the new leader");
      exitCode = 1;
      void shutdown();
    },
  });
  const ready = () => operator.manager.ready;
  const probeAddress = flags["health-probe-bind-address"];
  const health = await startHealthServer({
    port: flags["metrics-port"],
    host: flags["metrics-host"],
    registry: metrics.registry,
    ...(probeAddress ? {} : { ready }),
  });
  const probes = probeAddress ? await startHealthServer({ ...probeAddress, ready }) : health;
  logger.info(
    { namespaces, lease: leaseName, metrics: health.url, probes: probes.url },
    "dbfleet-operator started",
  );
  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= (async () => {
      logger.info("shutting down");
      await operator.stop(durationMs(flags["shutdown-timeout"]));
      await health.close();
      if (probes !== health) await probes.close();
    })();
    return stopping;
  };
  await operator.manager.start();
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", () => void shutdown().then(resolve));
    process.once("SIGINT", () => void shutdown().then(resolve));
    const check = setInterval(() => {
      if (stopping) {
        clearInterval(check);
        void stopping.then(resolve);
      }
    }, 200);
  });
  return exitCode;
}
