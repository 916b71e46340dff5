// The Argo CD health checks, laid out as argoproj/argo-cd's resource_customizations/<group>/<Kind>/ (health.lua,
// health_test.yaml, testdata/), run case by case on a real Lua 5.1 (Argo CD embeds gopher-lua, a Lua 5.1) with
// only the libraries Argo CD opens for health scripts (util/lua/lua.go: base, table, a safe os; no string).
// The README's status table is checked against what kstatus, kubectl wait and this script compute.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { type Assessable, assessKstatus, kubectlWaitSatisfied } from "../../src/observability/kstatus.js";
import { runArgoLua } from "./argo-lua.js";

const root = join(import.meta.dirname, "..", "..");
const dir = join(root, "deploy", "argocd");
const customizations = join(dir, "resource_customizations", "dbfleet.io");
const kinds = readdirSync(customizations).sort();

/** Runs `script` as Argo CD does: `obj` global, base + table + os.time/date/clock, no string library. */
function argoHealth(script: string, obj: unknown): { status: string; message: string } {
  const out = runArgoLua(
    script,
    "health.lua",
    obj,
    'io.write(tostring(result.status), "\\n", tostring(result.message))',
  );
  const [status = "", ...message] = out.split("\n");
  return { status, message: message.join("\n") };
}

const healthTests = z.object({
  tests: z.array(
    z.object({
      healthStatus: z.object({ status: z.string(), message: z.string() }),
      inputPath: z.string(),
    }),
  ),
});

const readCase = (kind: string, inputPath: string): Assessable =>
  load(readFileSync(join(customizations, kind, inputPath), "utf8")) as Assessable;

describe("Argo CD health checks (resource_customizations layout, Lua 5.1)", () => {
  it("ships a check with tests for both kinds", () => {
    expect(kinds).toEqual(["RedisInstanceSet", "TenantReplicaSet"]);
  });

  for (const kind of kinds) {
    const script = readFileSync(join(customizations, kind, "health.lua"), "utf8");
    const { tests } = healthTests.parse(
      load(readFileSync(join(customizations, kind, "health_test.yaml"), "utf8")),
    );
    it.each(tests)(`${kind}: $inputPath -> $healthStatus.status`, ({ inputPath, healthStatus }) => {
      expect(argoHealth(script, readCase(kind, inputPath))).toEqual(healthStatus);
    });
    it(`${kind}: every testdata file has a case`, () => {
      const files = readdirSync(join(customizations, kind, "testdata")).map((f) => `testdata/${f}`);
      expect(tests.map((t) => t.inputPath).sort()).toEqual(files.sort());
    });
  }

  it("is one script for both kinds, and the argocd-cm patch carries it unchanged", () => {
    const scripts = kinds.map((kind) => readFileSync(join(customizations, kind, "health.lua"), "utf8"));
    expect(new Set(scripts).size).toBe(1);
    const patch = z
      .object({ data: z.record(z.string(), z.string()) })
      .parse(load(readFileSync(join(dir, "argocd-cm-patch.yaml"), "utf8")));
    const health = Object.keys(patch.data).filter((k) => k.startsWith("resource.customizations.health."));
    expect(health.sort()).toEqual(kinds.map((k) => `resource.customizations.health.dbfleet.io_${k}`));
    for (const key of health) expect(patch.data[key]).toBe(scripts[0]);
  });

  it("fails loudly rather than silently when a script uses the string library Argo CD does not open", () => {
    expect(() => argoHealth('return { status = string.upper("x") }', {})).toThrow();
  });
});

// The README's "Status" table: each situation, its testdata, and what each tool shows.
const situations: Record<string, string> = {
  "not yet seen by the operator": "TenantReplicaSet/testdata/progressing_noStatus.yaml",
  "spec changed, not yet observed": "TenantReplicaSet/testdata/progressing_generationNotObserved.yaml",
  paused: "TenantReplicaSet/testdata/suspended_paused.yaml",
  deleting: "TenantReplicaSet/testdata/progressing_deleting.yaml",
  converged: "TenantReplicaSet/testdata/healthy_converged.yaml",
  "in flight (DAG running, deletions pending)": "TenantReplicaSet/testdata/progressing_dagRunning.yaml",
  "waiting for approval": "TenantReplicaSet/testdata/suspended_approvalRequired.yaml",
  "stalled (needs a human)": "TenantReplicaSet/testdata/degraded_dagFailed.yaml",
  "dry run with deletions pending": "TenantReplicaSet/testdata/progressing_dryRun.yaml",
};

function readmeStatusRows(): Map<string, string[]> {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const start = readme.indexOf("| situation |");
  const rows = new Map<string, string[]>();
  for (const line of readme.slice(start).split("\n").slice(2)) {
    if (!line.startsWith("|")) break;
    const cells = line
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
    rows.set(cells[0] ?? "", cells.slice(1));
  }
  return rows;
}

describe("the README's status table says what the tools compute", () => {
  const rows = readmeStatusRows();
  const script = readFileSync(join(customizations, "TenantReplicaSet", "health.lua"), "utf8");
  it("has a row per situation", () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(situations).sort());
  });
  it.each(Object.entries(situations))("%s", (situation, file) => {
    const [kind = "", ...rest] = file.split("/");
    const obj = readCase(kind, rest.join("/"));
    const [, flux = "", kubectl = "", argo = ""] = rows.get(situation) ?? [];
    const plain = (cell: string) => cell.replace(/[*`]/g, "");
    expect(plain(flux).split(/[ ,(]/)[0]).toBe(assessKstatus(obj).status);
    expect(plain(kubectl).split(/[ ,(]/)[0]).toBe(kubectlWaitSatisfied(obj, "Ready") ? "returns" : "waits");
    expect(plain(argo).split(/[ ,(]/)[0]).toBe(argoHealth(script, obj).status);
  });
});
