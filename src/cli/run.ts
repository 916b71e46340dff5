// `dbfleet-operator run`: the controller, as the Deployment runs it.

import { readFileSync, unwatchFile, watchFile } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { z } from "zod";
import { duration, durationMs } from "../api/common.js";
import { kubeUserAgent, loadKubeAccess } from "../controller/kube-access.js";
import { startHealthServer } from "../observability/health-server.js";
import { createLogger, SecretValues } from "../observability/logger.js";
import { OperatorMetrics } from "../observability/metrics.js";
import { MetricsAuthorizer } from "../observability/metrics-auth.js";
import { selfSignedCertificate } from "../observability/self-signed.js";
import { createOperator } from "../operator.js";
import { endpointPolicyOf } from "./endpoint-flags.js";
import { type FlagSpec, parseFlags, usage, version } from "./flags.js";

const namespaceName = z.string().regex(/^[a-z0-9-]+$/, { message: "must be a namespace name" });

const wholeNumber = (min: number, max: number) =>
  z.coerce
    .number({ message: `must be a whole number from ${min} to ${max}` })
    .int({ message: `must be a whole number from ${min} to ${max}` })
    .min(min, { message: `must be a whole number from ${min} to ${max}` })
    .max(max, { message: `must be a whole number from ${min} to ${max}` });

const runFlags = z.object({
  kubeconfig: z.string().optional(),
  context: z.string().min(1).optional(),
  namespace: z
    .array(
      z.string().regex(/^[a-z0-9-]+(,[a-z0-9-]+)*$/, { message: "must be namespace names, comma-separated" }),
    )
    .default([]),
  "label-selector": z.string().optional(),
  "leader-elect": z
    .enum(["true", "false"], { message: "must be true or false" })
    .default("true")
    .transform((v) => v === "true"),
  "lease-name": z
    .string()
    .regex(/^[a-z0-9.-]+$/, { message: "must be a lower-case object name" })
    .optional(),
  "lease-namespace": namespaceName.optional(),
  "lease-duration": duration.default("15s"),
  "renew-deadline": duration.default("10s"),
  "retry-period": duration.default("2s"),
  workers: wholeNumber(1, 64).default(4),
  "metrics-port": wholeNumber(0, 65535).default(8080),
  "metrics-host": z.string().min(1).default("0.0.0.0"),
  // controller-runtime's secure metrics (issue 25): HTTPS, TokenReview + SubjectAccessReview on /metrics.
  "metrics-secure": z.enum(["true", "false"], { message: "must be true or false" }).default("true"),
  "metrics-cert-dir": z.string().min(1).optional(),
  "per-set-metrics": z.enum(["true", "false"], { message: "must be true or false" }).default("false"),
  "log-level": z
    .enum(["trace", "debug", "info", "warn", "error"], {
      message: "must be trace, debug, info, warn or error",
    })
    .default("info"),
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
  "allow-inline-connections": z
    .enum(["true", "false"], { message: "must be true or false" })
    .default("false"),
  "cluster-connections": z.enum(["true", "false"], { message: "must be true or false" }).default("true"),
  "disruption-budgets": z.enum(["true", "false"], { message: "must be true or false" }).default("true"),
  "allowed-endpoints": z.string().default(""),
  "service-cidrs": z.string().default(""),
  "pod-cidrs": z.string().default(""),
  "shutdown-timeout": duration.default("30s"),
  "reconcile-timeout": duration.default("5m"),
  identity: z.string().min(1).optional(),
});

/** Every flag of `run`: parseArgs and the usage both come from here. */
export const RUN_FLAGS = {
  kubeconfig: {
    value: "PATH",
    default: "$KUBECONFIG's files merged as kubectl does, else ~/.kube/config, else in-cluster",
    help: "kubeconfig file",
  },
  context: { value: "NAME", default: "the kubeconfig's current-context", help: "kubeconfig context to use" },
  namespace: {
    value: "NS",
    multiple: true,
    default: "all",
    help: "watch only these namespaces, comma-separated or repeated",
  },
  "label-selector": { value: "SEL", help: "reconcile only sets with these labels" },
  "leader-elect": { value: "true|false", default: "true", help: "run only while holding the Lease" },
  "lease-name": {
    value: "NAME",
    default: "dbfleet-operator, or one derived from --namespace and --label-selector",
    help: "Lease name",
  },
  "lease-namespace": {
    value: "NS",
    default: "$POD_NAMESPACE, else the first --namespace, else dbfleet-system",
    help: "Lease namespace",
  },
  "lease-duration": { value: "DURATION", default: "15s", help: "how long a Lease holds without renewal" },
  "renew-deadline": {
    value: "DURATION",
    default: "10s",
    help: "the leader gives up if it cannot renew within",
  },
  "retry-period": { value: "DURATION", default: "2s", help: "between tries to acquire or renew the Lease" },
  workers: { value: "N", default: "4", help: "concurrent reconciles per kind, 1 to 64" },
  "metrics-port": {
    value: "PORT",
    default: "8080",
    help: "port of /metrics, /healthz and /readyz; 0 picks a free one",
  },
  "metrics-host": { value: "HOST", default: "0.0.0.0", help: "address that port listens on" },
  "metrics-secure": {
    value: "true|false",
    default: "true",
    help: "serve /metrics over HTTPS to bearer tokens allowed `get` on /metrics (TokenReview, SubjectAccessReview); false: plain HTTP to anyone",
  },
  "metrics-cert-dir": {
    value: "DIR",
    default: "none: a self-signed certificate made at start",
    help: "tls.crt and tls.key of the metrics server, re-read when they change",
  },
  "per-set-metrics": {
    value: "true|false",
    default: "false",
    help: "also export dbfleet_reconcile_condition per set (Flux's deprecated style; kube-state-metrics exports it from status: deploy/monitoring)",
  },
  "log-level": { value: "trace|debug|info|warn|error", default: "info", help: "least severe level logged" },
  "reconcile-timeout": {
    value: "DURATION",
    default: "5m",
    help: "deadline of one reconcile; then it is cancelled and retried with backoff",
  },
  "shutdown-timeout": {
    value: "DURATION",
    default: "30s",
    help: "on SIGTERM, how long in-flight reconciles may finish",
  },
  identity: { value: "ID", default: "hostname_pid", help: "this replica's name in the Lease" },
  "health-probe-bind-address": {
    value: "HOST:PORT",
    default: "the metrics port",
    help: "serve /healthz and /readyz here, apart from /metrics",
  },
  "allow-inline-connections": {
    value: "true|false",
    default: "false",
    help: "let sets name an endpoint and Secret inline (spec.obshell/spec.dcs) instead of a connection",
  },
  "cluster-connections": {
    value: "true|false",
    default: "true",
    help: "watch ClusterDatabaseConnections (false where the operator has only Roles)",
  },
  "disruption-budgets": {
    value: "true|false",
    default: "true",
    help: "watch FleetDisruptionBudgets and obey them (false where the operator has only Roles: no budget applies)",
  },
  "allowed-endpoints": {
    value: "HOSTS/CIDRS",
    default: "none: any public address",
    help: "comma-separated hosts and CIDRs remotes may be reached at; allowlisted addresses pass the refusals below",
  },
  "service-cidrs": {
    value: "CIDRS",
    default: "none",
    help: "the cluster's service ranges, refused as remotes",
  },
  "pod-cidrs": { value: "CIDRS", default: "none", help: "the cluster's pod ranges, refused as remotes" },
} satisfies Record<keyof z.input<typeof runFlags>, FlagSpec>;

