// Ownership of a tenant (tenant/fleet.ts) when a peer has two claims (its spec's and its operation's in
// flight), a status not yet written, or namesakes elsewhere: which sets are peers on this cluster, which
// may be and hold it (unidentified), and whether anyone names the tenant at all. Wrong versions this is
// written against: a peer's claim on another tenant or already identified taken as unidentified; an
// operation's claim moved to the cluster the set's spec now leads to; a peer counted both as a peer and
// as unidentified; an empty status taken as reconciled; namesakes always or never seen.
import { describe, expect, it } from "vitest";
import type { RecordedRemote } from "../../src/api/common.js";
import type { KubeObject } from "../../src/controller/resource.js";
import { fleetCacheOf } from "../../src/reconcilers/fleet-index.js";
import type { LocateRemote } from "../../src/reconcilers/fleet-view.js";
import { fleetGroups } from "../../src/reconcilers/kinds.js";
import { tenantNamesakes, tenantPeers } from "../../src/reconcilers/tenant/fleet.js";
import { identity, operation, tenantManifest } from "./sets.js";

const OB = "http://10.0.0.1:2886";
/** Leads to cluster ob2 (the set "elsewhere" recorded it). */
const OB2 = "http://10.0.0.7:2886";
/** Nobody ever identified it. */
const NEW = "http://10.0.0.5:2886";
const CLUSTER = "obshell|ob1#1";
const rec = (endpoint: string, id = CLUSTER): RecordedRemote => ({
  identity: id,
  endpoint,
  observedAt: "2026-01-01T00:00:00Z",
});
/** Reconciled, never identified. */
const SEEN = {
  conditions: [
    {
      type: "Ready" as const,
      status: "False" as const,
      reason: "ObserveFailed",
      message: "connect ECONNREFUSED",
      lastTransitionTime: "2026-01-01T00:00:00Z",
    },
  ],
};
const named = (name: string, o: Parameters<typeof tenantManifest>[0]) => {
  const m = tenantManifest({ endpoint: OB, ...o });
  return { ...m, metadata: { ...m.metadata, name } } as unknown as KubeObject;
};
const locate: LocateRemote = (_kind, _ns, spec) =>
  "obshell" in spec && spec.obshell ? { endpoint: spec.obshell.endpoint } : undefined;
const groups = fleetGroups(locate);
const self = named("self", { status: { remote: rec(OB) } });
const elsewhere = named("elsewhere", {
  tenant: "billing",
  endpoint: OB2,
  status: { remote: rec(OB2, "obshell|ob2#2") },
});
const peersOf = (objects: KubeObject[]) =>
  tenantPeers(
    fleetCacheOf([self, elsewhere, ...objects], groups),
    identity({ name: "self" }),
    CLUSTER,
    "orders",
    locate,
  );

describe("tenant peers of a set on cluster ob1, tenant orders", () => {
  it.each([
    {
      reason:
        "unidentified through a new endpoint, its operation on another tenant here: only the claim on orders counts",
      peer: named("peer", {
        endpoint: NEW,
        status: { ...SEEN, operation: operation({ endpoint: OB, tenant: "payments" }) },
      }),
      want: { peers: [], unidentified: ["prod/peer"] },
    },
    {
      reason:
        "unidentified through a new endpoint, its operation identified on ob2: only the unidentified claim counts",
      peer: named("peer", {
        endpoint: NEW,
        status: {
          ...SEEN,
          operation: operation({ endpoint: OB, tenant: "orders", remote: "obshell|ob2#2" }),
        },
      }),
      want: { peers: [], unidentified: ["prod/peer"] },
    },
    {
      reason: "two unidentified claims, one through an endpoint known to lead here: a peer",
      peer: named("peer", { status: { ...SEEN, operation: operation({ endpoint: NEW, tenant: "orders" }) } }),
      want: { peers: ["prod/peer"], unidentified: [] },
    },
    {
      reason: "two unidentified claims, one through an endpoint nobody identified: may be here, holds it",
      peer: named("peer", {
        endpoint: OB2,
        status: { ...SEEN, operation: operation({ endpoint: NEW, tenant: "orders" }) },
      }),
      want: { peers: [], unidentified: ["prod/peer"] },
    },
    {
      reason: "a peer by its operation here, its repointed spec unidentified: a peer, not also unidentified",
      peer: named("peer", {
        endpoint: NEW,
        status: {
          remote: rec(OB),
          operation: operation({ endpoint: OB, tenant: "orders", remote: CLUSTER }),
        },
      }),
      want: { peers: ["prod/peer"], unidentified: [] },
    },
    {
      reason:
        "its operation runs here while its spec was repointed and identified on ob2: the operation's cluster claims",
      peer: named("peer", {
        endpoint: OB2,
        tenant: "payments",
        status: {
          remote: rec(OB2, "obshell|ob2#2"),
          operation: operation({ endpoint: OB, tenant: "orders", remote: CLUSTER }),
        },
      }),
      want: { peers: ["prod/peer"], unidentified: [] },
    },
    {
      reason: "an empty status (nothing written by a reconcile yet): no claim",
      peer: named("peer", { endpoint: NEW, status: {} as never }),
      want: { peers: [], unidentified: [] },
    },
  ])("$reason", ({ peer, want }) => {
    expect(peersOf([peer])).toEqual(want);
  });

  it("several unidentified peers are named in order, whatever order the fleet lists them in", () => {
    const zeta = named("zeta", { endpoint: NEW, status: SEEN });
    const alpha = named("alpha", { endpoint: "http://10.0.0.6:2886", status: SEEN });
    expect(peersOf([zeta, alpha]).unidentified).toEqual(["prod/alpha", "prod/zeta"]);
  });
});

describe("tenantNamesakes: whether another set names the tenant, on any cluster", () => {
  it.each([
    { reason: "none: only the set itself", objects: [self], want: false },
    { reason: "another tenant only", objects: [self, elsewhere], want: false },
    {
      reason: "one on another cluster",
      objects: [self, named("far", { endpoint: OB2, status: { remote: rec(OB2, "obshell|ob2#2") } })],
      want: true,
    },
    {
      reason: "one never reconciled (it records nothing yet, but will)",
      objects: [self, named("new", { endpoint: NEW })],
      want: true,
    },
  ])("$reason: $want", ({ objects, want }) => {
    expect(tenantNamesakes(fleetCacheOf(objects, groups), identity({ name: "self" }), "orders")).toBe(want);
  });
});
