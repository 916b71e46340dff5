// Remote identity (src/reconcilers/remote-identity.ts, tenant/fleet.ts, kinds.ts remoteKey): the cluster an
// obshell client leads to is asked once per client and cached; what a set recorded in status.remote is what
// ownership reads, only while it was learned through the endpoint the connection leads to now; a set never
// identified claims its tenant by name on every cluster.
import { describe, expect, it } from "vitest";
import type { RecordedRemote } from "../../src/api/common.js";
import type { KubeObject } from "../../src/controller/resource.js";
import type { ClusterIdentity } from "../../src/providers/obshell/client.js";
import { fleetCacheOf } from "../../src/reconcilers/fleet-index.js";
import type { LocateRemote } from "../../src/reconcilers/fleet-view.js";
import { fleetGroups, remoteKey } from "../../src/reconcilers/kinds.js";
import {
  ClusterIdentities,
  dcsRemote,
  describeRemote,
  obshellRemote,
  recordedIdentity,
} from "../../src/reconcilers/remote-identity.js";
import { tenantPeers } from "../../src/reconcilers/tenant/fleet.js";
import { identity, operation, tenantManifest } from "./sets.js";

class Agent {
  asked = 0;
  constructor(public cluster: ClusterIdentity) {}
  async clusterIdentity(): Promise<ClusterIdentity> {
    this.asked++;
    return this.cluster;
  }
}

describe("ClusterIdentities", () => {
  it("asks a client once, then answers from the cache until fresh is asked for", async () => {
    const ids = new ClusterIdentities();
    const agent = new Agent({ name: "ob1", id: 7 });
    expect(await ids.identify(agent)).toBe("obshell|ob1#7");
    expect(await ids.identify(agent)).toBe("obshell|ob1#7");
    expect(agent.asked).toBe(1);
    agent.cluster = { name: "ob2", id: 8 };
    expect(await ids.identify(agent, true)).toBe("obshell|ob2#8");
    expect(agent.asked).toBe(2);
  });

  it("asks again once the answer is older than the refresh interval", async () => {
    let now = 0;
    const ids = new ClusterIdentities(() => now, 1000);
    const agent = new Agent({ name: "ob1", id: 7 });
    await ids.identify(agent);
    now = 999;
    await ids.identify(agent);
    expect(agent.asked).toBe(1);
    now = 1000;
    await ids.identify(agent);
    expect(agent.asked).toBe(2);
  });

  it("sets sharing a client share one request", async () => {
    const ids = new ClusterIdentities();
    const agent = new Agent({ name: "ob1", id: 7 });
    const all = await Promise.all([1, 2, 3].map(() => ids.identify(agent)));
    expect(all).toEqual(["obshell|ob1#7", "obshell|ob1#7", "obshell|ob1#7"]);
    expect(agent.asked).toBe(1);
  });

  it("a failed answer is the caller's; the next call asks again", async () => {
    const ids = new ClusterIdentities();
    let fail = true;
    const agent = {
      async clusterIdentity() {
        if (fail) throw new Error("unreachable");
        return { name: "ob1", id: 7 };
      },
    };
    await expect(ids.identify(agent)).rejects.toThrow("unreachable");
    fail = false;
    expect(await ids.identify(agent)).toBe("obshell|ob1#7");
  });
});

describe("remote identities", () => {
  it.each([
    { reason: "a DCS project is its id", got: dcsRemote("0a1b2c"), want: "dcs|0a1b2c" },
    {
      reason: "a cluster is its name and id",
      got: obshellRemote({ name: "ob", id: 3 }),
      want: "obshell|ob#3",
    },
    { reason: "read by people: a cluster", got: describeRemote("obshell|ob#3"), want: "cluster ob (id 3)" },
    { reason: "read by people: a project", got: describeRemote("dcs|0a1b2c"), want: "project 0a1b2c" },
  ])("$reason", ({ got, want }) => expect(got).toBe(want));

  it("two clusters of one name are two remotes; one id under two names too", () => {
    expect(obshellRemote({ name: "ob", id: 1 })).not.toBe(obshellRemote({ name: "ob", id: 2 }));
    expect(obshellRemote({ name: "a", id: 1 })).not.toBe(obshellRemote({ name: "b", id: 1 }));
  });
});

