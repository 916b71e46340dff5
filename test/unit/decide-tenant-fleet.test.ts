// Fleet rule "RETRY only while still wanted" (README, Operations bound to their target), for operations of
// several zones on sets that name a connection: a failed DAG removing z2 and z3 is retried only while the
// spec still removes both, on the same tenant, through the same connection. Wrong versions this is written
// against: "some zone still to remove" instead of every zone, the first recorded zone only, a connection
// compared by name without its kind, or not compared at all.
import { describe, expect, it } from "vitest";
import { Reason } from "../../src/api/reasons.js";
import { type TenantOperation, tenantReplicaSet } from "../../src/api/tenant-replica-set.js";
import { identityOf } from "../../src/reconcilers/engine/set-reconciler.js";
import { decideTenant, type TenantStep } from "../../src/reconcilers/tenant/decide.js";
import {
  addClusterObshellConnection,
  addObshellConnection,
  type RefTenantOptions,
  refTenantManifest,
  remoteOf,
  world,
} from "./fleet-world.js";
import { ago, dag, NOW } from "./sets.js";

const AGENT = "http://10.0.0.1:2886";

interface Case {
  reason: string;
  /** The set now (its connectionRef, tenant, zones, policy); the operation recorded removes `recorded`. */
  spec: Partial<RefTenantOptions>;
  recorded?: string[];
  op?: Partial<TenantOperation>;
  want: { kind: TenantStep["kind"]; reason: Reason; message?: RegExp };
}

function decide(c: Case): TenantStep {
  const w = world();
  addObshellConnection(w, "prod", "ob", { endpoint: AGENT });
  addObshellConnection(w, "prod", "ob-eu", { endpoint: "http://10.0.0.2:2886" });
  // Same name, other kind, same agent: still another connection than the one the operation runs through.
  addClusterObshellConnection(w, "ob", { endpoint: AGENT });
  const recorded = c.recorded ?? ["z2", "z3"];
  const operation: TenantOperation = {
    kind: "RemoveZones",
    zones: recorded,
    startedAt: ago(120_000),
    dagId: "11",
    retries: 0,
    generation: 2,
    endpoint: AGENT,
    tenant: "orders",
    connectionRef: { kind: "DatabaseConnection", name: "ob" },
    ...c.op,
  };
  const object = refTenantManifest({
    connection: { name: "ob" },
    policy: { onDagFailure: "Retry", maxZonesPerOperation: 3 },
    ...c.spec,
    status: { operation },
    generation: 3,
  });
  const set = tenantReplicaSet.parse(object);
  return decideTenant({
    set,
    status: set.status,
    observed: {
      kind: "operation",
      dag: dag({ state: "FAILED", operator: "RUN", zones: recorded.length, stage: 2 }),
    },
    fleet: { peers: [] },
    remote: remoteOf(w, object),
    id: identityOf(object),
    now: NOW,
  });
}

const cases: Case[] = [
  {
    reason: "the spec still removes both recorded zones: RETRY",
    spec: { zones: ["z1"] },
    want: { kind: "RetryDag", reason: Reason.DagRetried, message: /RETRY 1\/3/ },
  },
  {
    reason: "the spec now keeps z3 (the second recorded zone): no RETRY",
    spec: { zones: ["z1", "z3"] },
    want: { kind: "Stall", reason: Reason.DagFailed, message: /no longer removes z2, z3/ },
  },
  {
    reason: "the spec now keeps z2 (the first recorded zone): no RETRY",
    spec: { zones: ["z1", "z2"] },
    want: { kind: "Stall", reason: Reason.DagFailed, message: /no longer removes/ },
  },
  {
    reason: "the spec now keeps both: no RETRY",
    spec: { zones: ["z1", "z2", "z3"] },
    want: { kind: "Stall", reason: Reason.DagFailed, message: /no longer removes/ },
  },
  {
    reason: "three zones recorded, the spec keeps only the last of them: no RETRY",
    spec: { zones: ["z1", "z4"] },
    recorded: ["z2", "z3", "z4"],
    want: { kind: "Stall", reason: Reason.DagFailed, message: /no longer removes z2, z3, z4/ },
  },
  {
    reason: "three zones recorded, all still removed: RETRY",
    spec: { zones: ["z1"] },
    recorded: ["z2", "z3", "z4"],
    want: { kind: "RetryDag", reason: Reason.DagRetried },
  },
  {
    reason: "the set now names another connection (another agent): no RETRY where the operation runs",
    spec: { zones: ["z1"], connection: { name: "ob-eu" } },
    want: {
      kind: "Stall",
      reason: Reason.DagFailed,
      message: /no longer removes z2, z3 from tenant orders at http:\/\/10\.0\.0\.1:2886/,
    },
  },
  {
    reason: "the set now names a ClusterDatabaseConnection of the same name: another connection, no RETRY",
    spec: { zones: ["z1"], connection: { kind: "ClusterDatabaseConnection", name: "ob" } },
    want: { kind: "Stall", reason: Reason.DagFailed, message: /no longer removes/ },
  },
  {
    reason: "the set now names another tenant: no RETRY on the old one",
    spec: { zones: ["z1"], tenant: "billing" },
    want: { kind: "Stall", reason: Reason.DagFailed, message: /no longer removes z2, z3 from tenant orders/ },
  },
  {
    reason: "still wanted but the RETRYs are used up: held",
    spec: { zones: ["z1"] },
    op: { retries: 3 },
    want: { kind: "Stall", reason: Reason.DagFailed, message: /3 RETRYs used/ },
  },
  {
    reason: "still wanted but policy Hold: held",
    spec: { zones: ["z1"], policy: { onDagFailure: "Hold" } },
    want: { kind: "Stall", reason: Reason.DagFailed, message: /Hold/ },
  },
];

describe("decideTenant: RETRY of a multi-zone operation only while every zone is still to remove", () => {
  it.each(cases)("$reason", (c) => {
    const step = decide(c);
    expect({ kind: step.kind, reason: step.reason }).toEqual({ kind: c.want.kind, reason: c.want.reason });
    if (c.want.message) expect(step.message).toMatch(c.want.message);
  });
});
