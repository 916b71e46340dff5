// endpointKey groups the sets acting on one remote: two spellings of one remote share a key, and two
// remotes that differ only by a port that is the default for one scheme and not the other never do
// (merging them would call two unrelated sets peers, and stall both as contested).
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../src/controller/resource.js";
import { fleetCacheOf } from "../../src/reconcilers/fleet-index.js";
import { endpointKey, keyOf, peersOf } from "../../src/reconcilers/fleet-view.js";
import { identity } from "./sets.js";

describe("endpointKey: a scheme's default port is filled in for that scheme only", () => {
  it.each([
    ["http://agent", "http://agent:80"],
    ["https://agent", "https://agent:443"],
    ["https://AGENT.example:443/", "https://agent.example"],
    // Trailing dots (a fully qualified name, or a doubled dot typed in a manifest) name the same host.
    ["http://agent..:8080", "http://agent:8080"],
    ["https://agent.example.", "https://agent.example..:443"],
  ])("%s and %s are one remote", (a, b) => {
    expect(endpointKey(a)).toBe(endpointKey(b));
  });

  it.each([
    ["http://agent", "http://agent:443"],
    ["https://agent", "https://agent:80"],
    ["http://agent", "https://agent"],
  ])("%s and %s are two remotes", (a, b) => {
    expect(endpointKey(a)).not.toBe(endpointKey(b));
  });
});

describe("peersOf: a set is never its own peer", () => {
  // A manifest without a namespace lands in `default` (the API server fills it in from the request); a
  // copy of it still lacking the field is the same set, not a peer that would stall it as contested.
  const set = (name: string, namespace?: string): KubeObject => ({
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "RedisInstanceSet",
    metadata: { name, ...(namespace ? { namespace } : {}) },
  });
  const cache = fleetCacheOf([set("orders"), set("orders", "prod"), set("carts", "default")], () => ["g"]);

  it.each([
    ["default", "orders", ["prod/orders", "default/carts"]],
    ["prod", "orders", ["default/orders", "default/carts"]],
    ["default", "carts", ["default/orders", "prod/orders"]],
  ])("%s/%s has peers %o", (namespace, name, peers) => {
    expect(peersOf(cache, identity({ namespace, name }), "g").map(keyOf)).toEqual(peers);
  });

  it("the namespace-less object is itself by its object too", () => {
    expect(peersOf(cache, set("orders"), "g").map(keyOf)).toEqual(["prod/orders", "default/carts"]);
  });
});
