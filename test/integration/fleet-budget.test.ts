// The fleet change budget on the real API server (issue 26): ten RedisInstanceSets, each with one instance
// to delete, share a FleetDisruptionBudget of 5 deletions per hour on their DCS project. Judged by what the
// DCS simulator was sent: exactly 5 instances receive a DELETE in the window, the other five sets wait
// naming the budget. A new operator (a restart, or a new leader) counts what the old one started from the
// sets' status and sends nothing more; raising the budget lets the waiting sets go at once. Sets reach DCS
// through an admin-owned DatabaseConnection; the operator runs as deploy/'s identity.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump } from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type PlanRow, plan } from "../../src/cli/plan.js";
import { OperatorMetrics } from "../../src/observability/metrics.js";
import type { Operator } from "../../src/operator.js";
import { connectionRef, dcsConnection, startRecommendedOperator } from "../harness/connections.js";
import { eventually } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { captureLog } from "../harness/log-capture.js";
import { total } from "../harness/metrics-scrape.js";
import { applyCredentialSecrets, RawApi, type RawObject } from "../harness/raw-api.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { destructiveCalls } from "../simulators/destructive-calls.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const AK = "AKBUDGET000000000001";
const SK = "SKbudget00000000000000000000000000000000";
const PROJECT = "5f0e1d2c3b4a59687766554433221100";
const SETS = Array.from({ length: 10 }, (_, i) => `bud-${String(i).padStart(2, "0")}`);
let ns = "";
let dcs: DcsSimulator;
let operator: Operator | undefined;
let metrics: OperatorMetrics;
const log = captureLog();
const budgetName = () => `${ns}-five`;
const budgetPath = () => `/apis/dbfleet.io/v1alpha1/fleetdisruptionbudgets/${budgetName()}`;

type Condition = { type: string; status: string; reason: string; message: string };
type SetObject = RawObject & { status?: { conditions?: Condition[] } };

function budget(max: number): RawObject {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "FleetDisruptionBudget",
    metadata: { name: budgetName() },
    // Only this file's namespace: a budget is cluster-wide and other files' operators share the API server.
    spec: { window: "1h", per: "Remote", maxInstancesDeleted: max, namespaces: [ns] },
  };
}

function redisSet(name: string): RawObject {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "RedisInstanceSet",
    metadata: { name, namespace: ns },
    spec: {
      ...connectionRef("dcs"),
      selector: { namePrefix: `${name}-` },
      instances: [`${name}-keep`],
      pollInterval: "1s",
      // This story is about the budget: each plan runs as soon as the budget admits it (settling: settle-time.test.ts).
      policy: { settleTime: "0s" },
    },
  };
}

/** `dbfleet-operator plan` of these sets with the caller's kubeconfig, as a person or CI runs it. */
async function planOf(names: string[]): Promise<PlanRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "dbfleet-budget-plan-"));
  try {
    const file = join(dir, "sets.yaml");
    writeFileSync(file, names.map((n) => dump(redisSet(n))).join("---\n"));
    let out = "";
    await plan(
      ["-f", file, "-o", "json", "--kubeconfig", kubeconfig, "--allowed-endpoints", "127.0.0.1"],
      (t) => (out += t),
    );
    return JSON.parse(out) as PlanRow[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function startOperator(): Operator {
  metrics = new OperatorMetrics({ defaultMetrics: false });
  return startRecommendedOperator(kubeconfig, {
    logger: log.logger,
    metrics,
    namespaces: [ns],
    redis: { deletePollMs: 100 },
  });
}

async function readyReasons(): Promise<Map<string, Condition | undefined>> {
  const list = await raw.call<{ items: SetObject[] }>(
    "GET",
    `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/redisinstancesets`,
  );
  return new Map(
    list.items.map((s) => [s.metadata.name, s.status?.conditions?.find((c) => c.type === "Ready")]),
  );
}

async function reasonsAre(converged: number, waiting: number): Promise<Map<string, Condition | undefined>> {
  let last = new Map<string, Condition | undefined>();
  await eventually(
    `${converged} sets Converged and ${waiting} BudgetExhausted`,
    async () => {
      last = await readyReasons();
      const reasons = [...last.values()].map((c) => c?.reason);
      return (
        reasons.filter((r) => r === "Converged").length === converged &&
        reasons.filter((r) => r === "BudgetExhausted").length === waiting
      );
    },
    120_000,
  );
  return last;
}

/** Instances the simulator was sent a DELETE for, and those it acted on. */
function deleted(): { sent: string[]; accepted: string[] } {
  const calls = destructiveCalls({ dcs: dcs.log });
  return {
    sent: calls.map((c) => c.target),
    accepted: calls.filter((c) => c.accepted).map((c) => c.target),
  };
}

async function metricValue(name: string, labels: string): Promise<number | undefined> {
  const text = await metrics.registry.metrics();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "budget");
  dcs = new DcsSimulator({
    credentials: [{ accessKey: AK, secretKey: SK }],
    projects: { [PROJECT]: SETS.flatMap((s) => [{ name: `${s}-keep` }, { name: `${s}-gone` }]) },
    deleteDelayMs: 50,
  });
  await dcs.start();
  await applyCredentialSecrets(raw, ns, { password: "unused", accessKey: AK, secretKey: SK });
  await raw.apply(dcsConnection({ namespace: ns, name: "dcs" }, dcs.url, PROJECT));
  await raw.apply(budget(5));
  operator = startOperator();
}, 60_000);

