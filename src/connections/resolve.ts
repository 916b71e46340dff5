// A set's connection resolved from admin-owned objects and Secrets into what a client needs (issue 17).
// Pure: caches are passed in, nothing is fetched; every refusal is a reason from one table.

import { createHash } from "node:crypto";
import { z } from "zod";
import { durationMs } from "../api/common.js";
import {
  admitsNamespace,
  CLUSTER_DATABASE_CONNECTION_KIND,
  type ConnectionRef,
  CREDENTIAL_SECRET_TYPES,
  clusterDatabaseConnection,
  DATABASE_CONNECTION_KIND,
  type DcsSettings,
  databaseConnection,
  isCredentialSecretType,
  type ObshellSettings,
  type TlsSettings,
} from "../api/connection.js";
import { SET_KINDS, type SetKindName } from "../api/kinds.js";
import { describeIssues, parseCached } from "../api/parse.js";

/** Why a connection could not be resolved: each becomes a Stalled condition's reason. */
export const ConnectionReason = {
  ConnectionNotFound: "ConnectionNotFound",
  ConnectionInvalid: "ConnectionInvalid",
  ConnectionKindMismatch: "ConnectionKindMismatch",
  ConnectionNotAllowed: "ConnectionNotAllowed",
  CredentialsMissing: "CredentialsMissing",
  CaMissing: "CaMissing",
  SecretTypeRefused: "SecretTypeRefused",
  InlineConnectionRefused: "InlineConnectionRefused",
  InsecureHTTP: "InsecureHTTP",
  /** Not set by resolveConnection: the engine's reason when EndpointPolicy.check or a connect refuses. */
  EndpointRefused: "EndpointRefused",
} as const;
export type ConnectionReason = (typeof ConnectionReason)[keyof typeof ConnectionReason];

/** What a resolved connection allows that an admin should see: a Warning condition and event each. */
export const ConnectionWarning = {
  InsecureHTTPAllowed: "InsecureHTTPAllowed",
  TLSVerificationDisabled: "TLSVerificationDisabled",
} as const;
export type ConnectionWarning = (typeof ConnectionWarning)[keyof typeof ConnectionWarning];

/** Anything with `get("ns/name")` (or `get("name")` for cluster-scoped): the informer caches. */
export interface ObjectLookup {
  get(key: string): unknown;
}

export interface ResolveContext {
  /** DatabaseConnections by "namespace/name". */
  connections: ObjectLookup;
  /** ClusterDatabaseConnections by name. */
  clusterConnections: ObjectLookup;
  /** Secrets by "namespace/name". */
  secrets: ObjectLookup;
  /** Where the Secrets of ClusterDatabaseConnections live. */
  operatorNamespace: string;
  /** `--allow-inline-connections`: whether spec.obshell / spec.dcs in a set is accepted. */
  allowInlineConnections: boolean;
  /** Receives every credential value read, so the logger can scrub it from messages. */
  secretValues?: { add(value: string): void };
}

/** The part of a parsed set the resolver reads. */
export interface SetConnectionSpec {
  kind: SetKindName;
  namespace: string;
  spec: {
    connectionRef?: ConnectionRef | undefined;
    obshell?: ObshellSettings | undefined;
    dcs?: DcsSettings | undefined;
  };
}

export interface ResolvedTls {
  /** PEM bundle to trust instead of the system roots. */
  caPem?: string;
  serverName?: string;
  insecureSkipVerify: boolean;
}

interface ResolvedBase {
  /** Where the settings came from; `Inline` is a set's own spec.obshell / spec.dcs. */
  source: {
    kind: "DatabaseConnection" | "ClusterDatabaseConnection" | "Inline";
    namespace?: string;
    name: string;
  };
  endpoint: string;
  tls: ResolvedTls;
  allowInsecureHTTP: boolean;
  timeoutMs: number;
  /** Digest of every setting, credentials and CA included: a client cache key that changes with any of them. */
  identity: string;
  warnings: ConnectionWarning[];
}

export interface ResolvedObshell extends ResolvedBase {
  kind: "obshell";
  credentials: { password: string };
  /** Lower-case hex SHA-256 of the agent's DER public key; unset when not pinned. */
  pinnedKeySha256?: string;
}

export interface ResolvedDcs extends ResolvedBase {
  kind: "dcs";
  projectId: string;
  credentials: { accessKey: string; secretKey: string };
}

export type ResolvedConnection = ResolvedObshell | ResolvedDcs;

export type ResolveResult =
  | { ok: true; connection: ResolvedConnection }
  | { ok: false; reason: ConnectionReason; message: string };

