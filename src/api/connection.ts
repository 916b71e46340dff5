// Connections: how to reach an obshell agent or DCS, owned by an admin and referenced by sets by name
// (issue 17). A namespaced kind and a cluster-scoped kind, as cert-manager's Issuer and ClusterIssuer.
import { z } from "zod";
import { httpEndpoint, objectMeta, objectName, requestTimeout, secretKey } from "./common.js";
import { API_VERSION } from "./group.js";

export const DATABASE_CONNECTION_KIND = "DatabaseConnection";
export const DATABASE_CONNECTION_PLURAL = "databaseconnections";
export const CLUSTER_DATABASE_CONNECTION_KIND = "ClusterDatabaseConnection";
export const CLUSTER_DATABASE_CONNECTION_PLURAL = "clusterdatabaseconnections";

/**
 * The Secret types a connection may name (issue 25, M2): Opaque, or this project's own type. Anything else
 * (a ServiceAccount token, a dockerconfigjson, a TLS key pair, a bootstrap token, another project's type)
 * is refused before a value is read, so a connection cannot aim the operator at a Secret made for something
 * else. The API server gives a Secret created without a type `Opaque`.
 */
export const CREDENTIAL_SECRET_TYPES = ["Opaque", "dbfleet.io/credentials"] as const;

/** Whether a Secret of `type` may be read for a connection; a Secret without one (never from the API server) is Opaque. */
export function isCredentialSecretType(type: unknown): boolean {
  return type === undefined || (CREDENTIAL_SECRET_TYPES as readonly unknown[]).includes(type);
}

/** Where a Secret is read from, said once for every reference below. */
const SECRET_HOME =
  "in the connection's namespace; for a ClusterDatabaseConnection, in the operator's namespace; for an inline connection, in the set's namespace; of type Opaque or dbfleet.io/credentials";

const caSecretRef = z
  .strictObject({
    name: objectName.describe(`Secret holding the CA bundle, ${SECRET_HOME}.`),
    key: secretKey.default("ca.crt").describe("Key of the PEM bundle inside the Secret."),
  })
  .describe("CA that signed the remote's certificate; the system roots when unset.");

export const tlsSettings = z
  .strictObject({
    caSecretRef: caSecretRef.optional(),
    serverName: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/, { message: "must be a DNS name" })
      .optional()
      .describe("Name the certificate must carry (SNI and verification); the endpoint's host when unset."),
    insecureSkipVerify: z
      .boolean()
      .default(false)
      .describe("Accept any certificate. Only for tests: anyone on the path can then read the credentials."),
  })
  .describe("TLS settings for an https:// endpoint.");

const allowInsecureHTTP = z
  .boolean()
  .default(false)
  .describe(
    "Allow an http:// endpoint. Credentials then cross the network unprotected; the set reports a Warning.",
  );

export const obshellSettings = z
  .strictObject({
    endpoint: httpEndpoint.describe("obshell agent URL, e.g. https://ob1.db.example:2886."),
    credentialsSecretRef: z
      .strictObject({
        name: objectName.describe(`Secret holding the root@sys password, ${SECRET_HOME}.`),
        key: secretKey.default("password").describe("Key of the password inside the Secret."),
      })
      .describe("Where the cluster's root@sys password is kept."),
    tls: tlsSettings.optional(),
    agentPublicKeySha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, { message: "must be 64 hexadecimal digits" })
      .optional()
      .describe(
        "SHA-256 (hex) of the agent's public key as GET /api/v1/secret returns it (base64-decoded DER). When set, no password is sent to an agent whose key differs.",
      ),
    allowInsecureHTTP,
    requestTimeout: requestTimeout.default("30s").describe("Deadline of one HTTP request to the agent."),
  })
  .describe("How to reach the obshell agent of an OceanBase cluster.");

export const dcsSettings = z
  .strictObject({
    endpoint: httpEndpoint.describe(
      "Regional DCS endpoint, e.g. https://dcs.ap-southeast-1.myhuaweicloud.com.",
    ),
    projectId: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_-]+$/, { message: "must be a Huawei Cloud project id" })
      .describe("Project whose instances are listed and deleted."),
    credentialsSecretRef: z
      .strictObject({
        name: objectName.describe(`Secret holding the access key pair, ${SECRET_HOME}.`),
        accessKeyKey: secretKey.default("accessKey").describe("Key of the access key id (AK)."),
        secretKeyKey: secretKey.default("secretKey").describe("Key of the secret access key (SK)."),
      })
      .describe("Where the AK/SK used to sign requests are kept."),
    tls: tlsSettings.optional(),
    allowInsecureHTTP,
    requestTimeout: requestTimeout.default("30s").describe("Deadline of one HTTP request to DCS."),
  })
  .describe("How to reach Huawei Cloud DCS.");

