// The names `import` gives the sets it writes, and the scopes it makes from flags: one table each. Names
// must be DNS-1123 labels, distinct, and the same whatever order the remote listed things in.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { proofExitCode } from "../../src/cli/import.js";
import { ImportExit, parseImportFlags } from "../../src/cli/import-flags.js";
import { assignNames, sanitizeName } from "../../src/cli/import-names.js";
import type { PlanRow } from "../../src/cli/plan.js";
import { importSelectors, selectorHint } from "../../src/reconcilers/redis/import.js";

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe("sanitizeName: a tenant's name, a prefix or tags as a DNS-1123 label", () => {
  const cases: { reason: string; hint: string; want: string }[] = [
    { reason: "already a label", hint: "orders", want: "orders" },
    { reason: "OceanBase's underscore becomes a dash", hint: "t_orders_eu", want: "t-orders-eu" },
    { reason: "upper case is lowered", hint: "Orders_EU", want: "orders-eu" },
    { reason: "a run of separators is one dash", hint: "a__b..c", want: "a-b-c" },
    { reason: "no dash at either end (a leading underscore)", hint: "_hidden_", want: "hidden" },
    { reason: "a prefix's trailing dash dropped", hint: "cache-", want: "cache" },
    { reason: "non-ASCII is a separator", hint: "café-ß", want: "caf" },
    { reason: "nothing usable left: set", hint: "___", want: "set" },
  ];
  it.each(cases)("$reason: $hint -> $want", ({ hint, want }) => {
    expect(sanitizeName(hint)).toBe(want);
  });
});

describe("assignNames: distinct, stable names", () => {
  const cases: { reason: string; hints: string[]; want: Record<string, RegExp | string> }[] = [
    {
      reason: "no collision: plain names",
      hints: ["orders", "t_pay"],
      want: { orders: "orders", t_pay: "t-pay" },
    },
    {
      reason: "two tenants that lower-case to one name: both carry a hash of their own name",
      hints: ["Orders", "orders"],
      want: { Orders: /^orders-[0-9a-f]{6}$/, orders: /^orders-[0-9a-f]{6}$/ },
    },
    {
      reason: "underscore and double underscore collide; a third name is untouched",
      hints: ["a_b", "a__b", "c"],
      want: { a_b: /^a-b-[0-9a-f]{6}$/, a__b: /^a-b-[0-9a-f]{6}$/, c: "c" },
    },
    {
      reason: "a name longer than 63 is cut and hashed",
      hints: ["t".repeat(100)],
      want: { ["t".repeat(100)]: /^t{56}-[0-9a-f]{6}$/ },
    },
    {
      reason: "a plain name equal to another's hashed name: longer hashes",
      hints: ["X", "x", `x-${hashOf("X")}`],
      want: { X: /^x-[0-9a-f]{12}$/, x: /^x-[0-9a-f]{12}$/ },
    },
  ];
  it.each(cases)("$reason", ({ hints, want }) => {
    const names = assignNames(hints);
    for (const [hint, expected] of Object.entries(want))
      if (typeof expected === "string") expect(names.get(hint)).toBe(expected);
      else expect(names.get(hint)).toMatch(expected);
    expect(new Set(names.values()).size).toBe(new Set(hints).size);
  });

  it("any hints: every name a distinct label of at most 63, the same in any order", () => {
    const hint = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,80}$/);
    fc.assert(
      fc.property(fc.uniqueArray(hint, { maxLength: 30 }), fc.integer(), (hints, seed) => {
        const names = assignNames(hints);
        const k = hints.length === 0 ? 0 : Math.abs(seed) % hints.length;
        const shuffled = [...hints.slice(k), ...hints.slice(0, k)].reverse();
        expect([...assignNames(shuffled)].sort()).toEqual([...names].sort());
        for (const name of names.values()) {
          expect(name).toMatch(LABEL);
          expect(name.length).toBeLessThanOrEqual(63);
        }
        expect(new Set(names.values()).size).toBe(hints.length);
      }),
    );
  });
});

function hashOf(hint: string): string {
  const names = assignNames([hint, hint.toLowerCase()]);
  return (names.get(hint) ?? "").split("-").pop() ?? "";
}

