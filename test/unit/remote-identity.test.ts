// The cluster an obshell client leads to (src/reconcilers/remote-identity.ts): asked once per client and
// cached, asked again when fresh is wanted or the answer is old, one request for sets sharing a client, and
// readable by URL (any spelling of it) for the peers' claims.
import { describe, expect, it } from "vitest";
import type { ClusterIdentity } from "../../src/providers/obshell/client.js";
import { ClusterIdentities, dcsRemote, obshellRemote } from "../../src/reconcilers/remote-identity.js";

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
    expect(await ids.identify(agent, "http://127.0.0.1:2886")).toBe("obshell|ob1#7");
    expect(await ids.identify(agent, "http://127.0.0.1:2886")).toBe("obshell|ob1#7");
    expect(agent.asked).toBe(1);
    agent.cluster = { name: "ob2", id: 8 };
    expect(await ids.identify(agent, "http://127.0.0.1:2886", true)).toBe("obshell|ob2#8");
    expect(agent.asked).toBe(2);
  });

  it("asks again once the answer is older than the refresh interval", async () => {
    let now = 0;
    const ids = new ClusterIdentities(() => now, 1000);
    const agent = new Agent({ name: "ob1", id: 7 });
    await ids.identify(agent, "http://a:2886");
    now = 999;
    await ids.identify(agent, "http://a:2886");
    expect(agent.asked).toBe(1);
    now = 1000;
    await ids.identify(agent, "http://a:2886");
    expect(agent.asked).toBe(2);
  });

  it("sets sharing a client share one request", async () => {
    const ids = new ClusterIdentities();
    const agent = new Agent({ name: "ob1", id: 7 });
    const all = await Promise.all([1, 2, 3].map(() => ids.identify(agent, "http://a:2886")));
    expect(all).toEqual(["obshell|ob1#7", "obshell|ob1#7", "obshell|ob1#7"]);
    expect(agent.asked).toBe(1);
  });

  it("is known by URL, however the URL is spelled, only once some set asked the agent there", async () => {
    const ids = new ClusterIdentities();
    expect(ids.known("http://ob1.example.test:2886")).toBeUndefined();
    await ids.identify(new Agent({ name: "ob1", id: 7 }), "http://ob1.example.test:2886");
    expect(ids.known("HTTP://OB1.example.test.:2886/")).toBe("obshell|ob1#7");
    // Another URL of the same cluster is not known until some set asks the agent there.
    expect(ids.known("http://10.0.0.1:2886")).toBeUndefined();
  });

  it("a failed answer is the caller's; the next call asks again", async () => {
    const ids = new ClusterIdentities();
    let fail = true;
    const agent = {
      asked: 0,
      async clusterIdentity() {
        this.asked++;
        if (fail) throw new Error("unreachable");
        return { name: "ob1", id: 7 };
      },
    };
    await expect(ids.identify(agent, "http://a:2886")).rejects.toThrow("unreachable");
    expect(ids.known("http://a:2886")).toBeUndefined();
    fail = false;
    expect(await ids.identify(agent, "http://a:2886")).toBe("obshell|ob1#7");
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
  ])("$reason", ({ got, want }) => expect(got).toBe(want));

  it("two clusters of one name are two remotes; one name with two ids too", () => {
    expect(obshellRemote({ name: "ob", id: 1 })).not.toBe(obshellRemote({ name: "ob", id: 2 }));
    expect(obshellRemote({ name: "a", id: 1 })).not.toBe(obshellRemote({ name: "b", id: 1 }));
  });
});
