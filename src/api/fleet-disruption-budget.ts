// An admin-owned, cluster-scoped limit on destructive work across every set of the fleet, whatever the
// number of sets (issue 26): named after PodDisruptionBudget, the Kubernetes object that limits voluntary
// disruptions across many owners; "Fleet" because it spans sets, kinds and namespaces.
import { z } from "zod";
import { durationMs, objectMeta, objectName, setOf } from "./common.js";
import { API_VERSION } from "./group.js";

export const FLEET_DISRUPTION_BUDGET_KIND = "FleetDisruptionBudget";
export const FLEET_DISRUPTION_BUDGET_PLURAL = "fleetdisruptionbudgets";

/** The longest window: sets keep their recorded disruptions this long (status.disruptions). */
export const MAX_BUDGET_WINDOW_MS = 24 * 3_600_000;

// Whole hours, minutes and seconds, at least 1s, at most 24h (no CEL on 1.20: a pattern the API server checks).
const WINDOW =
  /^(24h|(2[0-3]|1[0-9]|[1-9])h([1-5]?[0-9]m)?([1-5]?[0-9]s)?|([1-5]?[0-9]m)([1-5]?[0-9]s)?|[1-5]?[0-9]s)$/;

/** What one budget counts its limits per. */
export const budgetScope = z.enum(["Remote", "Namespace", "Fleet"]);
export type BudgetScope = z.infer<typeof budgetScope>;

export const fleetDisruptionBudgetSpec = z
  .strictObject({
    window: z
      .string()
      .regex(WINDOW, { message: "must be a duration between 1s and 24h in whole h, m, s (e.g. 1h, 30m)" })
      .meta({ pattern: WINDOW.source })
      .refine((w) => durationMs(w) >= 1000, { message: "must be at least 1s" })
      .describe(
        "The sliding window the limits hold over, e.g. 1h: work started longer ago no longer counts.",
      ),
    per: budgetScope
      .default("Fleet")
      .describe(
        "What the limits are counted per: Remote (each DCS project or OceanBase cluster), Namespace (each namespace of sets), or Fleet (everything the operator sees, together).",
      ),
    namespaces: setOf(objectName, "namespaces")
      .min(1)
      .optional()
      .describe(
        "Only sets in these namespaces are limited and counted. Unset: every namespace the operator watches.",
      ),
    maxInstancesDeleted: z
      .int()
      .min(0)
      .optional()
      .describe(
        "Most DCS instances whose deletion may start within one window (per the scope). Unset: no limit.",
      ),
    maxZonesRemoved: z
      .int()
      .min(0)
      .optional()
      .describe(
        "Most OceanBase tenant replicas (zones) whose removal may start within one window (per the scope). Unset: no limit.",
      ),
  })
  .describe(
    "Limits destructive work across every set: a set whose plan would exceed a limit waits (BudgetExhausted) until enough of the window has passed.",
  );

export const fleetDisruptionBudget = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(FLEET_DISRUPTION_BUDGET_KIND),
  metadata: objectMeta,
  spec: fleetDisruptionBudgetSpec,
});

export type FleetDisruptionBudgetSpec = z.infer<typeof fleetDisruptionBudgetSpec>;
export type FleetDisruptionBudget = z.infer<typeof fleetDisruptionBudget>;

/** What a budget counts: a DCS instance deleted, or an OceanBase replica (zone) removed. */
export const disruptionUnit = z.enum(["instances", "zones"]);
export type DisruptionUnit = z.infer<typeof disruptionUnit>;

/** One destructive operation a set started, as its status records it with the intent. */
export const disruption = z.object({
  startedAt: z.iso
    .datetime({ offset: true })
    .describe("When the intent was recorded, before the remote call."),
  unit: disruptionUnit.describe("instances (DCS) or zones (OceanBase replicas)."),
  count: z.int().min(0).describe("How many the operation started on; a refusal gives them back."),
  remote: z.string().describe("The remote the operation acts on, as budgets count per remote."),
});
export type Disruption = z.infer<typeof disruption>;

export const disruptions = z
  .array(disruption)
  .max(200)
  .describe(
    "Destructive operations this set started in the last 24 h (newest first): what FleetDisruptionBudgets count.",
  );
