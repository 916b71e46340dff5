// deploy/monitoring with the real promtool: the PrometheusRule's groups pass `promtool check rules`, every alert
// fires and stays quiet in `promtool test rules` (deploy/monitoring/alerts_test.yaml), and every alert and
// dashboard query selects metrics, and labels, that the operator exports.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump, load } from "js-yaml";
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
    const known = exported.get(metric);
    expect(known, `${metric} is exported by the operator`).toBeDefined();
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
