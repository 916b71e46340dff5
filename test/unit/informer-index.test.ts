// An index whose function reads another cache (a set's fleet group goes through its connection): the
// values an object was added under are the ones it is removed under, and reindex() follows the change.
import { describe, expect, it } from "vitest";
import { Informer } from "../../src/controller/informer.js";
import type { KubeHttp } from "../../src/controller/kube-http.js";
import type { KubeObject } from "../../src/controller/resource.js";

const type = { group: "", version: "v1", plural: "things", kind: "Thing", namespaced: true };
const obj = (name: string, rv = "1"): KubeObject => ({
  metadata: { name, namespace: "ns", resourceVersion: rv },
});

/** The informer with `objects` stored as a list would store them, without a server. */
function cached(objects: KubeObject[]): Informer {
  const informer = new Informer(undefined as unknown as KubeHttp, { type });
  for (const o of objects)
    (informer as unknown as { store(key: string, o: KubeObject): void }).store(`ns/${o.metadata.name}`, o);
  return informer;
}

describe("informer indexes over state outside the object", () => {
  it("reindex moves an object to the group its dependency now gives, and out of the old one", () => {
    const endpointOf = new Map([["a", "e1"]]);
    const informer = cached([obj("a")]);
    informer.addIndex("group", (o) => {
      const e = endpointOf.get(o.metadata.name);
      return e ? [e] : [];
    });
    expect(informer.byIndex("group", "e1").map((o) => o.metadata.name)).toEqual(["a"]);
    endpointOf.set("a", "e2");
    // Without reindex the object stays where it was indexed: the stored values, not a recomputation.
    expect(informer.indexValues("group", "ns/a")).toEqual(["e1"]);
    informer.reindex("ns/a");
    expect(informer.byIndex("group", "e1")).toEqual([]);
    expect(informer.byIndex("group", "e2").map((o) => o.metadata.name)).toEqual(["a"]);
    expect(informer.indexValues("group", "ns/a")).toEqual(["e2"]);
  });

  it("an update removes the object under the values it was added with, even if the function now answers otherwise", () => {
    const endpointOf = new Map([["a", "e1"]]);
    const informer = cached([obj("a")]);
    informer.addIndex("group", (o) => [endpointOf.get(o.metadata.name) ?? ""]);
    endpointOf.set("a", "e2");
    (informer as unknown as { store(key: string, o: KubeObject): void }).store("ns/a", obj("a", "2"));
    expect(informer.byIndex("group", "e1")).toEqual([]);
    expect(informer.byIndex("group", "e2").map((o) => o.metadata.resourceVersion)).toEqual(["2"]);
  });

  it("an object that joins no group before its dependency arrives joins it on reindex", () => {
    const endpointOf = new Map<string, string>();
    const informer = cached([obj("a"), obj("b")]);
    informer.addIndex("group", (o) => {
      const e = endpointOf.get(o.metadata.name);
      return e ? [e] : [];
    });
    expect(informer.indexValues("group", "ns/a")).toEqual([]);
    endpointOf.set("a", "e1");
    endpointOf.set("b", "e1");
    informer.reindex("ns/a");
    informer.reindex("ns/b");
    expect(
      informer
        .byIndex("group", "e1")
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(["a", "b"]);
  });
});

describe("an index value with one, several, then no objects (one key kept as itself)", () => {
  it("answers the same keys as the objects' groups say, through every step", () => {
    const groupOf = new Map([
      ["a", "g"],
      ["b", "g"],
      ["c", "h"],
    ]);
    const informer = cached([obj("a")]);
    informer.addIndex("group", (o) => [groupOf.get(o.metadata.name) ?? "none"]);
    const keys = (g: string) => [...informer.keysByIndex("group", g)].sort();
    const store = (o: KubeObject) =>
      (informer as unknown as { store(key: string, o: KubeObject): void }).store(`ns/${o.metadata.name}`, o);
    const remove = (name: string) =>
      (informer as unknown as { remove(key: string): void }).remove(`ns/${name}`);
    expect(keys("g")).toEqual(["ns/a"]);
    expect(informer.hasIndexed("group", "g")).toBe(true);
    // The same object stored again stays one key.
    store(obj("a", "2"));
    expect(keys("g")).toEqual(["ns/a"]);
    store(obj("b"));
    store(obj("c"));
    expect(keys("g")).toEqual(["ns/a", "ns/b"]);
    expect(keys("h")).toEqual(["ns/c"]);
    remove("a");
    expect(keys("g")).toEqual(["ns/b"]);
    expect(informer.byIndex("group", "g").map((o) => o.metadata.name)).toEqual(["b"]);
    // b moves to h: g is empty and gone, h holds both.
    groupOf.set("b", "h");
    informer.reindex("ns/b");
    expect(keys("g")).toEqual([]);
    expect(informer.hasIndexed("group", "g")).toBe(false);
    expect(keys("h")).toEqual(["ns/b", "ns/c"]);
    remove("c");
    remove("b");
    expect(keys("h")).toEqual([]);
    expect(informer.hasIndexed("group", "h")).toBe(false);
  });
});
