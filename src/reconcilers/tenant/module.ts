// TenantReplicaSet as one module: its resource type, the Secret an operation in flight started with, its
// fleet groups, its plan text, and its engine with a pool of obshell clients.
import { keepParsed, parseCached } from "../../api/parse.js";
import {
  TENANT_REPLICA_SET_KIND,
  tenantReplicaSet,
  tenantReplicaSetStatus,
} from "../../api/tenant-replica-set.js";
import { ConnectionClients } from "../../connections/client-pool.js";
import type { ObshellClient } from "../../providers/obshell/client.js";
import type { KindModule } from "../engine/kind-module.js";
import { SetReconciler } from "../engine/set-reconciler.js";
import {
  everReconciled,
  isLookupGroup,
  tenantGroupsOf,
  tenantNamesakes,
  tenantPeers,
  tenantRemoteKey,
} from "./fleet.js";
import { importTenantSets } from "./import.js";
import { TENANT_REPLICA_SET, tenantKind } from "./kind.js";

export { TENANT_REPLICA_SET };

export const tenantModule: KindModule = {
  kind: TENANT_REPLICA_SET_KIND,
  type: TENANT_REPLICA_SET,
  controller: "tenantreplicaset",
  timingKey: "tenant",
  // The status schema is the one the set schema parses `status` with.
  cacheForm: keepParsed(tenantReplicaSet, tenantReplicaSetStatus),
  targetsNoun: "replica zones",
  connectionSpec(object) {
    const trs = parseCached(tenantReplicaSet, object);
    return trs.success
      ? { kind: trs.data.kind, namespace: object.metadata.namespace ?? "default", spec: trs.data.spec }
      : undefined;
  },
  // An operation in flight is followed with the Secret it started with.
  startedSecrets(object) {
    const trs = parseCached(tenantReplicaSet, object);
    const started = trs.success ? trs.data.status?.operation?.credentialsSecretName : undefined;
    return started ? [`${object.metadata.namespace ?? "default"}/${started}`] : [];
  },
  fleetGroups: tenantGroupsOf,
  isLookupGroup,
  remoteKey: tenantRemoteKey,
  // startedSecrets and tenantGroupsOf read the operation in flight, the recorded cluster, and whether the
  // set was ever reconciled (fleet.ts everReconciled: the same predicate the claims use).
  indexedStatus: (object) => {
    const status = object.status as { operation?: unknown; remote?: unknown } | undefined;
    return {
      operation: status?.operation,
      remote: status?.remote,
      reconciled: everReconciled(object.status),
    };
  },
  targetOf(object) {
    const trs = parseCached(tenantReplicaSet, object);
    return `tenant ${trs.success ? trs.data.spec.tenant : "?"}`;
  },
  create(context) {
    const pool = new ConnectionClients<ObshellClient>();
    const timing = context.timings?.[this.timingKey];
    const adapter = tenantKind({
      ...context.connect,
      pool,
      peers: (set, id, remote) =>
        tenantPeers(context.fleet, id, remote.identity, set.spec.tenant, context.locate),
      namesakes: (set, id) => tenantNamesakes(context.fleet, id, set.spec.tenant),
      ...(timing ? { timing } : {}),
    });
    return {
      reconciler: (deps) => new SetReconciler(adapter, deps),
      release: (key) => pool.release(key),
      close: () => pool.closeAll(),
    };
  },
  importSets: importTenantSets,
};
