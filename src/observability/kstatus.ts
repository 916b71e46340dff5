// kstatus's assessment of a custom resource (sigs.k8s.io/cli-utils/pkg/kstatus), the one Flux's
// health checks and `kubectl wait` rely on: Current, InProgress or Failed.

interface Assessable {
  metadata: { generation?: number };
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export function assessKstatus(obj: Assessable): {
  status: "Current" | "InProgress" | "Failed";
  message: string;
} {
  const generation = obj.metadata.generation;
  const status = obj.status;
  if (!status?.conditions) return { status: "InProgress", message: "not observed yet" };
  if (
    generation !== undefined &&
    (status.observedGeneration === undefined || status.observedGeneration < generation)
  )
    return { status: "InProgress", message: `generation ${generation} not observed yet` };
  const find = (type: string) => status.conditions?.find((c) => c.type === type && c.status === "True");
  const stalled = find("Stalled");
  if (stalled) return { status: "Failed", message: `${stalled.reason}: ${stalled.message ?? ""}` };
  const reconciling = find("Reconciling");
  if (reconciling)
    return { status: "InProgress", message: `${reconciling.reason}: ${reconciling.message ?? ""}` };
  const ready = status.conditions.find((c) => c.type === "Ready");
  if (ready && ready.status !== "True")
    return { status: "InProgress", message: `${ready.reason}: ${ready.message ?? ""}` };
  return { status: "Current", message: "Resource is current" };
}
