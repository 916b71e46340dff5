// The `run` process's /metrics, scraped live: it passes `promtool check metrics`, carries the controller-runtime
// and client-go series a dashboard for such operators reads (with this process's real values), and every metric
// the Grafana dashboard and the alerts select is there.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { obshellConnection, SIMULATOR_FLAGS } from "../harness/connections.js";
import { eventually, trs } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor, OPERATOR_NAMESPACE } from "../harness/kube.js";
import { forbiddenIn } from "../harness/log-capture.js";
import { scrape as scrapeAs, serviceAccountToken, total } from "../harness/metrics-scrape.js";
import { RawApi } from "../harness/raw-api.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const root = join(import.meta.dirname, "..", "..");
let ns = "";

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "monitoring");
});
afterAll(() => raw.close());

/** promtool check metrics on `text`: its exit code and findings. */
async function promtoolCheckMetrics(text: string): Promise<{ code: number | null; output: string }> {
  const child = spawn("promtool", ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  child.stdin.end(text);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, output };
}

describe("/metrics of a running operator", () => {
  it("passes promtool check metrics and exports every series the dashboard and alerts select", async () => {
    // The operator's namespace is shared by every test file: a Lease of this file's own.
    const leaseName = `monitoring-${ns}`;
    const token = await serviceAccountToken(raw, ns, "prometheus", true);
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(root, "src", "cli", "main.ts"),
        "run",
        `--kubeconfig=${kubeconfig}`,
        "--context=operator",
        `--namespace=${ns}`,
        `--lease-namespace=${OPERATOR_NAMESPACE}`,
        `--lease-name=${leaseName}`,
        "--metrics-port=0",
        "--metrics-host=127.0.0.1",
        "--retry-period=200ms",
        "--identity=monitoring-test-replica",
        ...SIMULATOR_FLAGS,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await eventually("the start log line", () => /"metrics":"(https:[^"]+)"/.test(out), 20_000);
      const url = /"metrics":"(https:[^"]+)"/.exec(out)?.[1] ?? "";
      // As Prometheus scrapes it through deploy/monitoring: HTTPS and a metrics reader's token.
      const scrape = () => scrapeAs(url, token);
      await eventually("leading", async () =>
        (await scrape()).includes(`leader_election_master_status{name="${leaseName}"} 1`),
      );
      // One set to reconcile (its connection's Secret is missing, so it stops there, without a remote call).
      await raw.apply(obshellConnection({ namespace: ns, name: "obshell" }, "http://127.0.0.1:2886"));
      await raw.apply(trs(ns, "metrics-probe"));
      await eventually(
        "a tenantreplicaset reconcile counted",
        async () =>
          total(await scrape(), "controller_runtime_reconcile_total", { controller: "tenantreplicaset" }) > 0,
      );
      const text = await scrape();

      const lint = await promtoolCheckMetrics(text);
      expect(lint.output).toBe("");
      expect(lint.code).toBe(0);

      const apiHost = new URL(server).host;
      expect(
        total(text, "rest_client_requests_total", { code: "200", method: "GET", host: apiHost }),
      ).toBeGreaterThan(0);
      expect(
        total(text, "rest_client_request_duration_seconds_count", { verb: "PUT", host: apiHost }),
      ).toBeGreaterThan(0); // lease renewals
      expect(
        total(text, "controller_runtime_max_concurrent_reconciles", { controller: "tenantreplicaset" }),
      ).toBe(4);
      expect(total(text, "workqueue_adds_total", { name: "tenantreplicaset" })).toBeGreaterThan(0);
      expect(
        total(text, "workqueue_queue_duration_seconds_count", { name: "tenantreplicaset" }),
      ).toBeGreaterThan(0);
      expect(
        total(text, "workqueue_work_duration_seconds_count", { name: "tenantreplicaset" }),
      ).toBeGreaterThan(0);
      expect(text).toMatch(/dbfleet_build_info\{version="[^"]+"\} 1/);
      // controller-runtime's rare-failure series exist from the start, at 0 here.
      for (const name of ["terminal_reconcile_errors", "reconcile_panics", "reconcile_timeouts"])
        expect(text).toContain(`controller_runtime_${name}_total{controller="tenantreplicaset"} 0`);
      // Per-set series only with --per-set-metrics.
      expect(text).not.toContain("dbfleet_reconcile_condition");

      // Every metric family the dashboard and the alerts select is declared by the live process.
      const families = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1] ?? ""));
      const queries = [
        readFileSync(join(root, "deploy", "monitoring", "dashboard.json"), "utf8"),
        readFileSync(join(root, "deploy", "monitoring", "prometheusrule.yaml"), "utf8"),
      ].join("\n");
      const selected = new Set(
        [...queries.matchAll(/([a-z_:][a-z0-9_:]*)\{/g)]
          .map((m) => (m[1] ?? "").replace(/_(bucket|sum|count)$/, ""))
          // kube_customresource_*: kube-state-metrics', checked against its config in test/unit/alerts.test.ts.
          .filter((name) => name !== "up" && /_/.test(name) && !name.startsWith("kube_customresource_")),
      );
      expect(selected.size).toBeGreaterThan(15);
      for (const name of selected) expect(families, `${name} is exported`).toContain(name);

      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      // It ran as deploy/ grants the operator: not one request was refused.
      expect(forbiddenIn(out)).toEqual([]);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