const rec = (endpoint: string, id = "obshell|ob1#1"): RecordedRemote => ({
  identity: id,
  endpoint,
  observedAt: "2026-01-01T00:00:00Z",
});

describe("recordedIdentity: a recorded cluster stands only for the endpoint it was learned through", () => {
  const cases: { reason: string; recorded?: RecordedRemote; now: string | undefined; want?: string }[] = [
    { reason: "never learned", now: "http://10.0.0.1:2886" },
    {
      reason: "learned through this endpoint",
      recorded: rec("http://10.0.0.1:2886"),
      now: "http://10.0.0.1:2886",
      want: "obshell|ob1#1",
    },
    {
      reason: "the default port written out",
      recorded: rec("https://ob1.example.test"),
      now: "https://ob1.example.test:443",
      want: "obshell|ob1#1",
    },
    {
      reason: "a trailing dot",
      recorded: rec("http://ob1.example.test:2886"),
      now: "http://ob1.example.test.:2886",
      want: "obshell|ob1#1",
    },
    {
      reason: "case",
      recorded: rec("http://ob1.example.test:2886"),
      now: "HTTP://OB1.Example.Test:2886",
      want: "obshell|ob1#1",
    },
    {
      reason: "a path",
      recorded: rec("http://ob1.example.test:2886"),
      now: "http://ob1.example.test:2886/agent/",
      want: "obshell|ob1#1",
    },
    // An IP and the DNS name for it are two URLs: the set is identified afresh through the other, and then
    // both spellings record the one cluster (tested on the real API server).
    {
      reason: "an IP, then the DNS name for it: not yet identified there",
      recorded: rec("http://127.0.0.1:2886"),
      now: "http://localhost:2886",
    },
    {
      reason: "a repointed connection (another port): not yet identified",
      recorded: rec("http://10.0.0.1:2886"),
      now: "http://10.0.0.1:2887",
    },
    {
      reason: "the connection is missing: the recorded cluster stands",
      recorded: rec("http://10.0.0.1:2886"),
      now: undefined,
      want: "obshell|ob1#1",
    },
  ];
  it.each(cases)("$reason", ({ recorded, now, want }) => {
    expect(recordedIdentity(recorded, now)).toBe(want);
  });
});

