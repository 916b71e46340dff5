// The informer's list, page by page (issue 29): each page is cached as it arrives rather than every page
// gathered first; only a complete list removes what it did not see or marks the cache synced, and an
// object listed again at the version cached is neither transformed nor announced again.
import { describe, expect, it } from "vitest";
import { Informer, type InformerEvent } from "../../src/controller/informer.js";
import type { KubeHttp } from "../../src/controller/kube-http.js";
import type { KubeObject } from "../../src/controller/resource.js";

const TYPE = {
  group: "dbfleet.io",
  version: "v1alpha1",
  plural: "tenantreplicasets",
  kind: "TenantReplicaSet",
  namespaced: true,
};

const obj = (name: string, rv: string): KubeObject => ({
  apiVersion: "dbfleet.io/v1alpha1",
  kind: "TenantReplicaSet",
  metadata: { name, namespace: "prod", resourceVersion: rv },
});

type Page = { items: KubeObject[]; continue?: string } | Error;

/** An informer whose list answers `pages` in turn (an Error fails that page), counting its transforms. */
function listing(pages: Page[]) {
  const answers = [...pages];
  const http = {
    json: async () => {
      const next = answers.shift();
      if (!next) throw new Error("no more pages");
      if (next instanceof Error) throw next;
      return { metadata: { resourceVersion: "100", continue: next.continue }, items: next.items };
    },
  } as unknown as KubeHttp;
  const transformed: string[] = [];
  const informer = new Informer(http, {
    type: TYPE,
    pageSize: 2,
    transform: (o) => {
      transformed.push(`${o.metadata.name}@${o.metadata.resourceVersion}`);
      return o;
    },
  });
  const events: string[] = [];
  informer.on((e: InformerEvent<KubeObject>) => events.push(`${e.type} ${e.key}`));
  const relist = () => (informer as unknown as { relist(): Promise<void> }).relist();
  return { informer, relist, transformed, events, answers };
}

describe("the informer's paged list", () => {
  it("caches each page as it arrives; a list that fails on a later page removes nothing and is not synced", async () => {
    const { informer, relist, events } = listing([
      { items: [obj("a", "1"), obj("b", "1")], continue: "t1" },
      new Error("connection reset"),
    ]);
    await expect(relist()).rejects.toThrow("connection reset");
    expect(informer.get("prod/a")?.metadata.resourceVersion).toBe("1");
    expect(informer.hasSynced).toBe(false);
    expect(events).toEqual(["added prod/a", "added prod/b"]);
  });

  it("only a complete list removes what it did not see", async () => {
    const { informer, relist, events, answers } = listing([
      { items: [obj("a", "1"), obj("b", "1")], continue: "t1" },
      { items: [obj("c", "1")] },
    ]);
    await relist();
    expect(informer.hasSynced).toBe(true);
    // b is gone; the next list fails after its first page: b stays cached until a list completes.
    answers.push({ items: [obj("a", "1")], continue: "t2" }, new Error("timeout"));
    await expect(relist()).rejects.toThrow("timeout");
    expect(informer.get("prod/b")).toBeDefined();
    answers.push({ items: [obj("a", "1")], continue: "t3" }, { items: [obj("c", "2")] });
    await relist();
    expect(informer.get("prod/b")).toBeUndefined();
    expect(informer.get("prod/c")?.metadata.resourceVersion).toBe("2");
    expect(events.slice(3)).toEqual(["updated prod/c", "deleted prod/b"]);
  });

  it("an object listed again at the version cached is neither transformed nor announced again", async () => {
    const { relist, transformed, events, answers } = listing([{ items: [obj("a", "1"), obj("b", "1")] }]);
    await relist();
    answers.push({ items: [obj("a", "1"), obj("b", "2")] });
    await relist();
    expect(transformed).toEqual(["a@1", "b@1", "b@2"]);
    expect(events).toEqual(["added prod/a", "added prod/b", "updated prod/b"]);
  });
});
