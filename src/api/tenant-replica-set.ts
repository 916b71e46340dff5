import { z } from "zod";
import {
  conditions,
  objectMeta,
  pendingApproval,
  pendingPlan,
  pollInterval,
  recordedRemote,
  setOf,
  settleTime,
  usedApprovals,
} from "./common.js";
import { connectionRef, exactlyOneConnection, obshellSettings } from "./connection.js";
import { disruptions } from "./fleet-disruption-budget.js";
import { API_VERSION } from "./group.js";

export const TENANT_REPLICA_SET_KIND = "TenantReplicaSet";
export const TENANT_REPLICA_SET_PLURAL = "tenantreplicasets";

const zoneName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, { message: "must be an OceanBase zone name" });

/** What obshell calls a replica's type (agent executor/zone/check.go CheckReplicaType: FULL or READONLY). */
export const replicaType = z.enum(["FULL", "READONLY"]);

const unitConfigName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, { message: "must be an OceanBase unit config name" });

/** A zone whose new replica differs from the template. */
const replicaOverride = z.strictObject({
  zone: zoneName.describe("The zone (one of spec.zones) this override is for."),
  unitConfigName: unitConfigName
    .optional()
    .describe("Unit config of this zone's resource pool; default: the template's."),
  type: replicaType.optional().describe("FULL or READONLY; default: the template's."),
});

export const replicaTemplate = z
  .strictObject({
    unitConfigName: unitConfigName.describe(
      "Unit config (an existing OceanBase resource unit config) of the resource pool a new replica gets.",
    ),
    unitNum: z
      .int()
      .min(1)
      .optional()
      .describe(
        "Units per zone. obshell accepts only the tenant's own unit number (scale_out_replicas.go), so the default is the tenant's.",
      ),
    type: replicaType.default("FULL").describe("FULL (default) or READONLY."),
    overrides: z
      .array(replicaOverride)
      .refine((o) => new Set(o.map((x) => x.zone)).size === o.length, {
        message: "must name each zone at most once",
      })
      .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["zone"] })
      .optional()
      .describe(
        "Per-zone differences from the template (unitNum cannot differ: obshell requires one for all).",
      ),
  })
  .describe(
    "What a replica the operator adds is made of. Without it a zone of spec.zones that holds no replica is never added: the set stalls at DesiredZoneMissing, as before scale-out.",
  );

/** The inline alternative to spec.connectionRef; refused unless the operator allows inline connections. */
export const obshellConnection = obshellSettings;

export const tenantReplicaSetPolicy = z
  .strictObject({
    maxZonesPerOperation: z
      .int()
      .min(1)
      .max(16)
      .default(1)
      .describe("Most zones removed, or added, by one obshell DAG; the rest wait for the next operation."),
    dryRun: z
      .boolean()
      .default(false)
      .describe("Plan and record in status and events, but never call delete (or add)."),
    onDagFailure: z
      .enum(["Hold", "Retry", "Rollback"])
      .default("Hold")
      .describe("What to do with a FAILED DAG: Hold for a human, Retry it, or Rollback."),
    maxDagRetries: z
      .int()
      .min(0)
      .max(100)
      .default(3)
      .describe("With onDagFailure Retry: how many RETRYs before holding."),
    approvalThreshold: z
      .int()
      .min(0)
      .optional()
      .describe(
        "A plan removing (or adding) more zones than this needs the dbfleet.io/approve-plan annotation. Default: more than half of the observed zones, or more than maxZonesPerOperation.",
      ),
    settleTime,
  })
  .describe("Limits and behaviour of destructive operations.");

export const tenantReplicaSetSpec = z
  .strictObject({
    connectionRef: connectionRef.optional(),
    obshell: obshellConnection
      .optional()
      .describe(
        "Inline connection, instead of connectionRef: accepted only when the operator runs with --allow-inline-connections.",
      ),
    tenant: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "must be an OceanBase tenant name" })
      .describe("Name of the OceanBase tenant whose replicas this set keeps."),
    zones: setOf(zoneName, "zones")
      .min(1, { message: "must name at least one zone" })
      .describe("Zones that keep a replica of the tenant; replicas in other zones are removed."),
    replicaTemplate: replicaTemplate.optional(),
    policy: tenantReplicaSetPolicy.prefault({}),
    paused: z.boolean().default(false).describe("Stop every remote call for this set."),
    pollInterval: pollInterval
      .default("30s")
      .describe("How often the remote state is observed when nothing is in flight (at least 1s)."),
  })
  .refine((spec) => (spec.connectionRef === undefined) !== (spec.obshell === undefined), {
    message: "must set exactly one of connectionRef or obshell",
  })
  // 1.20 has no CEL: this cross-field rule is checked when the set is parsed (InvalidSpec names the field).
  .superRefine((spec, ctx) => {
    for (const [i, o] of (spec.replicaTemplate?.overrides ?? []).entries())
      if (!spec.zones.includes(o.zone))
        ctx.addIssue({
          code: "custom",
          path: ["replicaTemplate", "overrides", i, "zone"],
          message: `zone ${o.zone} is not in spec.zones; an override is for a zone the set keeps`,
        });
  })
  .meta(exactlyOneConnection("obshell"))
  .describe("The zones an OceanBase tenant keeps replicas in.");