describe("tenant ownership groups from recorded clusters", () => {
  const OB = "http://10.0.0.1:2886";
  const named = (name: string, o: Parameters<typeof tenantManifest>[0]) => {
    const m = tenantManifest({ endpoint: OB, ...o });
    return { ...m, metadata: { ...m.metadata, name } } as unknown as KubeObject;
  };
  const locate: LocateRemote = (_kind, _ns, spec) =>
    "obshell" in spec && spec.obshell ? { endpoint: spec.obshell.endpoint } : undefined;
  const groups = fleetGroups(locate);
  const peersOf = (objects: KubeObject[], name: string, cluster: string, tenant = "orders") =>
    tenantPeers(fleetCacheOf(objects, groups), identity({ name }), cluster, tenant, locate);

  const cases: { reason: string; peer: KubeObject; want: { peers: string[]; unidentified: string[] } }[] = [
    {
      reason: "a peer recorded on the same cluster through another spelling is a peer",
      peer: named("peer", {
        endpoint: "http://ob1.example.test:2886",
        status: { remote: rec("http://ob1.example.test:2886") },
      }),
      want: { peers: ["prod/peer"], unidentified: [] },
    },
    {
      reason: "a peer recorded on another cluster is no peer, whatever the URL",
      peer: named("peer", { status: { remote: rec(OB, "obshell|ob2#2") } }),
      want: { peers: [], unidentified: [] },
    },
    {
      reason: "a peer never identified, through an endpoint nobody identified: it may be on this cluster",
      peer: named("peer", { endpoint: "http://10.0.0.5:2886" }),
      want: { peers: [], unidentified: ["prod/peer"] },
    },
    {
      reason:
        "a peer never identified (paused, a wrong password) through an endpoint recorded as this cluster: a peer",
      peer: named("peer", { paused: true }),
      want: { peers: ["prod/peer"], unidentified: [] },
    },
    {
      reason: "a peer never identified through an endpoint another set recorded as another cluster: no peer",
      peer: named("peer", { endpoint: "http://10.0.0.7:2886", tenant: "orders" }),
      want: { peers: [], unidentified: [] },
    },
    {
      reason: "a peer repointed since it was identified: unidentified until it reaches the new endpoint",
      peer: named("peer", { endpoint: "http://10.0.0.9:2886", status: { remote: rec(OB) } }),
      want: { peers: [], unidentified: ["prod/peer"] },
    },
    {
      reason:
        "a peer whose agent is down keeps its recorded cluster (its status is not touched by a failure)",
      peer: named("peer", { status: { remote: rec(OB, "obshell|ob2#2") } }),
      want: { peers: [], unidentified: [] },
    },
    {
      reason: "a peer naming another tenant is nothing to this one, identified or not",
      peer: named("peer", { tenant: "payments" }),
      want: { peers: [], unidentified: [] },
    },
    {
      reason: "a peer whose operation runs on this cluster's tenant claims it, wherever its spec now points",
      peer: named("peer", {
        tenant: "payments",
        endpoint: "http://10.0.0.9:2886",
        status: {
          remote: rec(OB, "obshell|ob1#1"),
          operation: operation({ endpoint: OB, remote: "obshell|ob1#1", tenant: "orders" }),
        },
      }),
      want: { peers: ["prod/peer"], unidentified: [] },
    },
  ];
  it.each(cases)("$reason", ({ peer, want }) => {
    const self = named("self", { status: { remote: rec(OB) } });
    // A set of another tenant that reached 10.0.0.7, which leads to cluster ob2.
    const elsewhere = named("elsewhere", {
      tenant: "billing",
      endpoint: "http://10.0.0.7:2886",
      status: { remote: rec("http://10.0.0.7:2886", "obshell|ob2#2") },
    });
    expect(peersOf([self, elsewhere, peer], "self", "obshell|ob1#1")).toEqual(want);
  });

  it("a peer whose connection is missing and that recorded nothing may be anywhere: unidentified", () => {
    const self = named("self", { status: { remote: rec(OB) } });
    const lost = named("lost", { endpoint: "http://missing.example.test:2886" });
    const without: LocateRemote = (kind, ns, spec) =>
      "obshell" in spec && spec.obshell?.endpoint.includes("missing") ? undefined : locate(kind, ns, spec);
    const fleet = fleetCacheOf([self, lost], fleetGroups(without));
    expect(tenantPeers(fleet, identity({ name: "self" }), "obshell|ob1#1", "orders", without)).toEqual({
      peers: [],
      unidentified: ["prod/lost"],
    });
  });

  it("a set repointed onto an endpoint joins the group of the sets named there (they are requeued)", () => {
    const before = named("moving", { endpoint: "http://10.0.0.5:2886" });
    const after = named("moving", {});
    const there = named("there", { status: { remote: rec(OB) } });
    const shared = (a: KubeObject, b: KubeObject) => groups(a).filter((g) => groups(b).includes(g));
    expect(shared(before, there)).toEqual([]);
    expect(shared(after, there)).not.toEqual([]);
  });

  it("a set being deleted claims nothing, identified or not", () => {
    const gone = named("gone", {});
    const deleting = { ...gone, metadata: { ...gone.metadata, deletionTimestamp: "2026-01-01T00:00:00Z" } };
    expect(peersOf([deleting], "self", "obshell|ob1#1")).toEqual({ peers: [], unidentified: [] });
  });

  it("remoteKey: the operation's cluster while one is in flight, else the recorded one, else none", () => {
    expect(remoteKey(named("a", {}), locate)).toBeUndefined();
    expect(remoteKey(named("a", { status: { remote: rec(OB) } }), locate)).toBe("obshell|ob1#1");
    expect(
      remoteKey(
        named("a", {
          status: { remote: rec(OB), operation: operation({ endpoint: OB, remote: "obshell|ob9#9" }) },
        }),
        locate,
      ),
    ).toBe("obshell|ob9#9");
    expect(
      remoteKey(named("a", { endpoint: "http://10.0.0.9:2886", status: { remote: rec(OB) } }), locate),
    ).toBeUndefined();
  });
});
