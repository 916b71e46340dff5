// The interval the latency bench prints beside each operator / design minimum ratio: it must contain the
// ratio two samples really differ by, and say that a p99 of 500 samples is far less certain than a p50.
import { describe, expect, it } from "vitest";
import { loadedRatioMoves } from "../../bench/regression.js";
import { benchResults, latencySamples, storeSamples } from "../../bench/results-file.js";
import { percentile, percentileRatioInterval, ratioMove } from "../../bench/stats.js";
import { seededRandom } from "../simulators/http-sim.js";

/** Latency-like samples: a floor plus a long right tail (exponential), from a seeded generator. */
function latencies(n: number, seed: number, scale = 1): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => scale * (10 - 4 * Math.log(1 - random())));
}

describe("percentileRatioInterval", () => {
  it.each([
    [50, 1],
    [99, 1],
    [50, 1.3],
    [99, 1.3],
  ])("p%s of two independent sides whose true ratio is %s: the interval contains it", (p, scale) => {
    const operator = latencies(500, 1, scale);
    const minimum = latencies(500, 2);
    const [low, high] = percentileRatioInterval(operator, minimum, p);
    expect(low).toBeLessThan(high);
    expect(low).toBeLessThanOrEqual(scale);
    expect(high).toBeGreaterThanOrEqual(scale);
    const ratio = percentile(operator, p) / percentile(minimum, p);
    expect(low).toBeLessThanOrEqual(ratio);
    expect(high).toBeGreaterThanOrEqual(ratio);
  });

  // The README's sentence: one long-tailed distribution on both sides, 500 samples each.
  it.each([
    [3, 4],
    [5, 6],
    [7, 8],
  ])(
    "a p99 of 500 samples is far less certain than a p50 (seeds %s, %s): its interval is over 0.15 wide, over twice the p50's",
    (first, second) => {
      const operator = latencies(500, first);
      const minimum = latencies(500, second);
      const width = (p: number) => {
        const [low, high] = percentileRatioInterval(operator, minimum, p);
        return high - low;
      };
      expect(width(99)).toBeGreaterThan(0.15);
      expect(width(99)).toBeGreaterThan(2 * width(50));
    },
  );

  it("is computed again alike from the same samples (a seeded resampling)", () => {
    const operator = latencies(200, 5);
    const minimum = latencies(200, 6);
    expect(percentileRatioInterval(operator, minimum, 99)).toEqual(
      percentileRatioInterval(operator, minimum, 99),
    );
  });

  it("no samples on a side: no interval", () => {
    expect(percentileRatioInterval([], [1, 2], 50).every(Number.isNaN)).toBe(true);
  });

  // Why the bench takes 2,000 samples a side: its p99 ratio is then known to about +-0.1.
  it("2,000 samples a side narrow a p99 ratio's interval to under 0.25, under 60 % of 500 samples'", () => {
    const width = (n: number) => {
      const [low, high] = percentileRatioInterval(latencies(n, 11), latencies(n, 12), 99);
      return high - low;
    };
    expect(width(2000)).toBeLessThan(0.25);
    expect(width(2000)).toBeLessThan(0.6 * width(500));
  });
});

describe("ratioMove and loadedRatioMoves: a quiet run's ratio against a loaded run's", () => {
  const run = (seed: number, n: number, operatorScale = 1) => ({
    operator: latencies(n, seed, operatorScale),
    minimum: latencies(n, seed + 1),
  });

  it.each([50, 99])("two runs of one distribution, p%s: the move's interval contains 1", (p) => {
    const { value, interval } = ratioMove(run(21, 2000), run(23, 2000), p);
    expect(interval[0]).toBeLessThanOrEqual(1);
    expect(interval[1]).toBeGreaterThanOrEqual(1);
    expect(interval[0]).toBeLessThanOrEqual(value);
    expect(interval[1]).toBeGreaterThanOrEqual(value);
  });

  it("a loaded run whose operator is 1.3x slower: the interval contains 1.3", () => {
    const { interval } = ratioMove(run(31, 2000, 1.3), run(33, 2000), 50);
    expect(interval[0]).toBeLessThanOrEqual(1.3);
    expect(interval[1]).toBeGreaterThanOrEqual(1.3);
  });

  const kept = (r: { operator: number[]; minimum: number[] }) => ({
    operator: storeSamples(r.operator),
    minimum: storeSamples(r.minimum),
  });
  const results = (samples: Record<string, { operator: number[]; minimum: number[] }>) =>
    latencySamples.parse(Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, kept(v)])));

  it("reads each p50 and p99 move as within, beyond, or undecided, from the interval alone", () => {
    const quiet = results({ "1": run(41, 2000), "100": run(43, 2000), "1000": run(45, 100) });
    const loaded = results({ "1": run(51, 2000), "100": run(53, 2000, 1.5), "1000": run(55, 100) });
    const moves = loadedRatioMoves({ latencySamples: loaded }, { latencySamples: quiet });
    const reading = (label: string) => moves.find((m) => m.label === label)?.reading;
    expect(reading("p50 at 1 sets")).toBe("within the tolerance");
    expect(reading("p50 at 100 sets")).toBe("moved beyond the tolerance");
    // 100 samples: a p99 is their slowest one, which says nothing within 15 %.
    expect(reading("p99 at 1000 sets")).toBe("undecided at these samples");
    for (const m of moves)
      expect(m.reading === "within the tolerance").toBe(m.interval[0] >= 0.85 && m.interval[1] <= 1.15);
  });

  it("compares only the set counts both runs kept samples for (an older baseline kept none)", () => {
    const quiet = results({ "1": run(61, 200) });
    expect(loadedRatioMoves({ latencySamples: quiet }, {})).toEqual([]);
    expect(
      loadedRatioMoves({ latencySamples: quiet }, { latencySamples: results({ "5": run(63, 200) }) }),
    ).toEqual([]);
  });
});

describe("the results file's kept samples", () => {
  it("keep each sample to 0.01 ms and read back as numbers", () => {
    const parsed = latencySamples.parse({ "100": kept2([12.345, 0.5, 100], [13]) });
    expect(parsed["100"]).toEqual({ operator: [12.35, 0.5, 100], minimum: [13] });
  });

  it.each([
    ["a word among the numbers", { "100": { operator: "12.1 fast", minimum: "1" } }, "100.operator"],
    ["a negative time", { "100": { operator: "-1", minimum: "1" } }, "100.operator"],
    ["a key that is not a set count", { many: { operator: "1", minimum: "1" } }, "many"],
  ])("refuse %s, naming the field", (_, samples, field) => {
    const parsed = benchResults.safeParse({
      date: "2026-12-05T00:00:00Z",
      sets: 1,
      latencySizes: "1",
      memorySets: 1,
      samples: 1,
      rows: [],
      latencySamples: samples,
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join("."))).toContain(`latencySamples.${field}`);
  });
});

function kept2(operator: number[], minimum: number[]) {
  return { operator: storeSamples(operator), minimum: storeSamples(minimum) };
}
