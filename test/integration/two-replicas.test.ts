// Two operator processes as deploy/ runs them (two replicas, one Lease, deploy/'s RBAC identity, sets
// through an admin-owned connection). Only the leader queues and reconciles: the standby's caches warm
// but its queues stay empty (its workqueue series at zero with 200 sets), and after the leader is killed
// the new leader's queue waits start when it leads, not when it first saw the sets. The alerts of
// deploy/monitoring are then evaluated with promtool over the series both replicas exported: none fires.
import type { ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump, load } from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import { connectionRef, obshellConnection, SIMULATOR_FLAGS } from "../harness/connections.js";
import { eventually } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor, OPERATOR_NAMESPACE } from "../harness/kube.js";
import { get, scrape as scrapeAs, serviceAccountToken, total } from "../harness/metrics-scrape.js";
import { removeOnExit, startProcess, stopProcess } from "../harness/processes.js";
import { RawApi } from "../harness/raw-api.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const root = join(import.meta.dirname, "..", "..");
const main = join(root, "src", "cli", "main.ts");
const SETS = 200;
const PASSWORD = "replicas-root-password";
const work = mkdtempSync(join(tmpdir(), "dbfleet-replicas-"));
const forgetWork = removeOnExit(work);
let ns = "";
let obshell: ObshellSimulator;
const replicas: { name: string; child: ChildProcess; log: string }[] = [];

function startReplica(name: string, lease: string) {
  const log = join(work, `${name}.log`);
  const child = startProcess(
    process.execPath,
    [
      "--import",
      "tsx",
      main,
      "run",
      `--kubeconfig=${kubeconfig}`,
      "--context=operator",
      `--namespace=${ns}`,
      `--lease-namespace=${OPERATOR_NAMESPACE}`,
      `--lease-name=${lease}`,
      "--lease-duration=4s",
      "--renew-deadline=3s",
      "--retry-period=500ms",
      "--metrics-port=0",
      "--metrics-host=127.0.0.1",
      `--identity=${name}`,
      ...SIMULATOR_FLAGS,
    ],
    log,
  );
  const replica = { name, child, log };
  replicas.push(replica);
  return replica;
}

async function metricsUrl(replica: { log: string; name: string }): Promise<string> {
  let url = "";
  await eventually(
    `${replica.name}'s start line`,
    () => {
      url = /"metrics":"(https:[^"]+)"/.exec(readFileSync(replica.log, "utf8"))?.[1] ?? "";
      return url !== "";
    },
    30_000,
  );
  return url;
}

/** As Prometheus scrapes through deploy/monitoring: HTTPS and a metrics reader's token (made in beforeAll). */
let readerToken = "";
const scrape = (url: string) => scrapeAs(url, readerToken);

/** Every sample line of a scrape, as promtool's input_series wants it: `name{labels}` and a value. */
function samples(text: string, instance: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    const series = line.slice(0, space);
    const value = Number(line.slice(space + 1));
    if (!Number.isFinite(value)) continue;
    const brace = series.indexOf("{");
    const name = brace < 0 ? series : series.slice(0, brace);
    const labels = brace < 0 ? "" : series.slice(brace + 1, -1);
    const extra = `job="dbfleet-operator-metrics",instance="${instance}"`;
    out.set(`${name}{${labels ? `${labels},` : ""}${extra}}`, value);
  }
  return out;
}

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "replicas");
  readerToken = await serviceAccountToken(raw, ns, "prometheus", true);
  obshell = new ObshellSimulator({
    password: PASSWORD,
    stageMs: 20,
    seed: {
      zones: ["z1", "z2"].map((name) => ({ name, region: "hz" })),
      tenants: Array.from({ length: SETS }, (_, i) => ({ name: `t${i}`, zones: ["z1", "z2"] })),
    },
  });
  await obshell.start();
  await raw.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "obshell", namespace: ns },
    stringData: { password: PASSWORD },
  });
  await raw.apply(obshellConnection({ namespace: ns, name: "ob" }, obshell.url));
});

afterAll(async () => {
  for (const r of replicas) await stopProcess(r.child, 3000);
  await obshell?.stop();
  await raw.close();
  rmSync(work, { recursive: true, force: true });
  forgetWork();
});