const secretShape = z.looseObject({
  type: z.string().optional(),
  data: z.record(z.string(), z.string()).optional(),
  stringData: z.record(z.string(), z.string()).optional(),
});

type Refusal = Extract<ResolveResult, { ok: false }>;
const refuse = (reason: ConnectionReason, message: string): Refusal => ({ ok: false, reason, message });

/**
 * Values of `keys` in Secret `namespace/name`, decoded; never puts a value into the message. A Secret of a
 * type a connection may not name is refused before any value is decoded (issue 25, M2).
 */
function readSecret(
  secrets: ObjectLookup,
  namespace: string,
  name: string,
  keys: readonly string[],
  reason: ConnectionReason,
): { ok: true; values: Record<string, string> } | Refusal {
  const parsed = secretShape.safeParse(secrets.get(`${namespace}/${name}`));
  if (!parsed.success || secrets.get(`${namespace}/${name}`) === undefined)
    return refuse(reason, `Secret ${namespace}/${name} not found`);
  if (!isCredentialSecretType(parsed.data.type))
    return refuse(
      ConnectionReason.SecretTypeRefused,
      `Secret ${namespace}/${name} is of type ${JSON.stringify(parsed.data.type)}; a connection may name only a Secret of type ${CREDENTIAL_SECRET_TYPES.join(" or ")}`,
    );
  const values: Record<string, string> = {};
  for (const key of keys) {
    const encoded = parsed.data.data?.[key];
    const value =
      encoded !== undefined ? Buffer.from(encoded, "base64").toString("utf8") : parsed.data.stringData?.[key];
    if (value === undefined || value === "")
      return refuse(reason, `Secret ${namespace}/${name} has no key "${key}"`);
    values[key] = value;
  }
  return { ok: true, values };
}

function digest(parts: unknown): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}

type Found =
  | {
      ok: true;
      settings: { obshell?: ObshellSettings | undefined; dcs?: DcsSettings | undefined };
      source: ResolvedBase["source"];
      secretNamespace: string;
    }
  | Refusal;

function findConnection(set: SetConnectionSpec, ctx: ResolveContext): Found {
  const ref = set.spec.connectionRef;
  const remote = SET_KINDS[set.kind].remote;
  const inline = set.spec[remote] && { [remote]: set.spec[remote] };
  if (!ref) {
    if (!inline)
      return refuse(
        ConnectionReason.ConnectionNotFound,
        "spec names neither connectionRef nor an inline connection",
      );
    if (!ctx.allowInlineConnections)
      return refuse(
        ConnectionReason.InlineConnectionRefused,
        `spec.${SET_KINDS[set.kind].remote} is an inline connection, which this operator refuses (started without --allow-inline-connections): ask an admin for a DatabaseConnection and name it in spec.connectionRef`,
      );
    return {
      ok: true,
      settings: inline,
      source: { kind: "Inline", namespace: set.namespace, name: "inline" },
      secretNamespace: set.namespace,
    };
  }
  if (ref.kind === DATABASE_CONNECTION_KIND) {
    const raw = ctx.connections.get(`${set.namespace}/${ref.name}`);
    if (raw === undefined)
      return refuse(
        ConnectionReason.ConnectionNotFound,
        `DatabaseConnection ${set.namespace}/${ref.name} not found`,
      );
    const parsed = parseCached(databaseConnection, raw);
    if (!parsed.success)
      return refuse(
        ConnectionReason.ConnectionInvalid,
        `DatabaseConnection ${set.namespace}/${ref.name} is invalid: ${describeIssues(parsed.error)}`,
      );
    return {
      ok: true,
      settings: parsed.data.spec,
      source: { kind: DATABASE_CONNECTION_KIND, namespace: set.namespace, name: ref.name },
      secretNamespace: set.namespace,
    };
  }
  const raw = ctx.clusterConnections.get(ref.name);
  if (raw === undefined)
    return refuse(ConnectionReason.ConnectionNotFound, `ClusterDatabaseConnection ${ref.name} not found`);
  const parsed = parseCached(clusterDatabaseConnection, raw);
  if (!parsed.success)
    return refuse(
      ConnectionReason.ConnectionInvalid,
      `ClusterDatabaseConnection ${ref.name} is invalid: ${describeIssues(parsed.error)}`,
    );
  if (!admitsNamespace(parsed.data.spec.allowedNamespaces, set.namespace))
    return refuse(
      ConnectionReason.ConnectionNotAllowed,
      `ClusterDatabaseConnection ${ref.name} does not list namespace ${set.namespace} in spec.allowedNamespaces`,
    );
  return {
    ok: true,
    settings: parsed.data.spec,
    source: { kind: CLUSTER_DATABASE_CONNECTION_KIND, name: ref.name },
    secretNamespace: ctx.operatorNamespace,
  };
}

