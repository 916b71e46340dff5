// Whether DCS says an operation is running on an instance. Three fields can say so, and they are not always
// all present: Huawei's batch-delete example lists `task_status` (null when idle) and `service_task_id`
// ("" when idle) and no `task`; other replies carry `task` (null when idle). Any one field saying busy wins;
// a missing or unknown field never makes an instance look idle: idle needs one field present and saying so.
import type { DcsInstance } from "./schemas.js";

export type BusyFields = Pick<DcsInstance, "task" | "task_status" | "service_task_id">;

/** busy: a field says an operation runs; idle: a field present says none does and none says one does; unknown: none of the three is in the reply. */
export type BusyState = "busy" | "idle" | "unknown";

/** Which fields say the instance is mid-operation (empty when none does). */
export function busyReasons(instance: BusyFields): string[] {
  const reasons: string[] = [];
  if (instance.task !== null && instance.task !== undefined) reasons.push("task");
  if (instance.task_status !== null && instance.task_status !== undefined) reasons.push("task_status");
  const serviceTask = instance.service_task_id;
  if (serviceTask !== null && serviceTask !== undefined && serviceTask !== "")
    reasons.push("service_task_id");
  return reasons;
}

export function busyState(instance: BusyFields): BusyState {
  if (busyReasons(instance).length > 0) return "busy";
  // JSON has no undefined: a field that parsed to undefined was not in the reply.
  const present = [instance.task, instance.task_status, instance.service_task_id].some(
    (f) => f !== undefined,
  );
  return present ? "idle" : "unknown";
}

/** True unless DCS's reply shows the instance idle: a field says an operation runs, or none of them is there. */
export function isInstanceBusy(instance: BusyFields): boolean {
  return busyState(instance) !== "idle";
}