export type ObshellSettings = z.infer<typeof obshellSettings>;
export type DcsSettings = z.infer<typeof dcsSettings>;
export type TlsSettings = z.infer<typeof tlsSettings>;

const EXACTLY_ONE_REMOTE = {
  oneOf: [{ required: ["obshell"] }, { required: ["dcs"] }],
};

const remoteShape = {
  obshell: obshellSettings.optional(),
  dcs: dcsSettings.optional(),
};

function exactlyOneRemote(spec: { obshell?: unknown; dcs?: unknown }): boolean {
  return (spec.obshell === undefined) !== (spec.dcs === undefined);
}
const exactlyOneRemoteMessage = { message: "must set exactly one of obshell or dcs" };

export const databaseConnectionSpec = z
  .strictObject(remoteShape)
  .refine(exactlyOneRemote, exactlyOneRemoteMessage)
  .meta(EXACTLY_ONE_REMOTE)
  .describe("One remote (obshell or dcs) that sets of this namespace may use by name.");

/** What `allowedNamespaces: ["*"]` spells: every namespace, said out loud (issue 25, L2). */
export const ALL_NAMESPACES = "*";

const allowedNamespace = z
  .string()
  .min(1)
  .max(253)
  .regex(/^(\*|[a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/, {
    message: `must be a namespace name or "${ALL_NAMESPACES}"`,
  });

/** Whether a cluster connection's allowedNamespaces admit `namespace`. The one rule, for resolve and watch. */
export function admitsNamespace(allowed: readonly string[], namespace: string): boolean {
  return allowed.includes(ALL_NAMESPACES) || allowed.includes(namespace);
}

export const clusterDatabaseConnectionSpec = z
  .strictObject({
    ...remoteShape,
    allowedNamespaces: z
      .array(allowedNamespace, {
        // Was optional and meant "every namespace" (issue 25, L2): an object stored before is refused by name.
        error: (issue) =>
          issue.input === undefined || issue.input === null
            ? `is required: list the namespaces whose sets may use this connection, or ["${ALL_NAMESPACES}"] for every namespace`
            : undefined,
      })
      .min(1)
      .refine((names) => new Set(names).size === names.length, {
        message: "allowedNamespaces must not repeat",
      })
      .meta({ "x-kubernetes-list-type": "set" })
      .refine((names) => !names.includes(ALL_NAMESPACES) || names.length === 1, {
        message: `"${ALL_NAMESPACES}" means every namespace and stands alone`,
      })
      .describe(
        `Namespaces whose sets may use this connection; ["${ALL_NAMESPACES}"] for every namespace. Required.`,
      ),
  })
  .refine(exactlyOneRemote, exactlyOneRemoteMessage)
  .meta(EXACTLY_ONE_REMOTE)
  .describe("One remote (obshell or dcs) that sets of any (or the allowed) namespaces may use by name.");

export const databaseConnection = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(DATABASE_CONNECTION_KIND),
  metadata: objectMeta,
  spec: databaseConnectionSpec,
});

export const clusterDatabaseConnection = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(CLUSTER_DATABASE_CONNECTION_KIND),
  metadata: objectMeta,
  spec: clusterDatabaseConnectionSpec,
});

export type DatabaseConnection = z.infer<typeof databaseConnection>;
export type ClusterDatabaseConnection = z.infer<typeof clusterDatabaseConnection>;

/** How a set names its connection: `spec.connectionRef`. */
export const connectionRef = z
  .strictObject({
    kind: z
      .enum([DATABASE_CONNECTION_KIND, CLUSTER_DATABASE_CONNECTION_KIND])
      .default(DATABASE_CONNECTION_KIND)
      .describe("DatabaseConnection (in the set's namespace) or ClusterDatabaseConnection."),
    name: objectName.describe("Name of the connection."),
  })
  .describe("The admin-owned connection this set uses to reach its remote.");
export type ConnectionRef = z.infer<typeof connectionRef>;

/** CRD fragment: a set names exactly one of connectionRef or the inline block `inline`. */
export function exactlyOneConnection(inline: "obshell" | "dcs") {
  return { oneOf: [{ required: ["connectionRef"] }, { required: [inline] }] };
}
