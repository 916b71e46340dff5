// What the tools users already run compute from a set's status, so the README and the tests can say
// what each one shows:
// - kstatus (sigs.k8s.io/cli-utils pkg/kstatus/status, used by Flux's health checks and `kubectl` plugins):
//   status.go Compute for a kind it has no built-in rules for = generic.go checkGenericProperties, then
//   checkReadyCondition, else Current.
// - `kubectl wait --for=condition=...` (kubernetes/kubectl pkg/cmd/wait/condition.go checkCondition).

export type KstatusStatus = "InProgress" | "Failed" | "Current" | "Terminating";

interface Condition {
  type?: unknown;
  status?: unknown;
  reason?: unknown;
  message?: unknown;
  observedGeneration?: unknown;
}

export interface Assessable {
  kind?: unknown;
  metadata?: { generation?: unknown; deletionTimestamp?: unknown; [key: string]: unknown };
  status?: { observedGeneration?: unknown; conditions?: unknown };
}

const text = (v: unknown): string => (typeof v === "string" ? v : "");
const int = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isInteger(v) ? v : undefined;
const conditionsOf = (obj: Assessable): Condition[] =>
  Array.isArray(obj.status?.conditions)
    ? obj.status.conditions.filter((c): c is Condition => typeof c === "object" && c !== null)
    : [];

/** kstatus's Compute for a custom resource: status, message, and the reason of the condition it used. */
export function assessKstatus(obj: Assessable): { status: KstatusStatus; message: string; reason?: string } {
  // generic.go: a deletionTimestamp decides before anything else.
  if (text(obj.metadata?.deletionTimestamp) !== "")
    return { status: "Terminating", message: "Resource scheduled for deletion" };
  // generic.go checkGeneration: only when both are present, and any difference counts.
  const generation = int(obj.metadata?.generation);
  const observed = int(obj.status?.observedGeneration);
  if (generation !== undefined && observed !== undefined && observed !== generation)
    return {
      status: "InProgress",
      message: `${text(obj.kind)} generation is ${generation}, but latest observed generation is ${observed}`,
      reason: "LatestGenerationNotObserved",
    };
  const conditions = conditionsOf(obj);
  // generic.go: the first of Reconciling=True and Stalled=True in list order wins.
  for (const c of conditions) {
    if (c.type === "Reconciling" && c.status === "True")
      return { status: "InProgress", message: text(c.message), reason: text(c.reason) };
    if (c.type === "Stalled" && c.status === "True")
      return { status: "Failed", message: text(c.message), reason: text(c.reason) };
  }
  // status.go checkReadyCondition: the first Ready condition; True -> Current, False or Unknown -> InProgress.
  for (const c of conditions) {
    if (c.type !== "Ready") continue;
    if (c.status === "True") return { status: "Current", message: "Resource is Ready" };
    if (c.status === "False" || c.status === "Unknown")
      return { status: "InProgress", message: text(c.message), reason: text(c.reason) };
  }
  return { status: "Current", message: "Resource is current" };
}

/**
 * Whether `kubectl wait --for=condition=<type>=<status>` is satisfied: the first condition of that type
 * (case-insensitive) decides, unless its observedGeneration (or the status's) is behind the generation.
 */
export function kubectlWaitSatisfied(obj: Assessable, type: string, status = "True"): boolean {
  for (const c of conditionsOf(obj)) {
    if (typeof c.type !== "string" || c.type.toLowerCase() !== type.toLowerCase()) continue;
    if (typeof c.status !== "string") continue;
    const generation = int(obj.metadata?.generation);
    const observed = int(c.observedGeneration) ?? int(obj.status?.observedGeneration);
    if (generation !== undefined && observed !== undefined && observed < generation) return false;
    return c.status.toLowerCase() === status.toLowerCase();
  }
  return false;
}
