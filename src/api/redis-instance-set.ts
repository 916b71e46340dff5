import { z } from "zod";
import {
  conditions,
  objectMeta,
  pendingApproval,
  pendingPlan,
  pollInterval,
  setOf,
  settleTime,
  usedApprovals,
} from "./common.js";
import { connectionRef, dcsSettings, exactlyOneConnection } from "./connection.js";
import { disruptions } from "./fleet-disruption-budget.js";
import { API_VERSION } from "./group.js";

export const REDIS_INSTANCE_SET_KIND = "RedisInstanceSet";
export const REDIS_INSTANCE_SET_PLURAL = "redisinstancesets";

/** The inline alternative to spec.connectionRef; refused unless the operator allows inline connections. */
export const dcsConnection = dcsSettings;

export const instanceSelector = z
  .strictObject({
    namePrefix: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe("Only instances whose name starts with this prefix."),
    tags: z
      .record(z.string().min(1).max(128), z.string().max(255))
      .refine((tags) => Object.keys(tags).length > 0, { message: "must hold at least one tag" })
      .optional()
      .meta({ minProperties: 1 })
      .describe("Only instances carrying all of these tags (key: value)."),
  })
  .refine((s) => s.namePrefix !== undefined || s.tags !== undefined, {
    message: "must set namePrefix or tags: the set only ever touches instances inside this scope",
  })
  .meta({ minProperties: 1 })
  .describe("The scope this set owns. Instances outside it are never touched.");

export const redisInstanceSetPolicy = z
  .strictObject({
    maxDeletionsPerOperation: z
      .int()
      .min(1)
      .max(1000)
      .default(10)
      .describe("Most instances deleted by one operation (sent in batches of at most 50)."),
    dryRun: z
      .boolean()
      .default(false)
      .describe("Plan and record in status and events, but never call delete."),
    allowEmpty: z
      .boolean()
      .default(false)
      .describe("Allow an empty spec.instances, which deletes every instance inside the selector."),
    recycle: z
      .boolean()
      .default(true)
      .describe("Send is_recycle=true so deleted Redis >= 4.0 instances go to the recycle bin."),
    approvalThreshold: z
      .int()
      .min(0)
      .optional()
      .describe(
        "A plan deleting more instances than this needs the dbfleet.io/approve-plan annotation. Default: more than half of the owned instances, or more than maxDeletionsPerOperation.",
      ),
    settleTime,
  })
  .describe("Limits and behaviour of destructive operations.");

export const redisInstanceSetSpec = z
  .strictObject({
    connectionRef: connectionRef.optional(),
    dcs: dcsConnection
      .optional()
      .describe(
        "Inline connection, instead of connectionRef: accepted only when the operator runs with --allow-inline-connections.",
      ),
    selector: instanceSelector,
    instances: setOf(z.string().min(1).max(128), "instances").describe(
      "Names or ids of the instances to keep; owned instances not named here are deleted.",
    ),
    policy: redisInstanceSetPolicy.prefault({}),
    paused: z.boolean().default(false).describe("Stop every remote call for this set."),
    pollInterval: pollInterval
      .default("30s")
      .describe("How often the remote state is observed when nothing is in flight (at least 1s)."),
  })
  .refine((spec) => (spec.connectionRef === undefined) !== (spec.dcs === undefined), {
    message: "must set exactly one of connectionRef or dcs",
  })
  .meta(exactlyOneConnection("dcs"))
  .describe("The DCS instances kept inside a scope this set owns.");

export const observedInstance = z.object({
  id: z.string().describe("DCS instance_id."),
  name: z.string().describe("Instance name."),
  status: z.string().describe("DCS status, e.g. RUNNING."),
});

export const deletionRecord = z.object({
  id: z.string().describe("DCS instance_id."),
  name: z.string().describe("Instance name."),
  requestedAt: z.iso.datetime({ offset: true }).describe("When the last delete of it was requested."),
  result: z.enum(["pending", "success", "failed"]).describe("pending before DCS answered, then its result."),
  lastError: z.string().optional().describe("Why the last attempt failed."),
  lastErrorCode: z.string().optional().describe("The DCS error code of the last refusal, when DCS gave one."),
  attempts: z.int().min(0).describe("Delete requests sent for it."),
  goneAt: z.iso
    .datetime({ offset: true })
    .optional()
    .describe("When the listing first stopped showing it: only then is it gone."),
});

export const batchResult = z.object({
  result: z.string().describe("success or failed, as DCS answered."),
  instance: z.string().describe("instance_id, as DCS answered."),
});

export const redisInstanceSetStatus = z
  .object({
    observedGeneration: z.int().min(0).optional().describe("metadata.generation last acted upon."),
    conditions: conditions.optional(),
    phase: z
      .string()
      .optional()
      .describe("Short summary for printer columns: Ready, Reconciling, Stalled, Paused."),
    projectId: z
      .string()
      .optional()
      .describe("The DCS project of the last listing: the connection's projectId, for the Project column."),
    instances: z.array(observedInstance).optional().describe("Instances observed inside the selector."),
    observedCount: z.int().min(0).optional().describe("How many instances are inside the selector."),
    deletions: z.array(deletionRecord).optional().describe("Every instance this set asked DCS to delete."),
    lastBatch: z
      .object({
        requestedAt: z.iso.datetime({ offset: true }).describe("When the batch was sent."),
        results: z.array(batchResult).describe("The batch's results[], verbatim."),
      })
      .optional()
      .describe("The last batch delete and what DCS answered."),
    pendingApproval: pendingApproval.optional(),
    usedApprovals: usedApprovals.optional(),
    pendingPlan: pendingPlan.optional(),
    disruptions: disruptions.optional(),
    missing: z
      .array(z.string())
      .optional()
      .describe("Names or ids in spec.instances that no instance in scope has."),
  })
  .describe("Observed instances in scope and the deletions requested.");

export const redisInstanceSet = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(REDIS_INSTANCE_SET_KIND),
  metadata: objectMeta,
  spec: redisInstanceSetSpec,
  status: redisInstanceSetStatus.optional(),
});

export type RedisInstanceSetSpec = z.infer<typeof redisInstanceSetSpec>;
export type RedisInstanceSetStatus = z.infer<typeof redisInstanceSetStatus>;
export type RedisInstanceSet = z.infer<typeof redisInstanceSet>;
export type DeletionRecord = z.infer<typeof deletionRecord>;
