// The connect step both kinds and `plan` share: the connection a set names (an admin-owned
// DatabaseConnection / ClusterDatabaseConnection, or an inline block when the operator allows it),
// checked against the endpoint policy, and a client per namespace and connection identity.
import { createHash } from "node:crypto";
import type { Reason } from "../api/reasons.js";
import { Reason as Reasons } from "../api/reasons.js";
import { dcsClientOptions, obshellClientOptions } from "../connections/client-options.js";
import type { ConnectionClients } from "../connections/client-pool.js";
import type { ResolvedConnection, ResolveResult, SetConnectionSpec } from "../connections/resolve.js";
import { DcsClient } from "../providers/dcs/client.js";
import type { EndpointPolicy } from "../providers/endpoint-policy.js";
import { ObshellClient } from "../providers/obshell/client.js";
import type { RequestObservation } from "../providers/transport.js";
import type { Connection } from "./engine/kind.js";
import type { StepEvent } from "./engine/step.js";
import { endpointKey } from "./fleet-view.js";
import { dcsRemote } from "./remote-identity.js";

/** A digest that changes with every part without holding any of them in clear. */
export function digest(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("hex");
}

export interface ConnectOptions {
  /** The connection a set names, from the informer caches (controller) or the cluster (plan). */
  resolve(set: SetConnectionSpec): ResolveResult | Promise<ResolveResult>;
  /** Every remote address is checked against it, after DNS and on every connection. */
  endpointPolicy: EndpointPolicy;
  onRequest?: ((observation: RequestObservation) => void) | undefined;
}

/** A connection, plus what the engine reports about it. */
export type Connected<C> = Connection<C>;

async function resolveChecked(
  options: ConnectOptions,
  set: SetConnectionSpec,
): Promise<{ ok: true; connection: ResolvedConnection } | { ok: false; reason: Reason; message: string }> {
  const resolved = await options.resolve(set);
  if (!resolved.ok) return { ok: false, reason: resolved.reason as Reason, message: resolved.message };
  const connection = resolved.connection;
  const verdict = await options.endpointPolicy.check(connection.endpoint, {
    allowInsecureHTTP: connection.allowInsecureHTTP,
  });
  if (!verdict.ok) return { ok: false, reason: Reasons.EndpointRefused, message: verdict.message };
  return { ok: true, connection };
}

function warningsOf(connection: ResolvedConnection): StepEvent[] {
  const where =
    connection.source.kind === "Inline"
      ? "the inline connection"
      : `${connection.source.kind} ${connection.source.namespace ? `${connection.source.namespace}/` : ""}${connection.source.name}`;
  return connection.warnings.map((w) => ({
    type: "Warning" as const,
    reason: Reasons.InsecureConnection,
    message:
      w === "InsecureHTTPAllowed"
        ? `${where} allows plain HTTP to ${connection.endpoint}: credentials cross the network unprotected`
        : `${where} skips TLS verification for ${connection.endpoint}`,
  }));
}

export async function connectObshell(
  options: ConnectOptions,
  pool: ConnectionClients<ObshellClient>,
  holder: string,
  set: SetConnectionSpec,
  /** The cluster recorded for an endpoint (remote-identity.ts), when the set has learned it there. */
  clusterAt: (endpoint: string) => string | undefined = () => undefined,
): Promise<Connected<ObshellClient>> {
  const r = await resolveChecked(options, set);
  if (!r.ok) return { ok: false, step: { kind: "Stall", reason: r.reason, message: r.message } };
  const connection = r.connection;
  if (connection.kind !== "obshell")
    return {
      ok: false,
      step: { kind: "Stall", reason: Reasons.ConnectionKindMismatch, message: "not an obshell connection" },
    };
  const client = pool.acquire(
    holder,
    set.namespace,
    connection.identity,
    () => new ObshellClient(obshellClientOptions(connection, sharedOptions(options))),
  );
  const password = digest(connection.credentials.password);
  return {
    ok: true,
    client,
    // A password is tried against OceanBase on every request: health is per cluster and password. The
    // cluster is known once the set has reached it; before that (and while a wrong password keeps it from
    // being learned) the URL stands for it, normalised.
    credential: digest(
      "obshell",
      clusterAt(connection.endpoint) ?? endpointKey(connection.endpoint),
      password,
    ),
    credentialOnceRecorded: (identity) => digest("obshell", identity, password),
    endpoint: connection.endpoint,
    warnings: warningsOf(connection),
  };
}

export async function connectDcs(
  options: ConnectOptions,
  pool: ConnectionClients<DcsClient>,
  holder: string,
  set: SetConnectionSpec,
): Promise<Connected<DcsClient> & { projectId?: string }> {
  const r = await resolveChecked(options, set);
  if (!r.ok) return { ok: false, step: { kind: "Stall", reason: r.reason, message: r.message } };
  const connection = r.connection;
  if (connection.kind !== "dcs")
    return {
      ok: false,
      step: { kind: "Stall", reason: Reasons.ConnectionKindMismatch, message: "not a DCS connection" },
    };
  const client = pool.acquire(
    holder,
    set.namespace,
    connection.identity,
    () => new DcsClient(dcsClientOptions(connection, sharedOptions(options))),
  );
  const { accessKey, secretKey } = connection.credentials;
  return {
    ok: true,
    client,
    // The exact key pair on the project, through whatever endpoint: a wrong SK never blocks the right one.
    // The lockout budget is the AK's (IAM counts an AK's bad signatures whatever endpoint they came
    // through), keyed by `lockScope`.
    credential: digest("dcs", dcsRemote(connection.projectId), accessKey, digest(secretKey)),
    lockScope: digest("dcs", accessKey),
    endpoint: connection.endpoint,
    projectId: connection.projectId,
    warnings: warningsOf(connection),
  };
}

function sharedOptions(options: ConnectOptions) {
  return {
    endpointPolicy: options.endpointPolicy,
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
  };
}
