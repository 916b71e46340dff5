// The interval the latency bench prints beside each operator / design minimum ratio: it must contain the
// ratio two samples really differ by, and say that a p99 of 500 samples is far less certain than a p50.
import { describe, expect, it } from "vitest";
import { percentile, percentileRatioInterval } from "../../bench/stats.js";
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
});
