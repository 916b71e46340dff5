// The pure decisions behind `plan` (issue 24), one table each: which namespace a set lands in, which names
// may reach an API path, which exit code a plan has, what the controller will see after the apply, and
// the command that approves a plan.
import { describe, expect, it } from "vitest";
import { exitCodeOf, type PlanRow } from "../../src/cli/plan.js";
import { asApplied } from "../../src/cli/plan-cluster.js";
import { PlanExit } from "../../src/cli/plan-flags.js";
import { checkedName, resolveNamespace } from "../../src/cli/plan-input.js";
import { annotateCommand, markdown } from "../../src/cli/plan-markdown.js";

describe("resolveNamespace: as kubectl apply", () => {
  const cases: {
    reason: string;
    manifest?: string;
    flag?: string;
    context?: string;
    want: string | "refused";
  }[] = [
    { reason: "the manifest's wins over the context's", manifest: "a", context: "c", want: "a" },
    { reason: "the manifest's equal to the flag", manifest: "a", flag: "a", context: "c", want: "a" },
    {
      reason: "the manifest's against another flag: kubectl refuses",
      manifest: "a",
      flag: "b",
      want: "refused",
    },
    { reason: "none in the manifest: the flag", flag: "b", context: "c", want: "b" },
    { reason: "none in the manifest or flag: the context's", context: "c", want: "c" },
    { reason: "none anywhere: default", want: "default" },
    { reason: "the context's never conflicts with the manifest's", manifest: "a", context: "c", want: "a" },
  ];
  it.each(cases)("$reason", ({ manifest, flag, context, want }) => {
    const got = resolveNamespace(manifest, flag, context);
    expect(got.ok ? got.namespace : "refused").toBe(want);
  });
});

describe("checkedName: only Kubernetes names reach a path", () => {
  const cases: { reason: string; kind: "namespace" | "name"; value: string; ok: boolean }[] = [
    { reason: "a namespace", kind: "namespace", value: "team-a", ok: true },
    {
      reason: "the traversal of issue 24",
      kind: "namespace",
      value: "team-b/obshell-b/../../team-a",
      ok: false,
    },
    { reason: "a parent segment alone", kind: "namespace", value: "..", ok: false },
    { reason: "a dot: a subdomain, not a label", kind: "namespace", value: "team.a", ok: false },
    { reason: "upper case", kind: "namespace", value: "Team", ok: false },
    { reason: "an encoded slash", kind: "namespace", value: "team%2Fa", ok: false },
    { reason: "64 characters", kind: "namespace", value: "a".repeat(64), ok: false },
    { reason: "empty", kind: "namespace", value: "", ok: false },
    { reason: "a dotted object name", kind: "name", value: "obshell.prod", ok: true },
    { reason: "a slash in a name", kind: "name", value: "a/b", ok: false },
    { reason: "a parent segment as a name", kind: "name", value: "..", ok: false },
  ];
  it.each(cases)("$reason: $value", ({ kind, value, ok }) => {
    const check = () => checkedName(kind, value, "test");
    if (ok) expect(check()).toBe(value);
    else expect(check).toThrow(/must be/);
  });
});

const row = (over: Partial<PlanRow>): PlanRow => ({
  kind: "TenantReplicaSet",
  namespace: "ns",
  name: "orders",
  target: "tenant orders",
  connection: "DatabaseConnection ns/obshell",
  endpoint: "https://obshell.example.com",
  observed: true,
  step: "Ready",
  reason: "Converged",
  message: "",
  wouldDelete: [],
  ...over,
});

