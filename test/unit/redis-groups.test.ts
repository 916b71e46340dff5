// The fleet groups of a RedisInstanceSet (src/reconcilers/redis/fleet.ts): its project's, and the scope
// sub-group its peers are read from; none when its connection leads nowhere known.
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../src/controller/resource.js";
import { isRedisScopeGroup, redisGroupsOf } from "../../src/reconcilers/redis/fleet.js";
import { redisManifest } from "./sets.js";

const set = (o: Parameters<typeof redisManifest>[0] = {}) => redisManifest(o) as unknown as KubeObject;

describe("a RedisInstanceSet's fleet groups", () => {
  it("its project's group, and its prefix's sub-group, which is only looked up", () => {
    const groups = redisGroupsOf(set({ projectId: "p1" }), (_k, _ns, spec) => ({
      endpoint: spec.dcs?.endpoint ?? "",
      projectId: spec.dcs?.projectId ?? "",
    }));
    expect(groups).toHaveLength(2);
    expect(groups.filter((g) => !isRedisScopeGroup(g))).toEqual([groups[0]]);
    expect(groups[1]).toContain("cache-");
  });

  it("a set whose connection leads nowhere known joins no group", () => {
    expect(redisGroupsOf(set(), () => undefined)).toEqual([]);
    expect(redisGroupsOf(set(), () => ({ endpoint: "https://dcs.example.test" }))).toEqual([]);
  });

  it("a set without a namespace is located in `default`, as the API server would place it", () => {
    const o = set();
    delete o.metadata.namespace;
    const asked: string[] = [];
    redisGroupsOf(o, (_k, ns) => {
      asked.push(ns);
      return { endpoint: "https://dcs.example.test", projectId: "p1" };
    });
    expect(asked).toEqual(["default"]);
  });
});