export const dagStatus = z
  .object({
    id: z.string().describe("obshell generic DAG id (e.g. 12)."),
    dagId: z.int().describe("Numeric DAG id."),
    name: z.string().describe("DAG name, e.g. Scale in tenant replicas."),
    stage: z.int().describe("Current node, 1-based."),
    maxStage: z.int().describe("Number of nodes."),
    state: z.string().describe("PENDING, READY, RUNNING, FAILED or SUCCEED."),
    operator: z.string().describe("RUN, RETRY, ROLLBACK, CANCEL or PASS."),
    startTime: z.string().optional().describe("When the DAG started."),
    endTime: z.string().optional().describe("When the DAG ended (unset while running)."),
  })
  .describe("Mirror of the obshell DagDetailDTO of the operation in flight or last finished.");

export const tenantOperation = z
  .object({
    kind: z.enum(["RemoveZones", "AddZones"]).describe("What the operation does."),
    zones: z.array(z.string()).describe("Zones the operation removes or adds."),
    replicas: z
      .array(
        z.object({
          zone: z.string(),
          unitConfigName: z.string(),
          unitNum: z.int(),
          type: replicaType,
        }),
      )
      .optional()
      .describe("AddZones: the replica settings sent, one per zone, exactly as in the POST."),
    startedAt: z.iso
      .datetime({ offset: true })
      .describe("When the intent was recorded, before the remote call."),
    dagId: z
      .string()
      .optional()
      .describe("Generic id of the DAG obshell answered with; unset until it answered."),
    retries: z.int().min(0).default(0).describe("RETRYs issued on the DAG."),
    refused: z
      .object({
        dagId: z.string().describe("The DAG obshell refused to operate."),
        operator: z.enum(["RETRY", "ROLLBACK"]).describe("What was asked."),
        code: z.string().describe("obshell's errCode, e.g. Task.Expired."),
        at: z.iso.datetime({ offset: true }).describe("When obshell refused."),
      })
      .optional()
      .describe("obshell refused a RETRY or ROLLBACK of the DAG for good: it is not asked again."),
    generation: z.int().min(0).optional().describe("metadata.generation the operation was planned for."),
    endpoint: z
      .string()
      .optional()
      .describe("obshell endpoint the operation runs on; it is followed there whatever the spec says now."),
    remote: z
      .string()
      .optional()
      .describe(
        "The cluster the operation runs on, as its agent reported it (obshell|<cluster name>#<cluster id>); it is followed only while its connection leads to that cluster.",
      ),
    tenant: z.string().optional().describe("Tenant the operation runs on."),
    connectionRef: connectionRef
      .optional()
      .describe("The connection the operation was started through; it is followed through it."),
    credentialsSecretName: z
      .string()
      .optional()
      .describe(
        "With an inline connection: the Secret (in the set's namespace) the operation was started with.",
      ),
    credentialsSecretKey: z.string().optional().describe("Key of the password inside that Secret."),
  })
  .describe("The operation in flight (a removal or an addition): written before the remote call.");

export const tenantReplicaSetStatus = z
  .object({
    observedGeneration: z.int().min(0).optional().describe("metadata.generation last acted upon."),
    conditions: conditions.optional(),
    phase: z
      .string()
      .optional()
      .describe("Short summary for printer columns: Ready, Reconciling, Stalled, Paused."),
    zones: z.array(z.string()).optional().describe("Zones observed to hold a replica of the tenant."),
    replicas: z
      .array(
        z.object({ zone: z.string().describe("Zone name."), type: z.string().describe("FULL or READONLY.") }),
      )
      .optional()
      .describe("Observed replicas, from the tenant's locality."),
    remote: recordedRemote.optional(),
    operation: tenantOperation.optional(),
    dag: dagStatus.optional(),
    pendingApproval: pendingApproval.optional(),
    usedApprovals: usedApprovals.optional(),
    pendingPlan: pendingPlan.optional(),
    disruptions: disruptions.optional(),
  })
  .describe("Observed state of the tenant and of the operation in flight.");

export const tenantReplicaSet = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(TENANT_REPLICA_SET_KIND),
  metadata: objectMeta,
  spec: tenantReplicaSetSpec,
  status: tenantReplicaSetStatus.optional(),
});

export type TenantReplicaSetSpec = z.infer<typeof tenantReplicaSetSpec>;
export type TenantReplicaSetStatus = z.infer<typeof tenantReplicaSetStatus>;
export type TenantReplicaSet = z.infer<typeof tenantReplicaSet>;
export type DagStatus = z.infer<typeof dagStatus>;
export type TenantOperation = z.infer<typeof tenantOperation>;
export type ReplicaTemplate = z.infer<typeof replicaTemplate>;
export type ReplicaType = z.infer<typeof replicaType>;
