import { z } from "zod";
import {
  CLUSTER_DATABASE_CONNECTION_KIND,
  CLUSTER_DATABASE_CONNECTION_PLURAL,
  clusterDatabaseConnectionSpec,
  DATABASE_CONNECTION_KIND,
  DATABASE_CONNECTION_PLURAL,
  databaseConnectionSpec,
} from "./connection.js";
import {
  FLEET_DISRUPTION_BUDGET_KIND,
  FLEET_DISRUPTION_BUDGET_PLURAL,
  fleetDisruptionBudgetSpec,
} from "./fleet-disruption-budget.js";
import { GROUP, VERSION } from "./group.js";
import {
  REDIS_INSTANCE_SET_KIND,
  REDIS_INSTANCE_SET_PLURAL,
  redisInstanceSetSpec,
  redisInstanceSetStatus,
} from "./redis-instance-set.js";
import {
  TENANT_REPLICA_SET_KIND,
  TENANT_REPLICA_SET_PLURAL,
  tenantReplicaSetSpec,
  tenantReplicaSetStatus,
} from "./tenant-replica-set.js";

type JsonSchema = { [key: string]: unknown };

const SAFE_INTEGER_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);

/**
 * Turns zod's OpenAPI 3.0 output into a structural schema the API server accepts:
 * Kubernetes forbids `additionalProperties` beside `properties`, and zod's safe-integer
 * bounds are noise in `kubectl explain`.
 */
function toStructural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toStructural);
  if (node === null || typeof node !== "object") return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "$schema") continue;
    if (key === "additionalProperties" && value === false) continue;
    if ((key === "maximum" || key === "minimum") && SAFE_INTEGER_BOUNDS.has(value as number)) continue;
    out[key] = key === "default" || key === "enum" ? value : toStructural(value);
  }
  return out;
}

function openApiSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { target: "openapi-3.0", io: "input", reused: "inline" });
  return toStructural(json) as JsonSchema;
}

interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
}

interface CrdInput {
  kind: string;
  plural: string;
  shortName: string;
  spec: z.ZodType;
  /** Unset for kinds the operator only reads (connections): no status subresource. */
  status?: z.ZodType;
  columns: PrinterColumn[];
  scope?: "Namespaced" | "Cluster";
  categories?: string[];
}

function crd(input: CrdInput) {
  const singular = input.kind.toLowerCase();
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${input.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: input.scope ?? "Namespaced",
      names: {
        kind: input.kind,
        listKind: `${input.kind}List`,
        plural: input.plural,
        singular,
        shortNames: [input.shortName],
        categories: input.categories ?? ["dbfleet"],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          ...(input.status ? { subresources: { status: {} } } : {}),
          additionalPrinterColumns: input.columns,
          schema: {
            openAPIV3Schema: {
              type: "object",
              description: `${input.kind} (${GROUP}/${VERSION}). Generated from src/api by npm run gen:crds; do not edit.`,
              required: ["spec"],
              properties: {
                apiVersion: { type: "string" },
                kind: { type: "string" },
                metadata: { type: "object" },
                spec: openApiSchema(input.spec),
                ...(input.status ? { status: openApiSchema(input.status) } : {}),
              },
            },
          },
        },
      ],
    },
  };
}

const ageColumn: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };
const connectionColumn: PrinterColumn = {
  name: "Connection",
  type: "string",
  jsonPath: ".spec.connectionRef.name",
  priority: 1,
};
const readyColumn: PrinterColumn = {
  name: "Ready",
  type: "string",
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
};
/** Like Flux's STATUS column: why the set is (not) Ready, and on -o wide what it says. */
const reasonColumn: PrinterColumn = {
  name: "Reason",
  type: "string",
  jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
};
const messageColumn: PrinterColumn = {
  name: "Message",
  type: "string",
  jsonPath: '.status.conditions[?(@.type=="Ready")].message',
  priority: 1,
};