export const RUN_USAGE = usage("dbfleet-operator run [flags]", RUN_FLAGS);

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, runFlags, RUN_FLAGS);
  const secretValues = new SecretValues();
  const logger = createLogger({ level: flags["log-level"], secrets: secretValues });
  const kubeConfig = await loadKubeAccess({
    path: flags.kubeconfig,
    context: flags.context,
    userAgent: kubeUserAgent(version()),
  });
  const server = "server" in kubeConfig ? String(kubeConfig.server) : undefined;
  const endpointPolicy = await endpointPolicyOf(flags, server);
  // Kubernetes 1.20 offers no API that tells the service range (ServiceCIDR came in 1.29): it is a flag.
  for (const flag of ["service-cidrs", "pod-cidrs"] as const)
    if (flags[flag] === "" && flags["allowed-endpoints"] === "")
      logger.warn(
        { flag: `--${flag}` },
        `--${flag} is not set: the cluster's ${flag === "service-cidrs" ? "Services" : "Pods"} can be named as remotes; set it (deploy/ does) or --allowed-endpoints`,
      );
  const namespaces = flags.namespace.flatMap((n) => n.split(",")).filter((n) => n !== "");
  const metrics = new OperatorMetrics({ perSetMetrics: flags["per-set-metrics"] === "true" });
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
    reconcileTimeoutMs: durationMs(flags["reconcile-timeout"]),
    endpointPolicy,
    allowInlineConnections: flags["allow-inline-connections"] === "true",
    clusterConnections: flags["cluster-connections"] === "true",
    disruptionBudgets: flags["disruption-budgets"] === "true",
    secretValues,
    operatorNamespace: leaseNamespace,
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
  const secure = flags["metrics-secure"] === "true";
  const certificate = secure ? servingCertificate(flags["metrics-cert-dir"], logger) : undefined;
  const authorizer = new MetricsAuthorizer({
    create: (path, body) => operator.manager.http.json(path, { method: "POST", body }),
  });
  const health = await startHealthServer({
    port: flags["metrics-port"],
    host: flags["metrics-host"],
    registry: metrics.registry,
    ...(probeAddress ? {} : { ready }),
    ...(certificate
      ? { tls: certificate.read(), authorize: (header, verb, path) => authorizer.check(header, verb, path) }
      : {}),
  });
  const stopWatchingCertificate = certificate?.watch((tls) => health.setCertificate(tls));
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
      stopWatchingCertificate?.();
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

type KeyPair = { cert: string; key: string };

/**
 * The metrics server's key pair: tls.crt and tls.key of `dir` (controller-runtime's CertName and KeyName),
 * re-read when the certificate changes (cert-manager rotates it); else one self-signed at start, as
 * controller-runtime does when its CertDir holds none.
 */
function servingCertificate(
  dir: string | undefined,
  logger: Logger,
): { read(): KeyPair; watch(onChange: (pair: KeyPair) => void): () => void } {
  const paths = dir ? { cert: join(dir, "tls.crt"), key: join(dir, "tls.key") } : undefined;
  const fromDir = (): KeyPair | undefined => {
    if (!paths) return undefined;
    try {
      return { cert: readFileSync(paths.cert, "utf8"), key: readFileSync(paths.key, "utf8") };
    } catch (error) {
      logger.warn({ dir, error: String(error) }, "no tls.crt and tls.key in --metrics-cert-dir: self-signed");
      return undefined;
    }
  };
  const loaded = fromDir();
  const initial = loaded ?? selfSignedCertificate();
  return {
    read: () => initial,
    watch(onChange) {
      if (!paths || !loaded) return () => {};
      const reload = () => {
        const pair = fromDir();
        if (pair) onChange(pair);
      };
      watchFile(paths.cert, { interval: 10_000 }, reload);
      return () => unwatchFile(paths.cert, reload);
    },
  };
}
