// make bench-compare fails on figures that hold on a loaded machine and only flags wall times: a busy
// neighbour must not fail it, and a real CPU or count regression must.
import { describe, expect, it } from "vitest";
import { decidedlyWorse, isMinimumRatio, loadIndependent, verdict } from "../../bench/regression.js";

describe("which figures bench-compare may fail on", () => {
  it.each([
    ["operator CPU per reconcile (cold start)", "ms", true],
    ["API server CPU per reconcile (cold start)", "ms", true],
    ["DCS list calls per 10 s poll (1000 RIS, 10 projects; mean of 3)", "calls", true],
    ["API-server writes per converged set, Events counted (restart, 2000 sets)", "writes", true],
    ["latency p50 / design minimum p50 (100 sets)", "x", true],
    ["RSS with 10000 sets", "MiB", true],
    ["latency p50 (100 sets)", "ms", false],
    ["cold start to Ready (1000 TRS + 1000 RIS)", "s", false],
    ["reconciles per second (cold start, 2000 sets)", "1/s", false],
  ])("%s (%s): %s", (metric, unit, independent) => {
    expect(loadIndependent({ metric, unit })).toBe(independent);
  });
});

describe("verdict against the baseline", () => {
  it.each([
    [{ metric: "operator CPU per reconcile", unit: "ms", value: 4.5 }, 4, "worse"],
    [{ metric: "operator CPU per reconcile", unit: "ms", value: 4.3 }, 4, "same"],
    [{ metric: "operator CPU per reconcile", unit: "ms", value: 3 }, 4, "better"],
    [{ metric: "reconciles per second", unit: "1/s", value: 80 }, 100, "worse"],
    [{ metric: "reconciles per second", unit: "1/s", value: 120 }, 100, "better"],
    [{ metric: "RSS added by the unrelated Secrets", unit: "MiB", value: -4.1 }, -2.5, "better"],
    [{ metric: "RSS added by the unrelated Secrets", unit: "MiB", value: 1 }, -2.5, "worse"],
    [{ metric: "RSS added by the unrelated Secrets", unit: "MiB", value: -2.4 }, -2.5, "same"],
    [{ metric: "anything", unit: "x", value: 1 }, undefined, undefined],
    [{ metric: "anything", unit: "x", value: 1 }, 0, undefined],
  ] as const)("%o against %s: %s", (row, baseline, want) => {
    expect(verdict(row, baseline)).toBe(want);
  });
});

describe("the ratios a run with a CPU hog is held to (issue 29)", () => {
  it.each([
    ["latency p50 / design minimum p50 (100 sets)", true],
    ["latency p99 / design minimum p99 (10000 sets)", true],
    ["latency p50 / floor p50 (100 sets)", false],
    ["design minimum p50 (100 sets)", false],
    ["watch floor on the design minimum's sets p50 (100 sets)", false],
  ])("%s: %s", (metric, held) => {
    expect(isMinimumRatio({ metric })).toBe(held);
  });
});

// A ratio's move between two runs fails bench-compare only when its whole interval is over 10 %: its point
// alone moves that much between two runs of the same code.
describe("decidedlyWorse: a ratio's move, by its interval", () => {
  it.each([
    [[1.11, 1.5], true],
    [[1.05, 1.5], false],
    [[1.1, 1.2], false],
    [[0.8, 0.95], false],
  ] as const)("interval %j: fails %s", (interval, fails) => {
    expect(decidedlyWorse({ interval: [interval[0], interval[1]] })).toBe(fails);
  });
});