function resolveTls(
  tls: TlsSettings | undefined,
  ctx: ResolveContext,
  namespace: string,
): { ok: true; tls: ResolvedTls } | Refusal {
  const out: ResolvedTls = { insecureSkipVerify: tls?.insecureSkipVerify ?? false };
  if (tls?.serverName) out.serverName = tls.serverName;
  if (tls?.caSecretRef) {
    const { name, key } = tls.caSecretRef;
    const ca = readSecret(ctx.secrets, namespace, name, [key], ConnectionReason.CaMissing);
    if (!ca.ok) return ca;
    const pem = ca.values[key] ?? "";
    if (!pem.includes("-----BEGIN CERTIFICATE-----"))
      return refuse(
        ConnectionReason.CaMissing,
        `Secret ${namespace}/${name} key "${key}" holds no PEM certificate`,
      );
    out.caPem = pem;
  }
  return { ok: true, tls: out };
}

/** The connection `set` uses, with its credentials; or why it has none. */
export function resolveConnection(set: SetConnectionSpec, ctx: ResolveContext): ResolveResult {
  const found = findConnection(set, ctx);
  if (!found.ok) return found;
  const want = SET_KINDS[set.kind].remote;
  const settings = found.settings[want];
  const where =
    found.source.kind === "Inline"
      ? `spec.${want}`
      : `${found.source.kind} ${found.source.namespace ? `${found.source.namespace}/` : ""}${found.source.name}`;
  if (!settings)
    return refuse(
      ConnectionReason.ConnectionKindMismatch,
      `${where} is not an ${want} connection, which a ${set.kind} needs`,
    );
  if (new URL(settings.endpoint).protocol === "http:" && !settings.allowInsecureHTTP)
    return refuse(
      ConnectionReason.InsecureHTTP,
      `${where}: endpoint is http://, which sends credentials unprotected; use https:// or set allowInsecureHTTP: true`,
    );
  const tls = resolveTls(settings.tls, ctx, found.secretNamespace);
  if (!tls.ok) return tls;

  const warnings: ConnectionWarning[] = [];
  if (new URL(settings.endpoint).protocol === "http:") warnings.push(ConnectionWarning.InsecureHTTPAllowed);
  else if (tls.tls.insecureSkipVerify) warnings.push(ConnectionWarning.TLSVerificationDisabled);

  const ref = settings.credentialsSecretRef;
  const keys = "key" in ref ? [ref.key] : [ref.accessKeyKey, ref.secretKeyKey];
  const secret = readSecret(
    ctx.secrets,
    found.secretNamespace,
    ref.name,
    keys,
    ConnectionReason.CredentialsMissing,
  );
  if (!secret.ok) return secret;
  for (const value of Object.values(secret.values)) ctx.secretValues?.add(value);

  const base = {
    source: found.source,
    endpoint: settings.endpoint,
    tls: tls.tls,
    allowInsecureHTTP: settings.allowInsecureHTTP,
    timeoutMs: durationMs(settings.requestTimeout),
    warnings,
  };
  if ("projectId" in settings) {
    const credentials = {
      accessKey: secret.values[settings.credentialsSecretRef.accessKeyKey] ?? "",
      secretKey: secret.values[settings.credentialsSecretRef.secretKeyKey] ?? "",
    };
    const connection = { ...base, kind: "dcs" as const, projectId: settings.projectId, credentials };
    return { ok: true, connection: { ...connection, identity: digest(connection) } };
  }
  const obshell = settings;
  const connection = {
    ...base,
    kind: "obshell" as const,
    credentials: { password: secret.values[obshell.credentialsSecretRef.key] ?? "" },
    ...(obshell.agentPublicKeySha256 ? { pinnedKeySha256: obshell.agentPublicKeySha256.toLowerCase() } : {}),
  };
  return { ok: true, connection: { ...connection, identity: digest(connection) } };
}

/** Where a set's connection leads (endpoint, DCS project), without reading any Secret: for ownership. */
export function locateConnection(
  set: SetConnectionSpec,
  ctx: Omit<ResolveContext, "secrets">,
): { endpoint: string; projectId?: string } | undefined {
  const found = findConnection(set, { ...ctx, secrets: { get: () => undefined } });
  if (!found.ok) return undefined;
  const settings = found.settings[SET_KINDS[set.kind].remote];
  if (!settings) return undefined;
  return "projectId" in settings
    ? { endpoint: settings.endpoint, projectId: settings.projectId }
    : { endpoint: settings.endpoint };
}