describe("importSelectors and selectorHint: DCS scopes from flags", () => {
  const cases: {
    reason: string;
    prefixes: string[];
    tags: Record<string, string>;
    want: { selectors: unknown[]; hints: string[] };
  }[] = [
    {
      reason: "one set per prefix, sorted, repeats dropped",
      prefixes: ["web-", "cache-", "web-"],
      tags: {},
      want: {
        selectors: [{ namePrefix: "cache-" }, { namePrefix: "web-" }],
        hints: ["cache", "web"],
      },
    },
    {
      reason: "tags apply to every prefix",
      prefixes: ["cache-"],
      tags: { env: "prod" },
      want: { selectors: [{ namePrefix: "cache-", tags: { env: "prod" } }], hints: ["cache-env-prod"] },
    },
    {
      reason: "tags alone: one set, its name from the tags sorted by key",
      prefixes: [],
      tags: { team: "pay", env: "prod" },
      want: { selectors: [{ tags: { team: "pay", env: "prod" } }], hints: ["env-prod-team-pay"] },
    },
    { reason: "no scope: none", prefixes: [], tags: {}, want: { selectors: [], hints: [] } },
  ];
  it.each(cases)("$reason", ({ prefixes, tags, want }) => {
    const selectors = importSelectors(prefixes, tags);
    expect(selectors).toEqual(want.selectors);
    expect(selectors.map(selectorHint)).toEqual(want.hints);
  });
});

describe("import's flags", () => {
  const cases: { reason: string; argv: string[]; want: unknown }[] = [
    {
      reason: "a DatabaseConnection with its namespace",
      argv: ["--connection", "DatabaseConnection/shop/obshell"],
      want: { kind: "DatabaseConnection", namespace: "shop", name: "obshell" },
    },
    {
      reason: "a DatabaseConnection in -n's namespace",
      argv: ["--connection", "DatabaseConnection/obshell"],
      want: { kind: "DatabaseConnection", name: "obshell" },
    },
    {
      reason: "a ClusterDatabaseConnection has no namespace",
      argv: ["--connection", "ClusterDatabaseConnection/dcs-prod"],
      want: { kind: "ClusterDatabaseConnection", name: "dcs-prod" },
    },
    {
      reason: "a namespace for a cluster connection",
      argv: ["--connection", "ClusterDatabaseConnection/a/b"],
      want: "usage",
    },
    { reason: "another kind", argv: ["--connection", "Secret/a"], want: "usage" },
    {
      reason: "a name that is not a Kubernetes name",
      argv: ["--connection", "DatabaseConnection/A_B"],
      want: "usage",
    },
    { reason: "neither --connection nor --check", argv: [], want: "usage" },
    { reason: "both", argv: ["--connection", "DatabaseConnection/a", "--check", "d"], want: "usage" },
    { reason: "--check with a scope", argv: ["--check", "d", "--tenant", "a"], want: "usage" },
    { reason: "--check with --out", argv: ["--check", "d", "--out", "e"], want: "usage" },
    {
      reason: "a tag without =",
      argv: ["--connection", "DatabaseConnection/a", "--tag", "env"],
      want: "usage",
    },
  ];
  it.each(cases)("$reason", ({ argv, want }) => {
    if (want === "usage") expect(() => parseImportFlags(argv)).toThrow();
    else expect(parseImportFlags(argv).connection).toEqual(want);
  });
});

describe("proofExitCode: plan's codes, then a refusal", () => {
  const row = (step: string, observed = true): PlanRow => ({
    kind: "TenantReplicaSet",
    namespace: "ns",
    name: step.toLowerCase(),
    target: "tenant t",
    connection: "-",
    endpoint: "-",
    observed,
    step,
    reason: "r",
    message: "m",
    wouldDelete: [],
  });
  const cases: { reason: string; rows: PlanRow[]; refused: boolean; want: number }[] = [
    {
      reason: "every set Ready, none refused",
      rows: [row("Ready")],
      refused: false,
      want: ImportExit.Complete,
    },
    {
      reason: "a set refused before its plan",
      rows: [row("Ready")],
      refused: true,
      want: ImportExit.Refused,
    },
    {
      reason: "a stall (a conflict, a guard)",
      rows: [row("Ready"), row("Stall")],
      refused: true,
      want: ImportExit.Refused,
    },
    {
      reason: "a deletion beats a stall",
      rows: [row("Stall"), row("DeleteInstances")],
      refused: true,
      want: ImportExit.Changes,
    },
    {
      reason: "an approval awaited is a change",
      rows: [row("AwaitApproval")],
      refused: true,
      want: ImportExit.Changes,
    },
    {
      reason: "blind beats a change",
      rows: [row("RemoveZones"), row("Error", false)],
      refused: true,
      want: ImportExit.Blind,
    },
  ];
  it.each(cases)("$reason -> $want", ({ rows, refused, want }) => {
    expect(proofExitCode(rows, refused)).toBe(want);
  });
});
