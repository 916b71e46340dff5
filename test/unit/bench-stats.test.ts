// The intervals the latency bench prints beside each operator / design minimum ratio, and bench-compare
// beside each move of one between two runs: they must contain the ratio the samples really differ by, say
// how much less certain a p99 is than a p50, and be read against the tolerance as the README says.
import { describe, expect, it } from "vitest";
import { loadedRatioMoves, readMove } from "../../bench/regression.js";
import { benchResults, latencySamples, storeSamples } from "../../bench/results-file.js";
import { type PairedSamples, percentileRatioInterval, ratioMove } from "../../bench/stats.js";
import { seededRandom } from "../simulators/http-sim.js";

/** Latency-like samples: a floor plus a long right tail (exponential), from a seeded generator. */
function latencies(n: number, seed: number, scale = 1): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => scale * (10 - 4 * Math.log(1 - random())));
}

/** A run of `n` turns whose two sides are independent draws, the operator's `scale` times slower. */
const run = (seed: number, n: number, scale = 1): PairedSamples => ({
  operator: latencies(n, seed, scale),
  minimum: latencies(n, seed + 1),
});

const width = ([low, high]: [number, number]) => high - low;

describe("percentileRatioInterval", () => {
  it.each([
    [50, 1],
    [99, 1],
    [50, 1.3],
    [99, 1.3],
  ])("p%s of a run whose true ratio is %s: the interval contains it", (p, scale) => {
    const samples = run(1, 500, scale);
    const [low, high] = percentileRatioInterval(samples, p);
    expect(low).toBeLessThan(high);
    expect(low).toBeLessThanOrEqual(scale);
    expect(high).toBeGreaterThanOrEqual(scale);
  });

  // The README's sentences: one long-tailed distribution on both sides.
  it.each([
    [3, 4],
    [5, 7],
    [7, 9],
  ])(
    "a p99 of 500 samples is far less certain than a p50 (seeds %s, %s): its interval is over 0.15 wide, over twice the p50's",
    (first, second) => {
      const samples = { operator: latencies(500, first), minimum: latencies(500, second) };
      expect(width(percentileRatioInterval(samples, 99))).toBeGreaterThan(0.15);
      expect(width(percentileRatioInterval(samples, 99))).toBeGreaterThan(
        2 * width(percentileRatioInterval(samples, 50)),
      );
    },
  );

  it("2,000 samples a side narrow a p99 ratio's interval to under 60 % of 500 samples' width", () => {
    const at = (n: number) => width(percentileRatioInterval(run(11, n), 99));
    expect(at(2000)).toBeLessThan(0.6 * at(500));
  });

  // Turns share the machine: a slow moment slows both sides. Resampling turns keeps that, so the ratio of
  // sides that move together is known more closely than the ratio of two independent ones.
  it("resamples turns, both sides together: sides that move together give a narrower interval", () => {
    const shared = latencies(1000, 13);
    const together = { operator: shared.map((v, i) => v + (i % 7)), minimum: shared };
    const apart = { operator: together.operator, minimum: latencies(1000, 14) };
    expect(width(percentileRatioInterval(together, 99))).toBeLessThan(
      0.5 * width(percentileRatioInterval(apart, 99)),
    );
  });

  // The samples drift (a set's status grows with its first 200 disruptions; the fleet warms): resampling in
  // blocks of consecutive turns keeps a stretch of slow turns together, as a run has them, so a drifting
  // run's interval is wider than that of the same samples in random order.
  it("resamples consecutive turns in blocks: a drifting run's interval is wider than the same samples shuffled", () => {
    const n = 2000;
    const minimum = Array.from({ length: n }, () => 10);
    const noise = latencies(n, 17);
    const drifting = Array.from({ length: n }, (_, i) => 10 + (10 * i) / n + (noise[i] ?? 0) / 10);
    const shuffled = [...drifting];
    const random = seededRandom(19);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j] ?? 0, shuffled[i] ?? 0];
    }
    expect(width(percentileRatioInterval({ operator: drifting, minimum }, 50))).toBeGreaterThan(
      2 * width(percentileRatioInterval({ operator: shuffled, minimum }, 50)),
    );
  });

  it("is computed again alike from the same samples (a seeded resampling)", () => {
    const samples = run(5, 200);
    expect(percentileRatioInterval(samples, 99)).toEqual(percentileRatioInterval(samples, 99));
  });

  it("no samples: no interval; sides of different lengths are not turns", () => {
    expect(percentileRatioInterval({ operator: [], minimum: [] }, 50).every(Number.isNaN)).toBe(true);
    expect(() => percentileRatioInterval({ operator: [1], minimum: [1, 2] }, 50)).toThrow(/unequal length/);
  });
});

