// Which of a TenantReplicaSet's index groups requeue their members when a set joins: the ownership groups
// (a tenant on a cluster, or on an endpoint) do, the "what clusters did this endpoint lead to" lookup does
// not (every set at the endpoint is in it: requeueing it on each join backed up a takeover's queue).
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../src/controller/resource.js";
import { isLookupGroup, tenantGroupsOf } from "../../src/reconcilers/tenant/fleet.js";

const ENDPOINT = "http://ob.example:2886";
const set: KubeObject = {
  apiVersion: "dbfleet.io/v1alpha1",
  kind: "TenantReplicaSet",
  metadata: { name: "orders", namespace: "prod", generation: 1, resourceVersion: "7" },
  spec: { connectionRef: { kind: "DatabaseConnection", name: "ob" }, tenant: "orders", zones: ["z1", "z2"] },
  status: {
    conditions: [
      {
        type: "Ready",
        status: "True",
        reason: "Converged",
        message: "",
        lastTransitionTime: "2026-12-03T00:00:00Z",
      },
    ],
    remote: { identity: "obshell|ob1#1", endpoint: ENDPOINT, observedAt: "2026-12-03T00:00:00Z" },
  },
};

describe("lookup-only groups", () => {
  it("only the endpoint's learned-cluster group is lookup-only; the tenant's groups requeue", () => {
    const groups = tenantGroupsOf(set, () => ({ endpoint: ENDPOINT }));
    const lookups = groups.filter(isLookupGroup);
    expect(lookups).toHaveLength(1);
    expect(lookups[0]).toContain("ob.example:2886");
    const owning = groups.filter((g) => !isLookupGroup(g));
    expect(owning.some((g) => g.includes("obshell|ob1#1") && g.endsWith("|orders"))).toBe(true);
    expect(owning.every((g) => g.includes("orders"))).toBe(true);
  });
});
