// The production shape of a test: admin-owned connections that sets name in spec.connectionRef, and an
// operator that refuses inline connections and allows only the simulators' loopback address.
import { OPERATOR_NAMESPACE } from "./kube.js";
import type { RawObject } from "./raw-api.js";

const API = "dbfleet.io/v1alpha1";

export { startRecommendedOperator } from "./recommended-operator.js";
export { simulatorEndpoints } from "./simulator-endpoints.js";

/** What simulatorEndpoints allows, for an operator process. */
export const SIMULATOR_FLAGS = ["--allowed-endpoints=127.0.0.1"];

type Where = { namespace: string; name: string } | { cluster: string; allowedNamespaces?: string[] };

function connection(where: Where, remote: Record<string, unknown>): RawObject {
  return "cluster" in where
    ? {
        apiVersion: API,
        kind: "ClusterDatabaseConnection",
        metadata: { name: where.cluster },
        spec: {
          ...remote,
          // Required (issue 25, L2): every namespace is spelled out.
          allowedNamespaces: where.allowedNamespaces ?? ["*"],
        },
      }
    : {
        apiVersion: API,
        kind: "DatabaseConnection",
        metadata: { name: where.name, namespace: where.namespace },
        spec: remote,
      };
}

/** A connection to an obshell simulator over allowed plain HTTP; its password in Secret `secret`. */
export function obshellConnection(where: Where, endpoint: string, secret = "obshell"): RawObject {
  return connection(where, {
    obshell: { endpoint, credentialsSecretRef: { name: secret }, allowInsecureHTTP: true },
  });
}

/** A connection to a DCS simulator's project over allowed plain HTTP; its AK/SK in Secret `secret`. */
export function dcsConnection(where: Where, endpoint: string, projectId: string, secret = "dcs"): RawObject {
  return connection(where, {
    dcs: { endpoint, projectId, credentialsSecretRef: { name: secret }, allowInsecureHTTP: true },
  });
}

/** A connectionRef for a set's spec. */
export function connectionRef(
  name: string,
  kind: "DatabaseConnection" | "ClusterDatabaseConnection" = "DatabaseConnection",
) {
  return { connectionRef: { kind, name } };
}

/**
 * A TenantReplicaSet as the recommended configuration writes it: through an admin-owned connection.
 * `spec` adds to (and overrides) the spec's fields; the tests name their own poll interval and policy.
 */
export function tenantSetManifest(
  where: { namespace: string; name: string },
  connection: string,
  tenant: string,
  zones: string[],
  spec: Record<string, unknown> = {},
): RawObject {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "TenantReplicaSet",
    metadata: { name: where.name, namespace: where.namespace },
    spec: { ...connectionRef(connection), tenant, zones, ...spec },
  };
}

/** The Secret a ClusterDatabaseConnection reads lives in the operator's namespace. */
export const CLUSTER_SECRET_NAMESPACE = OPERATOR_NAMESPACE;
