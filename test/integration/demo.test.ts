// `make demo`, headless: the same setup (scripts/demo-setup.ts startDemo: its own API server, deploy/'s
// namespace and RBAC for the operator's identity, examples/ in file order, connections only), judged by
// what the simulators received: every set reaches the end state the README names, the Redis plan only
// after the approval the README tells the user to give (the kubectl command in the set's status).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approvalCommand, type Demo, kubectlAsAdmin, startDemo, stateOf } from "../../scripts/demo-setup.js";
import { eventually } from "../harness/engine.js";
import { captureLog } from "../harness/log-capture.js";
import { destructiveCalls, repeatedTargets } from "../simulators/destructive-calls.js";
import { DEMO_PROJECT, OTHER_PROJECT } from "../simulators/seed.js";

// Deadlines on conditions, generous for a loaded 2-core machine; unloaded the whole demo settles in ~15 s.
const SETTLE_MS = 180_000;

let demo: Demo;
const dir = mkdtempSync(join(tmpdir(), "dbfleet-demo-test-"));
const log = captureLog("info");
/** Every instance of the demo project at the start, by name. */
let idsByName = new Map<string, string>();
let approvedAt = 0;
let approvalOutput = "";

beforeAll(async () => {
  demo = await startDemo({
    kubeconfigPath: join(dir, "kubeconfig"),
    logger: log.logger,
  });
  idsByName = new Map(demo.dcs.instances(DEMO_PROJECT).map((i) => [i.name, i.instance_id]));
}, 120_000);

afterAll(async () => {
  await demo?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const ris = () => {
  const set = demo.sets.find((s) => s.short === "ris");
  if (!set) throw new Error("the demo applies no RedisInstanceSet");
  return set;
};

/** The end states the README's quick start names, as `short/name state` (its table's first two columns). */
function readmeEndStates(): string[] {
  const readme = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Quick start\n"), readme.indexOf("## The resources\n"));
  return [...section.matchAll(/^\| `((?:trs|ris)\/[a-z0-9-]+)` \| `([^`]+)` \|/gm)].map(
    (m) => `${m[1]} ${m[2]}`,
  );
}

describe("make demo's setup, headless", { timeout: SETTLE_MS + 30_000 }, () => {
  it("creates what deploy/ would for the operator's identity: namespace, ClusterRole binding, Lease Role", async () => {
    const ns = await demo.admin.call<{ metadata: { name: string } }>(
      "GET",
      "/api/v1/namespaces/dbfleet-system",
    );
    expect(ns.metadata.name).toBe("dbfleet-system");
    // The operator under that identity holds its Lease in dbfleet-system, as the Deployment's would.
    await eventually(
      "the operator to hold the Lease dbfleet-system/dbfleet-operator",
      async () => {
        const lease = await demo.admin
          .call<{ spec?: { holderIdentity?: string } }>(
            "GET",
            "/apis/coordination.k8s.io/v1/namespaces/dbfleet-system/leases/dbfleet-operator",
          )
          .catch(() => undefined);
        return lease?.spec?.holderIdentity === `demo_${process.pid}`;
      },
      SETTLE_MS,
    );
  });

  it("asks for approval of the Redis plan and deletes nothing before it", async () => {
    await eventually(
      "ris/checkout-cache to ask for approval",
      async () => approvalCommand(await demo.status(ris())) !== undefined,
      SETTLE_MS,
    );
    const status = await demo.status(ris());
    expect(stateOf(status)).toBe("Stalled ApprovalRequired");
    const command = approvalCommand(status) ?? [];
    expect(command.slice(0, 5)).toEqual(["annotate", "ris", "checkout-cache", "-n", "default"]);
    expect(command.at(-1)).toBe(`dbfleet.io/approve-plan=${status?.pendingApproval?.hash}`);
    expect(destructiveCalls({ dcs: demo.dcs.log })).toEqual([]);
    // As the README tells the user: the command the status prints, run with kubectl.
    approvedAt = performance.timeOrigin + performance.now();
    approvalOutput = await kubectlAsAdmin(demo, command);
    expect(approvalOutput).toContain("redisinstanceset.dbfleet.io/checkout-cache annotated");
  });

  it("brings every set to the end state the README names", async () => {
    expect(approvedAt).toBeGreaterThan(0);
    const states = async () =>
      Promise.all(demo.sets.map(async (s) => `${s.short}/${s.name} ${stateOf(await demo.status(s))}`));
    const expected = demo.sets.map((s) => `${s.short}/${s.name} ${s.endState}`);
    let last: string[] = [];
    await eventually(
      "every demo set at its end state",
      async () => {
        last = await states();
        return last.every((s, i) => s === expected[i]);
      },
      SETTLE_MS,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; last seen: ${last.join(", ")}`);
    });
    expect(last).toEqual(expected);
    // The end states are the README's, not only the demo's own list.
    expect(readmeEndStates().sort()).toEqual([...expected].sort());
  });

  it("removed exactly the replicas the tenant sets drop, once each (obshell's request log)", () => {
    const calls = destructiveCalls({ obshell: demo.obshell.log });
    expect(
      calls
        .filter((c) => c.accepted)
        .map((c) => c.target)
        .sort(),
    ).toEqual(["obshell:audit/z3", "obshell:orders/z3", "obshell:search/z1"]);
    expect(repeatedTargets(calls, { sent: true })).toEqual([]);
    const zones = (tenant: string) =>
      demo.obshell.cluster.tenants
        .get(tenant)
        ?.replicas.map((r) => r.zone)
        .sort();
    expect(zones("orders")).toEqual(["z1", "z2"]);
    expect(zones("audit")).toEqual(["z1", "z2"]);
    expect(zones("search")).toEqual(["z2", "z3"]);
    // No set names billing: untouched.
    expect(zones("billing")).toEqual(["z1", "z2", "z3"]);
  });

  it("deleted exactly the Redis instances in scope and not kept, after the approval, once each (DCS's request log)", async () => {
    const calls = destructiveCalls({ dcs: demo.dcs.log });
    const deletable = Array.from({ length: 10 }, (_, i) => `cache-eu-${i + 3}`);
    const target = (name: string) => `dcs:${DEMO_PROJECT}/${idsByName.get(name)}`;
    expect(calls.map((c) => c.target).sort()).toEqual(deletable.map(target).sort());
    expect(calls.every((c) => c.accepted && c.at >= approvedAt)).toBe(true);
    expect(repeatedTargets(calls, { sent: true })).toEqual([]);
    const left = demo.dcs
      .instances(DEMO_PROJECT)
      .map((i) => i.name)
      .sort();
    expect(left).toEqual([...idsByName.keys()].filter((n) => !deletable.includes(n)).sort());
    expect(left).toEqual(expect.arrayContaining(["cache-eu-1", "cache-eu-2", "session-store"]));
    expect(demo.dcs.instances(OTHER_PROJECT)).toHaveLength(6);
    // What is left in scope, the set names as a person's to delete.
    const stalled = (await demo.status(ris()))?.conditions?.find((c) => c.type === "Stalled");
    expect(stalled?.message).toMatch(/only a person can delete cache-eu-frozen .*cache-eu-yearly/);
  });

  it("the operator logged no refusal of the API server (403) and no error", () => {
    expect(log.forbidden()).toEqual([]);
    // pino's numeric levels: 50 error, 60 fatal.
    const entries = log.lines.map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(entries.filter((e) => e.level >= 50)).toEqual([]);
  });
});
