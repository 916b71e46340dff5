// The Argo CD health script, run by a real Lua 5.1 interpreter (Argo CD embeds gopher-lua, Lua 5.1).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { assessKstatus } from "../../src/observability/kstatus.js";

const dir = join(import.meta.dirname, "..", "..", "deploy", "argocd");
const script = readFileSync(join(dir, "health.lua"), "utf8");

function luaValue(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `{${value.map(luaValue).join(", ")}}`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `[${JSON.stringify(k)}] = ${luaValue(v)}`)
    .join(", ")}}`;
}

function argoHealth(obj: unknown): { status: string; message: string } {
  const program = `local function health()\n${script}\nend\nobj = ${luaValue(obj)}\nlocal hs = health()\nio.write(hs.status, "\\n", hs.message)`;
  const out = execFileSync("lua5.1", ["-"], { input: program, encoding: "utf8" });
  const [status = "", ...message] = out.split("\n");
  return { status, message: message.join("\n") };
}

const cond = (type: string, status: string, reason: string, message = "") => ({
  type,
  status,
  reason,
  message,
  observedGeneration: 2,
});
const cases: [string, unknown, string][] = [
  ["no status yet", { metadata: { generation: 1 } }, "Progressing"],
  [
    "status for an older generation",
    {
      metadata: { generation: 3 },
      status: { observedGeneration: 2, conditions: [cond("Ready", "True", "Converged")] },
    },
    "Progressing",
  ],
  [
    "a DAG running",
    {
      metadata: { generation: 2 },
      status: {
        observedGeneration: 2,
        phase: "Reconciling",
        conditions: [
          cond("Ready", "False", "DagRunning"),
          cond("Reconciling", "True", "DagRunning", "stage 1/2"),
        ],
      },
    },
    "Progressing",
  ],
  [
    "a failed DAG held",
    {
      metadata: { generation: 2 },
      status: {
        observedGeneration: 2,
        phase: "Stalled",
        conditions: [
          cond("Ready", "False", "DagFailed"),
          cond("Stalled", "True", "DagFailed", "stage 1 failed"),
        ],
      },
    },
    "Degraded",
  ],
  [
    "converged",
    {
      metadata: { generation: 2 },
      status: {
        observedGeneration: 2,
        phase: "Ready",
        conditions: [cond("Ready", "True", "Converged", "ok")],
      },
    },
    "Healthy",
  ],
  [
    "paused",
    {
      metadata: { generation: 2 },
      status: { observedGeneration: 2, phase: "Paused", conditions: [cond("Ready", "False", "Paused")] },
    },
    "Suspended",
  ],
];

describe("Argo CD health check (Lua)", () => {
  it.each(cases)("reports %s", (_, obj, expected) => {
    expect(argoHealth(obj).status).toBe(expected);
  });

  it("agrees with the kstatus assessment Flux uses", () => {
    const toKstatus: Record<string, string> = {
      Progressing: "InProgress",
      Degraded: "Failed",
      Healthy: "Current",
      Suspended: "InProgress",
    };
    for (const [, obj, expected] of cases)
      expect(assessKstatus(obj as never).status).toBe(toKstatus[expected]);
  });

  it("is the script embedded in the argocd-cm patch", () => {
    const patch = load(readFileSync(join(dir, "argocd-cm-patch.yaml"), "utf8")) as {
      data: Record<string, string>;
    };
    expect(patch.data["resource.customizations.health.dbfleet.io_TenantReplicaSet"]).toBe(script);
    expect(patch.data["resource.customizations.health.dbfleet.io_RedisInstanceSet"]).toBe(script);
  });
});
