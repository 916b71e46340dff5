// Percentiles and a printed table for benchmark results.

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export interface Row {
  metric: string;
  value: number;
  unit: string;
  target?: string;
  /** Whether the figure meets its target, where the target is a figure the operator owns. */
  met?: boolean;
}

export function printTable(rows: readonly Row[]): void {
  const widths = [
    Math.max(6, ...rows.map((r) => r.metric.length)),
    Math.max(5, ...rows.map((r) => format(r.value).length)),
    Math.max(4, ...rows.map((r) => r.unit.length)),
  ];
  console.log(
    `${"metric".padEnd(widths[0] ?? 0)}  ${"value".padStart(widths[1] ?? 0)}  ${"unit".padEnd(widths[2] ?? 0)}  target`,
  );
  for (const r of rows)
    console.log(
      `${r.metric.padEnd(widths[0] ?? 0)}  ${format(r.value).padStart(widths[1] ?? 0)}  ${r.unit.padEnd(widths[2] ?? 0)}  ${r.target ?? ""}${r.met === undefined ? "" : r.met ? "  met" : "  MISSED"}`,
    );
}

export function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}
