// Each cached object is parsed once (issue 29): the indexes, the wiring and the reconciler share the parse of
// one object version; a status write that touches nothing the indexes read recomputes none of them; and the
// informer's cache holds no managedFields.
import { describe, expect, it } from "vitest";
import { keepParsed, parseCached, parseCounter } from "../../src/api/parse.js";
import { tenantReplicaSet, tenantReplicaSetStatus } from "../../src/api/tenant-replica-set.js";
import { Informer } from "../../src/controller/informer.js";
import type { KubeHttp } from "../../src/controller/kube-http.js";
import type { KubeObject } from "../../src/controller/resource.js";
import { fleetGroups, KINDS, sameIndexInputs } from "../../src/reconcilers/kinds.js";
import { tenantModule } from "../../src/reconcilers/tenant/module.js";
import { tenantManifest } from "./sets.js";

const TRS_TYPE = {
  group: "dbfleet.io",
  version: "v1alpha1",
  plural: "tenantreplicasets",
  kind: "TenantReplicaSet",
  namespaced: true,
};

/** A TenantReplicaSet as the API server sends it: resourceVersion `rv`, optionally with `status`. */
const pendingPlan = {
  hash: "h1",
  targets: ["z3"],
  firstObservedAt: "2026-12-03T10:00:00.000Z",
  observations: 1,
  runsAt: "2026-12-03T10:00:10.000Z",
};

function trs(rv: string, extra: { generation?: number; status?: Record<string, unknown> } = {}): KubeObject {
  const base = tenantManifest({ generation: extra.generation ?? 2 }) as unknown as KubeObject;
  return {
    ...base,
    metadata: { ...base.metadata, resourceVersion: rv },
    ...(extra.status ? { status: extra.status } : {}),
  };
}

const readyStatus = (message: string) => ({
  observedGeneration: 2,
  phase: "Ready",
  conditions: [
    {
      type: "Ready",
      status: "True",
      reason: "Converged",
      message,
      lastTransitionTime: "2026-11-23T10:00:00Z",
      observedGeneration: 2,
    },
  ],
});

const operation = {
  kind: "RemoveZones",
  zones: ["z3"],
  startedAt: "2026-11-23T10:00:00Z",
  endpoint: "http://10.0.0.9:2886",
  tenant: "orders",
  credentialsSecretName: "obshell-old",
};

/** Stores `o` as the informer does for a list item or a watch event. */
const store = (informer: Informer, o: KubeObject) =>
  (informer as unknown as { store(key: string, o: KubeObject): void }).store(
    `${o.metadata.namespace}/${o.metadata.name}`,
    o,
  );

describe("parseCached: one parse per object version", () => {
  it("answers the same parse for the same object at the same resourceVersion, without parsing again", () => {
    const object = trs("10");
    const before = parseCounter.parsed;
    const first = parseCached(tenantReplicaSet, object);
    const second = parseCached(tenantReplicaSet, object);
    expect(first.success).toBe(true);
    expect(second).toBe(first);
    expect(parseCounter.parsed - before).toBe(1);
  });

  it("parses again when the resourceVersion changed, even on the same object", () => {
    const object = trs("10");
    const first = parseCached(tenantReplicaSet, object);
    object.metadata.resourceVersion = "11";
    (object.spec as { tenant: string }).tenant = "billing";
    const second = parseCached(tenantReplicaSet, object);
    expect(second).not.toBe(first);
    expect(second.data?.spec.tenant).toBe("billing");
  });

  it("parses a new object version (a watch event) on its own", () => {
    const a = parseCached(tenantReplicaSet, trs("10"));
    const b = parseCached(tenantReplicaSet, trs("11"));
    expect(b).not.toBe(a);
    expect(b.data).toEqual(a.data && { ...a.data, metadata: { ...a.data.metadata, resourceVersion: "11" } });
  });

  it("does not remember an object without resourceVersion (a manifest from a file)", () => {
    const manifest = trs("1");
    delete manifest.metadata.resourceVersion;
    const before = parseCounter.parsed;
    parseCached(tenantReplicaSet, manifest);
    parseCached(tenantReplicaSet, manifest);
    expect(parseCounter.parsed - before).toBe(2);
  });

  it("hands out a frozen parse: a reader cannot change what the next one reads", () => {
    const parsed = parseCached(tenantReplicaSet, trs("12"));
    const zones = parsed.data?.spec.zones as string[];
    expect(() => zones.push("z9")).toThrow(TypeError);
    expect(Object.isFrozen(parsed.data?.spec)).toBe(true);
  });
});

