import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../src/controller/resource.js";
import { redisOwnership } from "../../src/fleet/ownership.js";
import { OwnershipTracker } from "../../src/fleet/tracker.js";

const ris = (namespace: string, name: string, namePrefix: string, projectId = "p1"): KubeObject =>
  ({
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "RedisInstanceSet",
    metadata: { name, namespace },
    spec: {
      dcs: { endpoint: "https://dcs.example.com", projectId, credentialsSecretRef: { name: "s" } },
      selector: { namePrefix },
      instances: ["keep"],
    },
  }) as KubeObject;
const trs = (namespace: string, name: string, tenant: string): KubeObject =>
  ({
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "TenantReplicaSet",
    metadata: { name, namespace },
    spec: {
      obshell: { endpoint: "http://10.0.0.1:2886", credentialsSecretRef: { name: "s" } },
      tenant,
      zones: ["z1"],
    },
  }) as KubeObject;

describe("OwnershipTracker", () => {
  it("follows informer events and says whom to requeue (story 1 and story 2)", () => {
    const t = new OwnershipTracker();
    expect(t.onEvent({ type: "added", key: "a/wide", object: ris("a", "wide", "cache-") })).toEqual([]);
    expect(t.onEvent({ type: "added", key: "b/narrow", object: ris("b", "narrow", "cache-eu-") })).toEqual([
      "a/wide",
    ]);
    const listing = [{ id: "1", name: "cache-eu-1", tags: {} }];
    expect(redisOwnership({ namePrefix: "cache-" }, t.redisPeers("a/wide"), listing).contested).toHaveLength(
      1,
    );
    // The narrow set moves to another project: the wide one is requeued and owns cache-eu-1 alone again.
    expect(
      t.onEvent({
        type: "updated",
        key: "b/narrow",
        object: ris("b", "narrow", "cache-eu-", "p2"),
        old: ris("b", "narrow", "cache-eu-"),
      }),
    ).toEqual(["a/wide"]);
    expect(redisOwnership({ namePrefix: "cache-" }, t.redisPeers("a/wide"), listing).exclusive).toHaveLength(
      1,
    );

    t.onEvent({ type: "added", key: "ns1/orders", object: trs("ns1", "orders", "orders") });
    expect(t.onEvent({ type: "added", key: "ns2/orders", object: trs("ns2", "orders", "orders") })).toEqual([
      "ns1/orders",
    ]);
    expect(t.tenantPeers("ns1/orders")).toEqual(["ns2/orders"]);
    expect(t.onEvent({ type: "deleted", key: "ns2/orders", object: trs("ns2", "orders", "orders") })).toEqual(
      ["ns1/orders"],
    );
    expect(t.tenantPeers("ns1/orders")).toEqual([]);
  });

  it("drops a set whose spec no longer parses: it claims nothing", () => {
    const t = new OwnershipTracker();
    t.onEvent({ type: "added", key: "ns1/orders", object: trs("ns1", "orders", "orders") });
    t.onEvent({ type: "added", key: "ns2/orders", object: trs("ns2", "orders", "orders") });
    const broken = { ...trs("ns2", "orders", "orders"), spec: { tenant: "orders" } } as KubeObject;
    expect(t.onEvent({ type: "resync", key: "ns2/orders", object: broken })).toEqual(["ns1/orders"]);
    expect(t.tenantPeers("ns1/orders")).toEqual([]);
  });
});
