// obshell error replies -> typed RemoteErrors (docs/protocols/obshell.md "Response envelope").
import {
  AuthError,
  BadRequestError,
  BusyError,
  NotFoundError,
  type RemoteError,
  type RemoteErrorDetails,
  ServerError,
} from "../errors.js";

/** errCodes that mean "another operation holds the tenant or cluster: try again later". */
const BUSY_CODES = new Set([
  "OB.Tenant.UnderMaintenance",
  "OB.Cluster.UnderMaintenance",
  "OB.Cluster.UnderMaintenanceWithDag",
]);
const NOT_FOUND_CODES = new Set(["OB.Tenant.NotExist", "Task.NotFound"]);
/** Agents before 4.3.1.0 send only a numeric code. */
const LEGACY_NOT_FOUND = new Set([1003, 2300]);
const LEGACY_AUTH = 10008;
const KEY_REJECTED_CODE = "Security.Authentication.Header.DecryptFailed";
/** The legacy code of DecryptFailed (agent errors/errorcode.go); the official SDK refetches the key on it. */
const LEGACY_KEY_REJECTED = 1;

/**
 * The agent refused a DAG operation for good: `Task.Expired` (a newer DAG took the tenant's maintenance lock:
 * ob/agent/service/task/status_maintainer.go UpdateMaintenanceTask, a 500) or `Task.Dag.Operator.*` (the DAG's state
 * or a node does not allow it: ob/agent/service/task/dag.go, 400). Asking again changes nothing; a person decides.
 */
export class DagOperationRefusedError extends BadRequestError {}
const TERMINAL_TASK_CODE = /^Task\.(Expired|Dag\.Operator\.\w+)$/;

/** The agent could not decrypt X-OCS-Header: the client's copy of its public key is stale (key rotated). */
export class AgentKeyRejectedError extends AuthError {}

export function obshellError(
  details: Omit<RemoteErrorDetails, "provider"> & { status: number; legacyCode?: number | undefined },
): RemoteError {
  const full: RemoteErrorDetails = { ...details, provider: "obshell" };
  const code = details.remoteCode;
  if (code && BUSY_CODES.has(code)) return new BusyError("busy", full);
  if (code && TERMINAL_TASK_CODE.test(code))
    return new DagOperationRefusedError("DAG operation refused", full);
  if (
    (code && NOT_FOUND_CODES.has(code)) ||
    (details.legacyCode !== undefined && LEGACY_NOT_FOUND.has(details.legacyCode))
  )
    return new NotFoundError("not found", full);
  if (code === KEY_REJECTED_CODE || details.legacyCode === LEGACY_KEY_REJECTED)
    return new AgentKeyRejectedError("agent key rejected", full);
  if (details.status === 401 || code?.startsWith("Security.") || details.legacyCode === LEGACY_AUTH)
    return new AuthError("authentication failed", full);
  if (details.status === 404) return new NotFoundError("not found", full);
  if (details.status >= 400 && details.status < 500) return new BadRequestError("refused", full);
  return new ServerError("server error", full);
}