describe("two replicas, one Lease", () => {
  it("only the leader queues; the successor's queue waits start at takeover; no alert fires", async () => {
    const lease = `replicas-${ns}`;
    const a = startReplica("replica-a", lease);
    const aUrl = await metricsUrl(a);
    await eventually(
      "replica-a leads",
      async () => (await scrape(aUrl)).includes(`leader_election_master_status{name="${lease}"} 1`),
      30_000,
    );
    const b = startReplica("replica-b", lease);
    const bUrl = await metricsUrl(b);
    await eventually(
      "replica-b's caches synced",
      async () => (await get(`${bUrl}/readyz`)).status === 200,
      30_000,
    );

    const createdAt = Date.now();
    for (let i = 0; i < SETS; i++)
      await raw.apply({
        apiVersion: "dbfleet.io/v1alpha1",
        kind: "TenantReplicaSet",
        metadata: { name: `set-${i}`, namespace: ns },
        spec: { ...connectionRef("ob"), tenant: `t${i}`, zones: ["z1", "z2"], pollInterval: "10m" },
      });
    await eventually(
      `all ${SETS} sets Ready under replica-a`,
      async () => {
        const list = await raw.call<{
          items: { status?: { conditions?: { type: string; status: string }[] } }[];
        }>("GET", `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/tenantreplicasets`);
        return (
          list.items.filter((o) =>
            o.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
          ).length === SETS
        );
      },
      120_000,
    );
    const standby = await scrape(bUrl);
    const leader = await scrape(aUrl);
    // The standby saw every set (and every status write) and queued none of them.
    expect(total(standby, `leader_election_master_status`, { name: lease })).toBe(0);
    for (const controller of ["tenantreplicaset", "redisinstanceset"]) {
      expect(total(standby, "workqueue_depth", { name: controller })).toBe(0);
      expect(total(standby, "workqueue_adds_total", { name: controller })).toBe(0);
      expect(total(standby, "workqueue_queue_duration_seconds_count", { name: controller })).toBe(0);
    }
    expect(
      total(leader, "controller_runtime_reconcile_total", { controller: "tenantreplicaset" }),
    ).toBeGreaterThanOrEqual(SETS);

    // The standby must have stood by longer than the queue-wait bucket the takeover can reach (10 s), so a
    // wait counted from when it first saw a set would land in a later bucket.
    await eventually(
      "replica-b stood by for over 11 s with the sets cached",
      () => Date.now() - createdAt > 11_000,
      20_000,
    );
    const killedAt = Date.now();
    a.child.kill("SIGKILL");
    await eventually(
      "replica-b leads",
      async () => (await scrape(bUrl)).includes(`leader_election_master_status{name="${lease}"} 1`),
      30_000,
    );
    await eventually(
      `replica-b reconciled all ${SETS} sets`,
      async () =>
        total(await scrape(bUrl), "controller_runtime_reconcile_total", { controller: "tenantreplicaset" }) >=
        SETS,
      120_000,
    );
    const after = await scrape(bUrl);
    const sinceKill = (Date.now() - killedAt) / 1000;
    const waits = (le: string) =>
      total(after, "workqueue_queue_duration_seconds_bucket", { name: "tenantreplicaset", le });
    const count = total(after, "workqueue_queue_duration_seconds_count", { name: "tenantreplicaset" });
    expect(count).toBeGreaterThanOrEqual(SETS);
    // Every wait began at or after the takeover, so none is longer than the time since the kill.
    const bound = ["1", "10", "100", "1000"].find((le) => Number(le) >= sinceKill) ?? "+Inf";
    expect(waits(bound), `queue waits within ${bound} s of a takeover ${sinceKill.toFixed(1)} s ago`).toBe(
      count,
    );
    const p99 = [
      "1e-08",
      "1e-07",
      "1e-06",
      "1e-05",
      "0.0001",
      "0.001",
      "0.01",
      "0.1",
      "1",
      "10",
      "100",
      "1000",
      "+Inf",
    ].find((le) => waits(le) >= 0.99 * count);
    console.log(
      `two replicas: takeover after kill, ${count} queue waits, p99 <= ${p99} s, kill to all reconciled ${sinceKill.toFixed(1)} s`,
    );

    // deploy/monitoring's alerts over what both replicas exported: a's series until its kill, b's
    // standby series before and its leader series after, each held for 20 minutes of evaluation.
    const before = { a: samples(leader, "replica-a"), b: samples(standby, "replica-b") };
    const later = samples(after, "replica-b");
    const series = new Map<string, string>();
    const STEPS = 40;
    // The standby state is held longer than the longest `for:` of the rules (15 minutes).
    const HALF = 20;
    for (const [k, v] of before.a)
      series.set(k, `${`${v} `.repeat(HALF)}${"_ ".repeat(STEPS - HALF)}`.trim());
    for (const key of new Set([...before.b.keys(), ...later.keys()])) {
      const first = before.b.get(key);
      const second = later.get(key);
      series.set(key, `${`${first ?? "_"} `.repeat(HALF)}${`${second ?? "_"} `.repeat(STEPS - HALF)}`.trim());
    }
    series.set(
      `up{job="dbfleet-operator-metrics",instance="replica-a"}`,
      `${"1 ".repeat(HALF)}${"0 ".repeat(STEPS - HALF)}`.trim(),
    );
    series.set(`up{job="dbfleet-operator-metrics",instance="replica-b"}`, "1 ".repeat(STEPS).trim());
    const rule = load(readFileSync(join(root, "deploy", "monitoring", "prometheusrule.yaml"), "utf8"));
    const groups = z
      .object({
        spec: z.object({
          groups: z.array(z.looseObject({ rules: z.array(z.looseObject({ alert: z.string().optional() })) })),
        }),
      })
      .parse(rule).spec.groups;
    writeFileSync(join(work, "rules.yaml"), dump({ groups }));
    const alerts = groups.flatMap((g) => g.rules.map((r) => r.alert ?? "")).filter((n) => n !== "");
    expect(alerts).toContain("DbfleetWorkQueueBackingUp");
    writeFileSync(
      join(work, "run_test.yaml"),
      dump(
        {
          rule_files: ["rules.yaml"],
          evaluation_interval: "1m",
          tests: [
            {
              interval: "1m",
              input_series: [...series].map(([s, values]) => ({ series: s, values })),
              alert_rule_test: [HALF - 1, STEPS - 1].flatMap((minute) =>
                alerts.map((alertname) => ({ eval_time: `${minute}m`, alertname, exp_alerts: [] })),
              ),
            },
          ],
        },
        { lineWidth: -1 },
      ),
    );
    const result = (() => {
      try {
        return execFileSync("promtool", ["test", "rules", "run_test.yaml"], {
          cwd: work,
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
        });
      } catch (error) {
        const e = error as { stdout?: string; stderr?: string };
        return `FAILED\n${e.stdout ?? ""}${e.stderr ?? ""}`;
      }
    })();
    expect(result).not.toContain("FAILED");

    // deploy/'s identity was never refused.
    for (const r of replicas)
      expect(readFileSync(r.log, "utf8")).not.toMatch(/"code":403\b|\b403 Forbidden\b/);
  }, 300_000);
});
