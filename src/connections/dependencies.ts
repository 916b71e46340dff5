// Which objects a set depends on: the connection it names, that connection's credential and CA Secrets,
// or the Secrets of its own inline connection. The one home of it: the operator's caches (which Secrets
// to hold, whom to requeue when a connection or Secret arrives, changes or goes) and `plan` (which
// Secrets to read) both ask here. Each answer reads one object only, so an index built from it never
// goes stale when another object changes: a set's answer does not depend on its connection existing.

import {
  admitsNamespace,
  CLUSTER_DATABASE_CONNECTION_KIND,
  clusterDatabaseConnection,
  DATABASE_CONNECTION_KIND,
  databaseConnection,
} from "../api/connection.js";
import { SET_KINDS } from "../api/kinds.js";
import { parseCached } from "../api/parse.js";
import type { SetConnectionSpec } from "./resolve.js";

export type ConnectionKind = typeof DATABASE_CONNECTION_KIND | typeof CLUSTER_DATABASE_CONNECTION_KIND;

/** The connection a set names, keyed as its informer keys it ("namespace/name", or "name"). */
export function connectionOf(set: SetConnectionSpec): { kind: ConnectionKind; key: string } | undefined {
  const ref = set.spec.connectionRef;
  if (!ref) return undefined;
  return ref.kind === DATABASE_CONNECTION_KIND
    ? { kind: DATABASE_CONNECTION_KIND, key: `${set.namespace}/${ref.name}` }
    : { kind: CLUSTER_DATABASE_CONNECTION_KIND, key: ref.name };
}

interface SecretRefs {
  credentialsSecretRef: { name: string };
  tls?: { caSecretRef?: { name: string } | undefined } | undefined;
}

function secretNames(settings: SecretRefs | undefined, namespace: string): string[] {
  if (!settings) return [];
  const names = [settings.credentialsSecretRef.name];
  if (settings.tls?.caSecretRef) names.push(settings.tls.caSecretRef.name);
  return names.map((name) => `${namespace}/${name}`);
}

/**
 * The Secrets a set names itself: those of its inline connection, only where inline connections are
 * allowed (a refused inline connection's Secret is never read). Empty for a set that uses connectionRef.
 */
export function inlineSecretsOf(set: SetConnectionSpec, allowInlineConnections: boolean): string[] {
  if (set.spec.connectionRef || !allowInlineConnections) return [];
  const inline = set.spec[SET_KINDS[set.kind].remote];
  return secretNames(inline, set.namespace);
}

/**
 * The Secrets a connection object reads: in its own namespace, or for a ClusterDatabaseConnection in the
 * operator's. Empty for an object that does not parse (the set reports ConnectionInvalid).
 */
export function secretsOfConnectionObject(
  kind: ConnectionKind,
  key: string,
  object: unknown,
  operatorNamespace: string,
): string[] {
  const parsed =
    kind === DATABASE_CONNECTION_KIND
      ? parseCached(databaseConnection, object)
      : parseCached(clusterDatabaseConnection, object);
  if (!parsed.success) return [];
  const namespace =
    kind === DATABASE_CONNECTION_KIND ? key.slice(0, Math.max(0, key.indexOf("/"))) : operatorNamespace;
  return secretNames(parsed.data.spec.obshell ?? parsed.data.spec.dcs, namespace);
}

/** Where connections are looked up, and what the operator allows. */
export interface DependencyLookups {
  connections: { get(key: string): unknown };
  clusterConnections: { get(key: string): unknown };
  operatorNamespace: string;
  allowInlineConnections: boolean;
}

/**
 * Every Secret ("namespace/name") a set's connection reads now: through the connection it names as the
 * lookups hold it, or its inline one. Empty while the connection is missing.
 */
export function secretsOfConnection(set: SetConnectionSpec, lookups: DependencyLookups): string[] {
  const connection = connectionOf(set);
  if (!connection) return inlineSecretsOf(set, lookups.allowInlineConnections);
  const object =
    connection.kind === DATABASE_CONNECTION_KIND
      ? lookups.connections.get(connection.key)
      : lookups.clusterConnections.get(connection.key);
  if (object === undefined) return [];
  // A ClusterDatabaseConnection that does not admit the set's namespace is not read for it.
  const cluster = parseCached(clusterDatabaseConnection, object);
  if (cluster.success && !admitsNamespace(cluster.data.spec.allowedNamespaces, set.namespace)) return [];
  return secretsOfConnectionObject(connection.kind, connection.key, object, lookups.operatorNamespace);
}
