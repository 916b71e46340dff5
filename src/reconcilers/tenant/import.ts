// `import` for TenantReplicaSets: one set per tenant, declaring the zones that hold its replicas now, read
// through the kind's own obshell client. A tenant with a DAG unfinished on it is refused: its zones are
// changing, so there is no "now" to declare.

import { API_VERSION } from "../../api/group.js";
import { describeIssues } from "../../api/parse.js";
import { Reason } from "../../api/reasons.js";
import { TENANT_REPLICA_SET_KIND, tenantReplicaSetSpec } from "../../api/tenant-replica-set.js";
import { ConnectionClients } from "../../connections/client-pool.js";
import { RemoteError } from "../../providers/errors.js";
import type { ObshellClient } from "../../providers/obshell/client.js";
import type { DagDetail } from "../../providers/obshell/schemas.js";
import { connectObshell } from "../connect.js";
import {
  type ImportedSet,
  ImportReason,
  type ImportRequest,
  type ImportResult,
  ImportScopeError,
} from "../engine/kind-module.js";
import { dagOfTenant, observeTenant } from "./observe.js";

/** OceanBase's system tenant: not one a TenantReplicaSet keeps, so "every tenant" leaves it out. */
export const SYS_TENANT = "sys";
/** Tenants read at once: the agent serves each GET with its own RSA-wrapped session. */
const CONCURRENT_READS = 8;

export async function importTenantSets(request: ImportRequest): Promise<ImportResult> {
  const { scope } = request;
  if (scope.namePrefixes.length > 0 || Object.keys(scope.tags).length > 0)
    throw new ImportScopeError(
      "an obshell connection imports tenants: all of them, or those --tenant names; not name prefixes or tags",
    );
  const pool = new ConnectionClients<ObshellClient>();
  try {
    const connection = await connectObshell(request.connect, pool, "import", {
      kind: TENANT_REPLICA_SET_KIND,
      namespace: request.namespace,
      spec: { connectionRef: request.connectionRef },
    });
    if (!connection.ok)
      return { ok: false, reason: connection.step.reason, message: connection.step.message };
    const client = connection.client;
    try {
      const names =
        scope.names.length > 0
          ? scope.names
          : (await client.tenantsOverview()).map((t) => t.tenant_name).filter((n) => n !== SYS_TENANT);
      const unfinished = await client.unfinishedDags();
      const sorted = [...new Set(names)].sort();
      const sets: ImportedSet[] = new Array(sorted.length);
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < sorted.length; i = next++)
          sets[i] = await importTenant(client, sorted[i] ?? "", unfinished, request);
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENT_READS, sorted.length) }, worker));
      return { ok: true, sets };
    } catch (error) {
      if (error instanceof RemoteError)
        return { ok: false, reason: Reason.ObserveFailed, message: error.message };
      throw error;
    }
  } finally {
    await pool.closeAll();
  }
}

async function importTenant(
  client: ObshellClient,
  tenant: string,
  unfinished: readonly DagDetail[],
  request: ImportRequest,
): Promise<ImportedSet> {
  const refuse = (reason: string, message: string): ImportedSet => ({
    nameHint: tenant,
    refused: { reason, message },
  });
  const dag = unfinished.find((d) => dagOfTenant(d, tenant));
  if (dag)
    return refuse(
      Reason.TenantBusy,
      `DAG ${dag.id} (${dag.name}) is ${dag.state} on tenant ${tenant}, stage ${dag.stage}/${dag.max_stage}: its zones are changing; import it once the DAG has ended`,
    );
  const observed = await observeTenant(client, tenant);
  if (!observed) return refuse(Reason.TenantNotFound, `obshell does not know tenant "${tenant}"`);
  const spec = {
    connectionRef: request.connectionRef,
    tenant,
    zones: [...new Set(observed.replicas.map((r) => r.zone))].sort(),
    ...(request.requireApproval ? { policy: { approvalThreshold: 0 } } : {}),
    ...(request.pollInterval ? { pollInterval: request.pollInterval } : {}),
  };
  const parsed = tenantReplicaSetSpec.safeParse(spec);
  if (!parsed.success) return refuse(ImportReason.InvalidSpec, `spec: ${describeIssues(parsed.error)}`);
  return {
    nameHint: tenant,
    object: {
      apiVersion: API_VERSION,
      kind: TENANT_REPLICA_SET_KIND,
      metadata: { name: "", namespace: request.namespace },
      spec,
    },
  };
}