describe("ratioMove: one run's ratio against another's", () => {
  it.each([50, 99])("two runs of one distribution, p%s: the move's interval contains 1", (p) => {
    const { value, interval } = ratioMove(run(21, 2000), run(23, 2000), p);
    expect(interval[0]).toBeLessThanOrEqual(1);
    expect(interval[1]).toBeGreaterThanOrEqual(1);
    expect(Number.isFinite(value)).toBe(true);
  });

  it("a run whose operator is 1.3x slower against one that is not: the interval contains 1.3 and not 1", () => {
    const { value, interval } = ratioMove(run(31, 2000, 1.3), run(33, 2000), 50);
    expect(interval[0]).toBeLessThanOrEqual(1.3);
    expect(interval[1]).toBeGreaterThanOrEqual(1.3);
    expect(interval[0]).toBeGreaterThan(1);
    expect(value).toBeCloseTo(1.3, 1);
  });
});

describe("readMove: a move's interval against the 15 % tolerance", () => {
  it.each([
    [[0.9, 1.1], "within"],
    [[0.85, 1.15], "within"],
    [[1.16, 1.4], "beyond"],
    [[0.6, 0.84], "beyond"],
    [[1.1, 1.2], "undecided"],
    [[0.8, 0.9], "undecided"],
    [[0.7, 1.3], "undecided"],
    [[Number.NaN, Number.NaN], "unmeasured"],
  ] as const)("%j reads %s", (interval, reading) => {
    expect(readMove(interval)).toBe(reading);
  });
});

describe("loadedRatioMoves: bench-compare's moves between a quiet run and a loaded one", () => {
  const kept = (samples: Record<string, PairedSamples>) =>
    latencySamples.parse(
      Object.fromEntries(
        Object.entries(samples).map(([k, v]) => [
          k,
          { operator: storeSamples(v.operator), minimum: storeSamples(v.minimum) },
        ]),
      ),
    );

  it("one move per p50 and p99 at each set count, read from its interval", () => {
    const quiet = kept({ "1": run(41, 2000), "100": run(43, 2000) });
    const loaded = kept({ "1": run(51, 2000), "100": run(53, 2000, 1.5) });
    const moves = loadedRatioMoves({ latencySamples: loaded }, { latencySamples: quiet });
    expect(moves.map((m) => m.label)).toEqual([
      "p50 at 1 sets",
      "p99 at 1 sets",
      "p50 at 100 sets",
      "p99 at 100 sets",
    ]);
    expect(moves.find((m) => m.label === "p50 at 1 sets")?.reading).toBe("within");
    expect(moves.find((m) => m.label === "p50 at 100 sets")?.reading).toBe("beyond");
    for (const m of moves) expect(m.reading).toBe(readMove(m.interval));
  });

  it("compares only the set counts both runs kept samples for (an older baseline kept none)", () => {
    const quiet = kept({ "1": run(61, 200) });
    expect(loadedRatioMoves({ latencySamples: quiet }, {})).toEqual([]);
    expect(
      loadedRatioMoves({ latencySamples: quiet }, { latencySamples: kept({ "5": run(63, 200) }) }),
    ).toEqual([]);
  });
});

describe("the results file", () => {
  const file = (extra: Record<string, unknown>) => ({
    date: "2026-12-05T00:00:00Z",
    sets: 1,
    latencySizes: "1",
    memorySets: 1,
    samples: 1,
    rows: [],
    ...extra,
  });

  it("keeps each sample to 0.01 ms, in order, and reads them back as numbers", () => {
    const parsed = latencySamples.parse({
      "100": { operator: storeSamples([12.345, 0.5, 100]), minimum: storeSamples([13]) },
    });
    expect(parsed["100"]).toEqual({ operator: [12.35, 0.5, 100], minimum: [13] });
  });

  it.each([
    ["a word among the numbers", { "100": { operator: "12.1 fast", minimum: "1" } }, "100.operator"],
    ["a negative time", { "100": { operator: "-1", minimum: "1" } }, "100.operator"],
    ["two spaces (an empty sample)", { "100": { operator: "1  2", minimum: "1" } }, "100.operator"],
    ["a trailing space", { "100": { operator: "1", minimum: "1 " } }, "100.minimum"],
    ["hexadecimal", { "100": { operator: "0x1A", minimum: "1" } }, "100.operator"],
    ["a key that is not a set count", { many: { operator: "1", minimum: "1" } }, "many"],
  ])("refuses %s in the kept samples, naming the field", (_, samples, field) => {
    const parsed = benchResults.safeParse(file({ latencySamples: samples }));
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join("."))).toContain(`latencySamples.${field}`);
  });

  it("reads a figure the run could not take (NaN, written as null) as NaN", () => {
    const parsed = benchResults.parse(
      file({ rows: [{ metric: "operator CPU per polling reconcile", value: null, unit: "ms" }] }),
    );
    expect(parsed.rows[0]?.value).toBeNaN();
  });
});
