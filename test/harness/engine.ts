// Helpers for engine tests: a kubeconfig through a proxy, a TRS manifest, waiting on a condition.

import { readFileSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import type { ResourceType } from "../../src/controller/resource.js";
import { EndpointPolicy } from "../../src/providers/endpoint-policy.js";
import type { RawObject } from "./raw-api.js";

export const TRS_TYPE: ResourceType = {
  group: "dbfleet.io",
  version: "v1alpha1",
  plural: "tenantreplicasets",
  kind: "TenantReplicaSet",
  namespaced: true,
};

/** The harness kubeconfig, for `context`, with the server replaced (e.g. by a proxy). */
export function kubeConfigVia(
  kubeconfigPath: string,
  server?: string,
  context: "admin" | "operator" = "admin",
): KubeConfig {
  const config = JSON.parse(readFileSync(kubeconfigPath, "utf8")) as {
    clusters: { cluster: { server: string } }[];
    "current-context": string;
  };
  if (server) for (const c of config.clusters) c.cluster.server = server;
  config["current-context"] = context;
  const kc = new KubeConfig();
  kc.loadFromString(JSON.stringify(config));
  return kc;
}

/**
 * A TenantReplicaSet manifest as the README recommends it: the tenant named after the set, reached through
 * the admin-owned DatabaseConnection `connection` of its namespace.
 */
export function trs(
  namespace: string,
  name: string,
  zones: string[] = ["z1", "z2"],
  connection = "obshell",
): RawObject {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "TenantReplicaSet",
    metadata: { name, namespace },
    spec: {
      connectionRef: { kind: "DatabaseConnection", name: connection },
      tenant: name.replace(/-/g, "_"),
      zones,
    },
  };
}

export const quietLogger = pino({ level: process.env.DBFLEET_TEST_LOG ?? "silent" });

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  // A deadline on a condition, generous so a loaded machine is not mistaken for a failure: a passing
  // condition returns at once, only a failing one waits it out.
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * An operator that accepts inline connections (spec.obshell / spec.dcs) to the simulators on loopback: only
 * for tests about inline connections; every other test uses connections.ts's `simulatorEndpoints`.
 */
export const loopbackConnections = {
  allowInlineConnections: true,
  endpointPolicy: new EndpointPolicy({ allowedEndpoints: "127.0.0.1" }),
};
/** The same for an operator process. */
export const LOOPBACK_FLAGS = ["--allow-inline-connections=true", "--allowed-endpoints=127.0.0.1"];