describe("sameIndexInputs: which updates keep a set's index values", () => {
  const cases: { reason: string; old: KubeObject; next: KubeObject; same: boolean }[] = [
    {
      reason: "a status write of conditions only keeps them",
      old: trs("1", { status: readyStatus("a") }),
      next: trs("2", { status: readyStatus("b") }),
      same: true,
    },
    {
      reason: "the first status write is recomputed: a reconciled set claims its tenant (remote identity)",
      old: trs("1"),
      next: trs("2", { status: readyStatus("a") }),
      same: false,
    },
    {
      reason: "a later status write of conditions keeps them (no operation, same recorded cluster)",
      old: trs("1", { status: readyStatus("a") }),
      next: trs("2", { status: readyStatus("b") }),
      same: true,
    },
    {
      reason: "an operation started claims its tenant and Secret: recomputed",
      old: trs("1", { status: readyStatus("a") }),
      next: trs("2", { status: { ...readyStatus("a"), operation } }),
      same: false,
    },
    {
      reason:
        "a status of other fields only (another writer's, a settle clock) already claims: its first conditions keep the values",
      old: trs("1", { status: { observedGeneration: 2, pendingPlan } }),
      next: trs("2", { status: { ...readyStatus("a"), pendingPlan } }),
      same: true,
    },
    {
      reason: "a spec change (generation) is recomputed",
      old: trs("1"),
      next: trs("2", { generation: 3 }),
      same: false,
    },
    {
      reason: "an old version that did not parse was indexed under nothing: recomputed",
      old: trs("1", { status: { zones: "not a list" } }),
      next: trs("2", { status: readyStatus("a") }),
      same: false,
    },
    {
      reason: "a next version whose status no longer parses keeps the old values (still claims its groups)",
      old: trs("1", { status: readyStatus("a") }),
      next: trs("2", { status: { zones: "not a list" } }),
      same: true,
    },
  ];
  // The fleet groups as the operator indexes them (the set's endpoint from its inline connection).
  const groups = fleetGroups((_kind, _namespace, spec) =>
    spec.obshell ? { endpoint: spec.obshell.endpoint } : undefined,
  );
  for (const c of cases)
    it(c.reason, () => {
      // As the indexes parsed it when it was stored.
      parseCached(tenantReplicaSet, c.old);
      expect(sameIndexInputs(c.old, c.next)).toBe(c.same);
      // Values kept are the values a recomputation gives (when the next version parses at all).
      if (c.same && parseCached(tenantReplicaSet, c.next).success)
        expect([...groups(c.next)].sort()).toEqual([...groups(c.old)].sort());
    });
});

describe("the informer's indexes on status-only events", () => {
  /** An informer with indexes like the operator's: the set's Secrets and fleet groups, counting calls. */
  function indexed() {
    const calls = { secrets: 0, groups: 0 };
    const informer = new Informer(undefined as unknown as KubeHttp, { type: TRS_TYPE });
    const groups = fleetGroups((_kind, _namespace, spec) =>
      spec.obshell ? { endpoint: spec.obshell.endpoint } : undefined,
    );
    const module = KINDS.find((k) => k.kind === "TenantReplicaSet") ?? tenantModule;
    informer.addIndex(
      "secrets",
      (o) => {
        calls.secrets++;
        return module.startedSecrets(o);
      },
      sameIndexInputs,
    );
    informer.addIndex(
      "groups",
      (o) => {
        calls.groups++;
        return groups(o);
      },
      sameIndexInputs,
    );
    return { informer, calls, groups };
  }

  it("a status write of conditions calls no index function and parses nothing", () => {
    const { informer, calls, groups } = indexed();
    store(informer, trs("1", { status: readyStatus("a") }));
    expect(calls).toEqual({ secrets: 1, groups: 1 });
    const before = parseCounter.parsed;
    store(informer, trs("2", { status: readyStatus("b") }));
    const latest = trs("3", { status: readyStatus("c") });
    store(informer, latest);
    expect(calls).toEqual({ secrets: 1, groups: 1 });
    expect(parseCounter.parsed - before).toBe(0);
    // What it kept is what a recomputation would give.
    expect([...informer.indexValues("groups", "prod/orders")].sort()).toEqual([...groups(latest)].sort());
  });

  it("an operation started recomputes them once, with one parse shared by every index", () => {
    const { informer, calls } = indexed();
    store(informer, trs("1", { status: readyStatus("a") }));
    const before = parseCounter.parsed;
    const started = trs("2", { status: { ...readyStatus("a"), operation } });
    store(informer, started);
    expect(calls).toEqual({ secrets: 2, groups: 2 });
    expect(parseCounter.parsed - before).toBe(1);
    expect(informer.indexValues("secrets", "prod/orders")).toEqual(["prod/obshell-old"]);
    const values = [...informer.indexValues("groups", "prod/orders")].sort();
    // It now also claims the tenant where the operation runs.
    expect(values.some((g) => g.includes("10.0.0.9:2886"))).toBe(true);
  });

  it("a spec change recomputes them", () => {
    const { informer, calls } = indexed();
    store(informer, trs("1"));
    store(informer, trs("2", { generation: 3 }));
    expect(calls).toEqual({ secrets: 2, groups: 2 });
  });
});

