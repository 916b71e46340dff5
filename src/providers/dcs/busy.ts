// Whether DCS says an operation is running on an instance. Three fields can say so, and they are not always
// all present: Huawei's batch-delete example lists `task_status` (null when idle) and `service_task_id`
// ("" when idle) and no `task`; other replies carry `task` (null when idle). Any one field saying busy wins;
// a missing or unknown field never makes an instance look idle.
import type { DcsInstance } from "./schemas.js";

export type BusyFields = Pick<DcsInstance, "task" | "task_status" | "service_task_id">;

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

/** True when any of `task`, `task_status`, `service_task_id` says an operation is running. */
export function isInstanceBusy(instance: BusyFields): boolean {
  return busyReasons(instance).length > 0;
}
