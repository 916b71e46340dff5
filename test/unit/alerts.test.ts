// deploy/monitoring with the real promtool: the PrometheusRule's groups pass `promtool check rules`, every alert
// fires and stays quiet in `promtool test rules` (deploy/monitoring/alerts_test.yaml), and every alert and
// dashboard query selects metrics, and labels, that the operator exports, or, for the per-set
// kube_customresource_ series, that kube-state-metrics exports from deploy/monitoring/kube-state-metrics.yaml.
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump, load, loadAll } from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { OperatorMetrics } from "../../src/observability/metrics.js";

const monitoring = join(import.meta.dirname, "..", "..", "deploy", "monitoring");
const work = mkdtempSync(join(tmpdir(), "dbfleet-alerts-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const rule = z.looseObject({ alert: z.string(), expr: z.string() });
const prometheusRule = z.object({
  kind: z.literal("PrometheusRule"),
  spec: z.looseObject({ groups: z.array(z.looseObject({ name: z.string(), rules: z.array(rule) })) }),
});
const spec = prometheusRule.parse(load(readFileSync(join(monitoring, "prometheusrule.yaml"), "utf8"))).spec;
const alerts = spec.groups.flatMap((g) => g.rules);

/** deploy/ beside a kustomization in `work` (kustomize loads files only below the kustomization's folder). */
function copyDeploy(): void {
  cpSync(join(monitoring, ".."), join(work, "deploy"), { recursive: true });
}

const promtool = (...args: string[]) =>
  execFileSync("promtool", args, { cwd: work, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

// What the operator exports: every metric family with its label names (a histogram's series add le).
const exported = new Map<string, Set<string>>();
for (const metric of new OperatorMetrics().registry.getMetricsAsArray()) {
  const { name, type, labelNames } = z
    .object({ name: z.string(), type: z.string(), labelNames: z.array(z.string()).default([]) })
    .parse({ ...metric, labelNames: (metric as { labelNames?: unknown }).labelNames });
  const labels = new Set(labelNames);
  if (type === "histogram") {
    exported.set(`${name}_bucket`, new Set([...labels, "le"]));
    exported.set(`${name}_sum`, labels);
    exported.set(`${name}_count`, labels);
  } else exported.set(name, labels);
}
// What kube-state-metrics exports from the CustomResourceStateMetrics config, named as it names them
// (kube-state-metrics pkg/customresourcestate: prefix `kube_customresource` unless metricNamePrefix, then
// `_<name>`; labels customresource_group/kind/version, the resource's and the metric's labelsFromPath and
// commonLabels, a StateSet's labelName, a Gauge's labelFromKey).
const labelPaths = z.record(z.string(), z.array(z.string())).default({});
const labelValues = z.record(z.string(), z.string()).default({});
const crsmSchema = z.object({
  kind: z.literal("CustomResourceStateMetrics"),
  spec: z.object({
    resources: z.array(
      z.object({
        groupVersionKind: z.object({ group: z.string(), version: z.string(), kind: z.string() }),
        metricNamePrefix: z.string().optional(),
        labelsFromPath: labelPaths,
        commonLabels: labelValues,
        metrics: z.array(
          z.object({
            name: z.string(),
            help: z.string(),
            labelsFromPath: labelPaths,
            commonLabels: labelValues,
            each: z.discriminatedUnion("type", [
              z.object({
                type: z.literal("Gauge"),
                gauge: z.looseObject({
                  path: z.array(z.string()),
                  labelsFromPath: labelPaths,
                  labelFromKey: z.string().optional(),
                }),
              }),
              z.object({
                type: z.literal("StateSet"),
                stateSet: z.looseObject({
                  path: z.array(z.string()),
                  labelName: z.string(),
                  list: z.array(z.string()).min(1),
                  labelsFromPath: labelPaths,
                }),
              }),
              z.object({
                type: z.literal("Info"),
                info: z.looseObject({ path: z.array(z.string()).optional(), labelsFromPath: labelPaths }),
              }),
            ]),
          }),
        ),
      }),
    ),
  }),
});
const crsmText = readFileSync(join(monitoring, "kube-state-metrics.yaml"), "utf8");
const crsm = crsmSchema.parse(load(crsmText));
const fromKsm = new Map<string, Set<string>>();
for (const resource of crsm.spec.resources)
  for (const metric of resource.metrics) {
    const each = metric.each;
    const typed = each.type === "Gauge" ? each.gauge : each.type === "StateSet" ? each.stateSet : each.info;
    const labels = [
      "customresource_group",
      "customresource_kind",
      "customresource_version",
      ...Object.keys(resource.labelsFromPath),
      ...Object.keys(resource.commonLabels),
      ...Object.keys(metric.labelsFromPath),
      ...Object.keys(metric.commonLabels),
      ...Object.keys(typed.labelsFromPath),
      ...(each.type === "StateSet" ? [each.stateSet.labelName] : []),
      ...(each.type === "Gauge" && each.gauge.labelFromKey ? [each.gauge.labelFromKey] : []),
    ];
    const name = `${resource.metricNamePrefix ?? "kube_customresource"}_${metric.name}`;
    expect(fromKsm.has(name), `${name} is defined once (kube-state-metrics refuses two)`).toBe(false);
    fromKsm.set(name, new Set(labels));
  }

// Labels Prometheus adds to every scraped series (ServiceMonitor target labels).
const TARGET_LABELS = ["job", "instance", "pod", "namespace", "service", "endpoint", "container"];

/** The metric selectors of a PromQL expression: `name{matchers}` (every query here selects with braces). */
function selectors(expr: string): { metric: string; labels: string[] }[] {
  const found: { metric: string; labels: string[] }[] = [];
  for (const m of expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)) {
    const labels = [...(m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map(
      (l) => l[1] ?? "",
    );
    found.push({ metric: m[1] ?? "", labels });
  }
  return found;
}

function expectExported(expr: string): void {
  const found = selectors(expr);
  expect(found.length, `a metric selector in ${expr}`).toBeGreaterThan(0);
  for (const { metric, labels } of found) {
    if (metric === "up") continue; // Prometheus's own, per target
    const ksm = metric.startsWith("kube_customresource_");
    const known = ksm ? fromKsm.get(metric) : exported.get(metric);
    expect(
      known,
      `${metric} is exported by ${ksm ? "kube-state-metrics.yaml" : "the operator"}`,
    ).toBeDefined();
    for (const label of labels)
      expect([...(known ?? []), ...TARGET_LABELS], `${metric} has label ${label}`).toContain(label);
  }
}

describe("PrometheusRule", () => {
  it("passes promtool check rules", () => {
    writeFileSync(join(work, "rules.yaml"), dump(spec));
    expect(promtool("check", "rules", "rules.yaml")).toContain(`SUCCESS: ${alerts.length} rules found`);
  });

  it("passes promtool test rules: every alert fires on its input and stays quiet where it must", () => {
    writeFileSync(join(work, "rules.yaml"), dump(spec));
    copyFileSync(join(monitoring, "alerts_test.yaml"), join(work, "alerts_test.yaml"));
    expect(promtool("test", "rules", "alerts_test.yaml")).toContain("SUCCESS");
  });

  it("has, for every alert, a promtool case where it fires and one where it does not", () => {
    const tests = z
      .object({
        tests: z.array(
          z.object({
            alert_rule_test: z.array(
              z.object({ alertname: z.string(), exp_alerts: z.array(z.unknown()).nullish() }),
            ),
          }),
        ),
      })
      .parse(load(readFileSync(join(monitoring, "alerts_test.yaml"), "utf8")))
      .tests.flatMap((t) => t.alert_rule_test);
    for (const { alert } of alerts) {
      const cases = tests.filter((t) => t.alertname === alert);
      expect(
        cases.some((t) => (t.exp_alerts ?? []).length > 0),
        `${alert} fires in a case`,
      ).toBe(true);
      expect(
        cases.some((t) => (t.exp_alerts ?? []).length === 0),
        `${alert} stays quiet in a case`,
      ).toBe(true);
    }
  });

  it.each(alerts.map((a) => [a.alert, a.expr]))("%s selects exported metrics and labels", (_, expr) => {
    expectExported(expr);
  });
});

describe("kube-state-metrics custom resource state config", () => {
  it("covers both kinds of set with conditions, phase, generations and pending approvals", () => {
    const kinds = crsm.spec.resources.map((r) => r.groupVersionKind.kind).sort();
    expect(kinds).toEqual(["RedisInstanceSet", "TenantReplicaSet"]);
    for (const kind of kinds)
      for (const what of [
        "status_condition",
        "status_phase",
        "metadata_generation",
        "status_observed_generation",
        "status_pending_approval",
      ])
        expect(fromKsm.has(`kube_customresource_dbfleet_${kind.toLowerCase()}_${what}`)).toBe(true);
    for (const r of crsm.spec.resources)
      expect(r.groupVersionKind).toMatchObject({ group: "dbfleet.io", version: "v1alpha1" });
  });

  it("is what the kube-prometheus-stack values give kube-state-metrics, which may list and watch the sets", () => {
    const values = z
      .object({
        "kube-state-metrics": z.object({
          rbac: z.object({
            extraRules: z.array(
              z.object({
                apiGroups: z.array(z.string()),
                resources: z.array(z.string()),
                verbs: z.array(z.string()),
              }),
            ),
          }),
          customResourceState: z.object({ enabled: z.literal(true), config: z.unknown() }),
        }),
      })
      .parse(
        load(readFileSync(join(monitoring, "components", "kube-prometheus-stack", "values.yaml"), "utf8")),
      );
    const ksm = values["kube-state-metrics"];
    expect(ksm.customResourceState.config).toEqual(load(crsmText));
    const dbfleet = ksm.rbac.extraRules.find((r) => r.apiGroups.includes("dbfleet.io"));
    expect(dbfleet?.resources.sort()).toEqual(["redisinstancesets", "tenantreplicasets"]);
    expect(dbfleet?.verbs.sort()).toEqual(["list", "watch"]);
  });
});

describe("kube-prometheus-stack component", () => {
  it("labels the ServiceMonitor and PrometheusRule with release: kube-prometheus-stack and binds its Prometheus", () => {
    copyDeploy();
    writeFileSync(
      join(work, "kustomization.yaml"),
      dump({
        resources: ["deploy/monitoring"],
        components: ["deploy/monitoring/components/kube-prometheus-stack"],
      }),
    );
    const objects = z
      .array(
        z.looseObject({
          kind: z.string(),
          metadata: z.looseObject({ name: z.string(), labels: z.record(z.string(), z.string()).optional() }),
          subjects: z.array(z.looseObject({ name: z.string(), namespace: z.string() })).optional(),
        }),
      )
      .parse(
        loadAll(
          execFileSync("kubectl", ["kustomize", work], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
          }),
        ),
      );
    for (const kind of ["ServiceMonitor", "PrometheusRule"])
      expect(objects.find((o) => o.kind === kind)?.metadata.labels).toMatchObject({
        release: "kube-prometheus-stack",
        "app.kubernetes.io/name": "dbfleet-operator",
      });
    expect(objects.find((o) => o.kind === "ClusterRoleBinding")?.subjects).toEqual([
      { kind: "ServiceAccount", name: "kube-prometheus-stack-prometheus", namespace: "monitoring" },
    ]);
    // The HTTPS scrape with Prometheus's token stays as deploy/monitoring has it.
    const monitor = JSON.stringify(objects.find((o) => o.kind === "ServiceMonitor"));
    expect(monitor).toContain('"scheme":"https"');
    expect(monitor).toContain("bearerTokenFile");
  });
});

describe("Grafana dashboard", () => {
  const dashboard = z
    .object({
      panels: z.array(
        z.object({ title: z.string(), targets: z.array(z.object({ expr: z.string() })).default([]) }),
      ),
    })
    .parse(JSON.parse(readFileSync(join(monitoring, "dashboard.json"), "utf8")));
  const queries = dashboard.panels.flatMap((p) => p.targets.map((t) => [p.title, t.expr] as const));

  it("has queries", () => {
    expect(queries.length).toBeGreaterThan(10);
  });

  it.each(queries)("%s: %s names metrics and labels the operator exports", (_, expr) => {
    expectExported(expr);
  });
});