describe("the informer's cache holds no managedFields", () => {
  it("drops them from listed objects and from watch events", async () => {
    const managed = (rv: string, generation = 2) => {
      const o = trs(rv, { generation });
      o.metadata = {
        ...o.metadata,
        managedFields: [{ manager: "kubectl", operation: "Apply", fieldsV1: { "f:spec": {} } }],
      } as KubeObject["metadata"];
      return o;
    };
    const http = {
      json: async () => ({ metadata: { resourceVersion: "5" }, items: [managed("5")] }),
    } as unknown as KubeHttp;
    const informer = new Informer(http, { type: TRS_TYPE });
    await (informer as unknown as { relist(): Promise<void> }).relist();
    expect(informer.get("prod/orders")?.metadata).not.toHaveProperty("managedFields");
    (informer as unknown as { handleWatchEvent(e: unknown): void }).handleWatchEvent({
      type: "MODIFIED",
      object: managed("6", 3),
    });
    expect(informer.get("prod/orders")?.metadata.resourceVersion).toBe("6");
    expect(informer.get("prod/orders")?.metadata).not.toHaveProperty("managedFields");
  });
});

describe("the set informers keep the parse, not the object sent (issue 29)", () => {
  /** An informer as the operator builds one for a set kind: its module's cache form. */
  const keeping = () =>
    new Informer(undefined as unknown as KubeHttp, { type: TRS_TYPE, transform: tenantModule.cacheForm });
  const kept = (informer: Informer) => informer.get("prod/orders");

  it("caches the frozen parse, whose set and status parses are answered without parsing again", () => {
    const informer = keeping();
    const sent = trs("1", { status: { ...readyStatus("a"), operation } });
    store(informer, sent);
    const object = kept(informer);
    expect(object).not.toBe(sent);
    expect(object).toEqual(tenantReplicaSet.parse(sent));
    expect(Object.isFrozen(object)).toBe(true);
    expect(Object.isFrozen(object?.status)).toBe(true);
    const before = parseCounter.parsed;
    const set = parseCached(tenantReplicaSet, object);
    const status = parseCached(tenantReplicaSetStatus, object, (o: KubeObject) => o.status ?? {});
    expect(parseCounter.parsed - before).toBe(0);
    // One copy of the status: the set's and the status schema's parse are the object kept.
    expect(set.data).toBe(object);
    expect(status.data).toBe(object?.status);
    expect(status.data).toEqual(tenantReplicaSetStatus.parse(sent.status));
  });

  it("keeps what the engine and the indexes read: identity, version and unknown metadata", () => {
    const informer = keeping();
    const sent = trs("7");
    sent.metadata = {
      ...sent.metadata,
      uid: "u-1",
      ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "x", uid: "u-0" }],
    } as KubeObject["metadata"];
    store(informer, sent);
    expect(kept(informer)?.metadata).toMatchObject({
      name: "orders",
      namespace: "prod",
      uid: "u-1",
      resourceVersion: "7",
      ownerReferences: [{ name: "x" }],
    });
  });

  it("a set without status: its status is parsed when asked, from {} as before", () => {
    const informer = keeping();
    store(informer, trs("1"));
    const status = parseCached(tenantReplicaSetStatus, kept(informer), (o: KubeObject) => o.status ?? {});
    expect(status).toEqual(tenantReplicaSetStatus.safeParse({}));
  });

  it("an object that does not parse is kept as sent, so the reconciler can say what is wrong", () => {
    const informer = keeping();
    const sent = trs("1");
    (sent as unknown as { spec: unknown }).spec = { tenant: 7 };
    store(informer, sent);
    expect(kept(informer)).toBe(sent);
    expect(parseCached(tenantReplicaSet, kept(informer)).success).toBe(false);
  });

  it("a new version is parsed again; the old kept form is not answered for it", () => {
    const informer = keeping();
    store(informer, trs("1", { status: readyStatus("a") }));
    const first = kept(informer);
    store(informer, trs("2", { status: readyStatus("b") }));
    const second = kept(informer);
    expect(second).not.toBe(first);
    expect(second?.status).toMatchObject({ conditions: [{ message: "b" }] });
  });

  it("keepParsed alone: an object without resourceVersion (a manifest from a file) is returned as it is", () => {
    const manifest = tenantManifest() as unknown as KubeObject;
    delete manifest.metadata.resourceVersion;
    expect(keepParsed(tenantReplicaSet, tenantReplicaSetStatus)(manifest)).toBe(manifest);
  });
});