describe("exitCodeOf: a gate never passes on what plan did not observe", () => {
  const blind = row({ observed: false, step: "Stall", reason: "ConnectionNotFound", connection: "-" });
  const cases: { reason: string; rows: PlanRow[]; want: number }[] = [
    { reason: "no sets: nothing would change", rows: [], want: PlanExit.Unchanged },
    { reason: "observed and converged", rows: [row({})], want: PlanExit.Unchanged },
    {
      reason: "paused: no remote call, nothing changes",
      rows: [row({ observed: false, step: "Paused" })],
      want: PlanExit.Unchanged,
    },
    {
      reason: "observed, stalled by a guard: nothing changes",
      rows: [row({ step: "Stall", reason: "WouldRemoveLastReplica" })],
      want: PlanExit.Unchanged,
    },
    {
      reason: "a deletion to run",
      rows: [row({ step: "RemoveZones", wouldDelete: ["z3"] })],
      want: PlanExit.Changes,
    },
    {
      reason: "a deletion to approve",
      rows: [row({ step: "AwaitApproval", wouldDelete: ["z3"] })],
      want: PlanExit.Changes,
    },
    { reason: "a DAG retried by policy", rows: [row({ step: "RetryDag" })], want: PlanExit.Changes },
    { reason: "a connection not found", rows: [blind], want: PlanExit.Blind },
    {
      reason: "an endpoint refused",
      rows: [row({ observed: false, step: "Stall", reason: "EndpointRefused" })],
      want: PlanExit.Blind,
    },
    {
      reason: "the remote failed",
      rows: [row({ observed: false, step: "Error", reason: "ObserveFailed" })],
      want: PlanExit.Blind,
    },
    {
      reason: "blind wins over changes",
      rows: [row({ step: "RemoveZones", wouldDelete: ["z3"] }), blind],
      want: PlanExit.Blind,
    },
  ];
  it.each(cases)("$reason", ({ rows, want }) => {
    expect(exitCodeOf(rows)).toBe(want);
  });
});

describe("asApplied: what the controller sees after the apply", () => {
  const manifest = {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "TenantReplicaSet",
    metadata: { name: "orders", namespace: "ns", annotations: { team: "a" } },
    spec: { connectionRef: { kind: "DatabaseConnection", name: "obshell" } },
  };
  const live = {
    ...manifest,
    metadata: {
      name: "orders",
      namespace: "ns",
      generation: 4,
      annotations: {
        "dbfleet.io/approve-plan": "abc",
        "old-applied": "x",
        "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify({
          metadata: { annotations: { "old-applied": "x" } },
        }),
      },
    },
    spec: { obshell: { endpoint: "https://attacker.example" } },
    status: { phase: "Ready" },
  };
  it("takes spec from the manifest, status and hand-set annotations from the cluster, and counts the generation", () => {
    const applied = asApplied(manifest, live, true);
    expect(applied.spec).toEqual(manifest.spec);
    expect(applied.status).toEqual({ phase: "Ready" });
    // Set by `kubectl annotate` (not in the last apply): kept; written by the last apply, now gone: dropped.
    expect(applied.metadata.annotations).toEqual({ "dbfleet.io/approve-plan": "abc", team: "a" });
    expect(applied.metadata.generation).toBe(5);
    expect(asApplied(manifest, live, false).metadata.generation).toBe(4);
  });
  it("a new set is the manifest alone", () => {
    expect(asApplied(manifest, undefined, true)).toBe(manifest);
  });
});

describe("markdown", () => {
  it("the annotate line names the set's namespace, fully-qualified resource and hash", () => {
    expect(
      annotateCommand({ kind: "RedisInstanceSet", namespace: "shop", name: "checkout" }, "0123abcd"),
    ).toBe(
      "kubectl annotate --namespace shop redisinstanceset.dbfleet.io/checkout dbfleet.io/approve-plan=0123abcd --overwrite",
    );
  });
  it("is independent of input order and escapes what remotes wrote", () => {
    const a = row({ name: "a", message: "x | y <b>" });
    const b = row({ name: "b" });
    expect(markdown([a, b], 0)).toBe(markdown([b, a], 0));
    expect(markdown([a], 0)).toContain("x \\| y \\<b\\>");
  });
});