afterAll(async () => {
  await operator?.stop(2000);
  await raw.call("DELETE", budgetPath()).catch(() => undefined);
  await dcs?.stop();
  await raw.close();
});

describe("a FleetDisruptionBudget of 5 deletions per hour shared by 10 sets", () => {
  it("exactly 5 instances receive a DELETE; the other 5 sets wait, naming the budget and when it frees", async () => {
    for (const name of SETS) await raw.apply(redisSet(name));
    const reasons = await reasonsAre(5, 5);
    const { sent, accepted } = deleted();
    expect(sent).toHaveLength(5);
    expect(new Set(accepted).size).toBe(5);
    for (const c of reasons.values())
      if (c?.reason === "BudgetExhausted") {
        expect(c.message).toContain(`FleetDisruptionBudget ${budgetName()} (5 instance deletions per 1h`);
        expect(c.message).toMatch(/waiting until \d{4}-\d\d-\d\dT/);
      }
    expect(log.forbidden()).toEqual([]);
    await eventually(
      "the budget's metrics show 5 used, 0 left",
      async () =>
        (await metricValue("dbfleet_budget_used", `budget="${budgetName()}"`)) === 5 &&
        (await metricValue("dbfleet_budget_remaining", `budget="${budgetName()}"`)) === 0,
    );
  });

  it("plan shows the waiting sets held back by the same budget, and the done ones Ready", async () => {
    const reasons = await readyReasons();
    const rows = await planOf(SETS);
    expect(rows).toHaveLength(SETS.length);
    for (const row of rows) {
      const controller = reasons.get(row.name)?.reason;
      if (controller === "BudgetExhausted") {
        expect(row).toMatchObject({ step: "Wait", reason: "BudgetExhausted" });
        expect(row.message).toContain(`FleetDisruptionBudget ${budgetName()}`);
      } else expect(row).toMatchObject({ step: "Ready", reason: "Converged" });
    }
    expect(deleted().sent).toHaveLength(5);
  });

  it("a new operator (restart or new leader) counts what the old one started from status and sends nothing", async () => {
    await operator?.stop(2000);
    operator = startOperator();
    // It has decided every set at least once: each reconcile is counted.
    await eventually("the new operator reconciled every set", async () => {
      const reconciles = total(await metrics.registry.metrics(), "controller_runtime_reconcile_total", {
        controller: "redisinstanceset",
      });
      return reconciles >= 2 * SETS.length;
    });
    expect(await metricValue("dbfleet_budget_used", `budget="${budgetName()}"`)).toBe(5);
    await reasonsAre(5, 5);
    expect(deleted().sent).toHaveLength(5);
  });

  it("raising the budget to 10 lets the waiting sets go at once, not when the window frees", async () => {
    await raw.apply(budget(10));
    await reasonsAre(10, 0);
    const { sent, accepted } = deleted();
    expect(sent).toHaveLength(10);
    expect(new Set(accepted).size).toBe(10);
    await eventually(
      "only the kept instances are left",
      async () =>
        dcs
          .instances(PROJECT)
          .map((i) => i.name)
          .sort()
          .join() === SETS.map((s) => `${s}-keep`).join(),
    );
    expect(log.forbidden()).toEqual([]);
  });
});