export function tenantReplicaSetCrd() {
  return crd({
    kind: TENANT_REPLICA_SET_KIND,
    plural: TENANT_REPLICA_SET_PLURAL,
    shortName: "trs",
    spec: tenantReplicaSetSpec,
    status: tenantReplicaSetStatus,
    columns: [
      { name: "Tenant", type: "string", jsonPath: ".spec.tenant" },
      { name: "Desired", type: "string", jsonPath: ".spec.zones", description: "Zones that keep a replica" },
      {
        name: "Observed",
        type: "string",
        jsonPath: ".status.zones",
        description: "Zones observed with a replica",
      },
      readyColumn,
      reasonColumn,
      { name: "DAG", type: "string", jsonPath: ".status.dag.state", description: "State of the obshell DAG" },
      { name: "Stage", type: "string", jsonPath: ".status.dag.stage", priority: 1 },
      connectionColumn,
      ageColumn,
      messageColumn,
    ],
  });
}

export function redisInstanceSetCrd() {
  return crd({
    kind: REDIS_INSTANCE_SET_KIND,
    plural: REDIS_INSTANCE_SET_PLURAL,
    shortName: "ris",
    spec: redisInstanceSetSpec,
    status: redisInstanceSetStatus,
    columns: [
      // From status: a set that names a connection has no project in its spec.
      { name: "Project", type: "string", jsonPath: ".status.projectId", priority: 1 },
      { name: "Desired", type: "string", jsonPath: ".spec.instances", description: "Instances to keep" },
      {
        name: "Observed",
        type: "integer",
        jsonPath: ".status.observedCount",
        description: "Instances in scope",
      },
      readyColumn,
      reasonColumn,
      connectionColumn,
      ageColumn,
      messageColumn,
    ],
  });
}

const connectionColumns: PrinterColumn[] = [
  { name: "obshell", type: "string", jsonPath: ".spec.obshell.endpoint" },
  { name: "DCS", type: "string", jsonPath: ".spec.dcs.endpoint" },
  { name: "Project", type: "string", jsonPath: ".spec.dcs.projectId", priority: 1 },
  ageColumn,
];

export function databaseConnectionCrd() {
  return crd({
    kind: DATABASE_CONNECTION_KIND,
    plural: DATABASE_CONNECTION_PLURAL,
    shortName: "dbconn",
    spec: databaseConnectionSpec,
    columns: connectionColumns,
    // Not in "dbfleet": `kubectl get dbfleet` lists what users own, not what admins own.
    categories: ["dbfleet-admin"],
  });
}

export function clusterDatabaseConnectionCrd() {
  return crd({
    kind: CLUSTER_DATABASE_CONNECTION_KIND,
    plural: CLUSTER_DATABASE_CONNECTION_PLURAL,
    shortName: "cdbconn",
    spec: clusterDatabaseConnectionSpec,
    columns: connectionColumns,
    scope: "Cluster",
    categories: ["dbfleet-admin"],
  });
}

export function fleetDisruptionBudgetCrd() {
  return crd({
    kind: FLEET_DISRUPTION_BUDGET_KIND,
    plural: FLEET_DISRUPTION_BUDGET_PLURAL,
    shortName: "fdb",
    spec: fleetDisruptionBudgetSpec,
    columns: [
      { name: "Window", type: "string", jsonPath: ".spec.window" },
      { name: "Per", type: "string", jsonPath: ".spec.per" },
      { name: "Instances", type: "integer", jsonPath: ".spec.maxInstancesDeleted" },
      { name: "Zones", type: "integer", jsonPath: ".spec.maxZonesRemoved" },
      ageColumn,
    ],
    scope: "Cluster",
    // An admin's object, as connections are: not in `kubectl get dbfleet`.
    categories: ["dbfleet-admin"],
  });
}

/** Every CRD of the operator, keyed by the file name it is written to under crds/. */
export function allCrds() {
  return {
    [`${GROUP}_${TENANT_REPLICA_SET_PLURAL}.yaml`]: tenantReplicaSetCrd(),
    [`${GROUP}_${REDIS_INSTANCE_SET_PLURAL}.yaml`]: redisInstanceSetCrd(),
    [`${GROUP}_${DATABASE_CONNECTION_PLURAL}.yaml`]: databaseConnectionCrd(),
    [`${GROUP}_${CLUSTER_DATABASE_CONNECTION_PLURAL}.yaml`]: clusterDatabaseConnectionCrd(),
    [`${GROUP}_${FLEET_DISRUPTION_BUDGET_PLURAL}.yaml`]: fleetDisruptionBudgetCrd(),
  };
}
