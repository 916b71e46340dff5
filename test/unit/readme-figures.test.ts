// Every figure the README quotes from a file is read here from that file, with the README's rounding:
// the benchmark baseline, the ownership run, the mutation report, and the bounds and flags it quotes
// from code and tests. A table is checked whole (a row with no rule here fails), so a new figure needs
// its source named. On a mismatch the expected row is printed, ready to paste.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { LOADED_RATIO_TOLERANCE, loadedRatioMoves } from "../../bench/regression.js";
import { benchResults, benchRow } from "../../bench/results-file.js";
import { percentileRatioInterval } from "../../bench/stats.js";
import { benchTargets } from "../../bench/targets.js";
import * as modules from "../../mutation/modules.mjs";
import { PerFile, scoreOf } from "../../scripts/mutation-record.js";
import { IMPORT_FLAGS } from "../../src/cli/import-flags.js";
import { PLAN_FLAGS } from "../../src/cli/plan-flags.js";
import { RUN_FLAGS } from "../../src/cli/run.js";
import { SPAM_BURST, SPAM_REFILL_MS } from "../../src/controller/events.js";
import { DEFAULT_MAX_REPLY_BYTES } from "../../src/providers/transport.js";
import { KEPT_DISRUPTIONS } from "../../src/reconcilers/engine/disruptions.js";

const root = join(import.meta.dirname, "..", "..");
const read = (path: string) => readFileSync(join(root, path), "utf8");
const readme = read("README.md");
/** The README with its line breaks and runs of spaces as one space, for sentences that wrap. */
const prose = readme.replace(/\s+/g, " ");

const bench = benchResults.parse(JSON.parse(read("bench/baseline.json")));
/** The same run with a CPU hog on one core (`make bench BENCH_CPU_HOG=1`), kept beside it. */
const hogged = benchResults
  .extend({ cpuHog: z.literal(true) })
  .parse(JSON.parse(read("bench/baseline-cpu-hog.json")));
const ownership = z
  .object({ sets: z.int(), listing: z.int(), cores: z.int(), rows: z.array(benchRow) })
  .parse(JSON.parse(read("bench/ownership-baseline.json")));
const mutation = z
  .object({
    firstRun: z.object({ mutants: z.int(), score: z.number(), durationSeconds: z.number() }),
    perFile: z.record(z.string(), PerFile),
  })
  .parse(JSON.parse(read("mutation/baseline.json")));

function metric(rows: z.infer<typeof benchRow>[], name: string): z.infer<typeof benchRow> {
  const found = rows.find((r) => r.metric === name);
  if (!found) throw new Error(`no row "${name}" in the file the README quotes`);
  return found;
}
const b = (name: string) => metric(bench.rows, name);
const h = (name: string) => metric(hogged.rows, name);
const o = (name: string) => metric(ownership.rows, name).value;

const fixed = (v: number, digits: number) => v.toFixed(digits);
/** 1000 -> "1,000", as the README writes counts. */
const count = (n: number) => n.toLocaleString("en-US");
/** A score as the mutation table writes it: one decimal, none for a whole number (0, 100). */
const pct = (v: number) => String(Number(v.toFixed(1)));

/** The README table whose header row starts with `header`: first cell -> the other cells. */
function table(header: string): { head: string[]; rows: Map<string, string[]> } {
  const lines = readme.split("\n");
  const start = lines.findIndex((l) => l.startsWith(header));
  if (start < 0) throw new Error(`README has no table headed "${header}"`);
  const cells = (line: string) =>
    line
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
  const rows = new Map<string, string[]>();
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    const [first = "", ...rest] = cells(line);
    rows.set(first, rest);
  }
  return { head: cells(lines[start] ?? ""), rows };
}

/** Compares a README table with the rows computed from a file; the message is the expected table. */
function expectTable(actual: Map<string, string[]>, expected: Map<string, string[]>): void {
  const render = (m: Map<string, string[]>) =>
    [...m].map(([k, v]) => `| ${[k, ...v].join(" | ")} |`).join("\n");
  expect(render(actual), `expected rows:\n${render(expected)}`).toEqual(render(expected));
}

describe("README: the benchmark figures are bench/baseline.json's", () => {
  const sizes = bench.latencySizes.split(",").map(Number);
  const perSize = (f: (n: number) => string) => sizes.map(f);

  it("the run with a CPU hog had the same parameters", () => {
    expect([hogged.samples, hogged.latencySizes]).toEqual([bench.samples, bench.latencySizes]);
  });

  it("names the run's parameters as the file records them", () => {
    expect(prose).toContain(
      `${bench.samples} samples per size; \`BENCH_LATENCY_SIZES=${bench.latencySizes} BENCH_SETS=${bench.sets} BENCH_MEMORY_SETS=${bench.memorySets}\``,
    );
  });

  it("every row of either run that names a target says whether it met it", () => {
    for (const run of [bench, hogged])
      expect(run.rows.filter((r) => r.target && r.met === undefined).map((r) => r.metric)).toEqual([]);
  });

  /** A target with "(met)" or "(missed)", from the rows that carry it (all must meet it). */
  const verdict = (names: string[], per = "") => {
    const found = names.map(b);
    const target = found[0]?.target ?? "";
    expect(
      found.every((r) => r.target === target && r.met !== undefined),
      names.join(", "),
    ).toBe(true);
    return `${target}${per} (${found.every((r) => r.met) ? "met" : "missed"})`;
  };

  it("the latency table", () => {
    const { head, rows } = table("| metric | 1 set |");
    expect(head).toEqual(["metric", ...perSize((n) => (n === 1 ? "1 set" : `${count(n)} sets`)), "target"]);
    const pair = (a: string, c: string, unit: string, digits: number) => (n: number) =>
      `${fixed(b(`${a} (${n} sets)`).value, digits)}${unit} / ${fixed(b(`${c} (${n} sets)`).value, digits)}${unit}`;
    const parts = ["watchDelivery", "queueAndPrologue", "remoteReads", "intentWrite", "deleteSend"];
    expectTable(
      rows,
      new Map([
        [
          "spec change -> DELETE arrives, p50 / p99",
          [...perSize(pair("latency p50", "latency p99", " ms", 1)), ""],
        ],
        [
          "design minimum, p50 / p99",
          [...perSize(pair("design minimum p50", "design minimum p99", " ms", 1)), ""],
        ],
        [
          "operator / design minimum, p50 / p99",
          [
            ...perSize(pair("latency p50 / design minimum p50", "latency p99 / design minimum p99", "x", 2)),
            verdict(
              sizes.flatMap((n) => [
                `latency p50 / design minimum p50 (${n} sets)`,
                `latency p99 / design minimum p99 (${n} sets)`,
              ]),
            ),
          ],
        ],
        [
          "the same with a CPU hog on one core, p50 / p99",
          [
            ...perSize(
              (n) =>
                `${fixed(h(`latency p50 / design minimum p50 (${n} sets)`).value, 2)}x / ${fixed(h(`latency p99 / design minimum p99 (${n} sets)`).value, 2)}x`,
            ),
            `within ${LOADED_RATIO_TOLERANCE * 100} % of the quiet run's (${
              sizes.every((n) =>
                [50, 99].every((p) => {
                  const name = `latency p${p} / design minimum p${p} (${n} sets)`;
                  return Math.abs(h(name).value / b(name).value - 1) <= LOADED_RATIO_TOLERANCE;
                }),
              )
                ? "met"
                : "missed"
            })`,
          ],
        ],
        ...(
          [
            ["operator / design minimum, 90 % interval, p50 / p99", b],
            ["the same with a CPU hog, 90 % interval, p50 / p99", h],
          ] as const
        ).map(([label, of]): [string, string[]] => [
          label,
          [
            ...perSize((n) =>
              [50, 99]
                .map((p) => {
                  const found = of(`latency p${p} / design minimum p${p} (${n} sets)`).interval;
                  if (!found) throw new Error(`no interval for the p${p} ratio at ${n} sets`);
                  return `${fixed(found[0], 2)}-${fixed(found[1], 2)}x`;
                })
                .join(" / "),
            ),
            "",
          ],
        ]),
        (() => {
          // bench-compare's reading of each move, from both files' raw samples.
          const moves = loadedRatioMoves(hogged, bench);
          const move = (p: number, n: number) => {
            const found = moves.find((m) => m.label === `p${p} at ${n} sets`);
            if (!found) throw new Error(`no samples of the p${p} ratio at ${n} sets in both baselines`);
            return found;
          };
          const tally = (reading: string) => moves.filter((m) => m.reading === reading).length;
          return [
            "the hog run's ratio over the quiet run's, 90 % interval, p50 / p99",
            [
              ...perSize((n) =>
                [50, 99]
                  .map((p) => `${fixed(move(p, n).interval[0], 2)}-${fixed(move(p, n).interval[1], 2)}x`)
                  .join(" / "),
              ),
              `${fixed(1 - LOADED_RATIO_TOLERANCE, 2)}-${fixed(1 + LOADED_RATIO_TOLERANCE, 2)}x: ${tally("within")} inside, ${tally("beyond")} outside, ${tally("undecided")} across`,
            ],
          ] as [string, string[]];
        })(),
        [
          "bare watch floor, p50 / p99",
          [...perSize(pair("watch floor p50", "watch floor p99", " ms", 1)), ""],
        ],
        [
          "bare watch floor on the design minimum's sets, p50",
          [
            ...perSize(
              (n) => `${fixed(b(`watch floor on the design minimum's sets p50 (${n} sets)`).value, 1)} ms`,
            ),
            "",
          ],
        ],
        [
          "p50 of: watch / queue+prologue / reads / intent write / DELETE",
          [
            ...perSize(
              (n) =>
                `${parts.map((p) => fixed(b(`breakdown p50: ${p} (${n} sets)`).value, 1)).join(" / ")} ms`,
            ),
            "",
          ],
        ],
        [
          "design minimum, p50 of the same",
          [
            ...perSize(
              (n) =>
                `${parts.map((p) => fixed(b(`design minimum breakdown p50: ${p} (${n} sets)`).value, 1)).join(" / ")} ms`,
            ),
            "",
          ],
        ],
        // Where a p99 is decided: the mean of each side's slowest 2 % of samples, quiet and with the hog.
        ...(
          [
            ["mean of the slowest 2 %: watch / queue+prologue / reads / intent write / DELETE", b, ""],
            ["design minimum, the same", b, "design minimum "],
            ["the same with a CPU hog", h, ""],
            ["design minimum, with a CPU hog", h, "design minimum "],
          ] as const
        ).map(([label, of, side]): [string, string[]] => [
          label,
          [
            ...perSize(
              (n) =>
                `${parts.map((p) => fixed(of(`${side}breakdown slowest 2 %: ${p} (${n} sets)`).value, 1)).join(" / ")} ms`,
            ),
            "",
          ],
        ]),
      ]),
    );
    // Both files' samples resampled for eight moves: seconds of CPU, not a hang.
  }, 120_000);

  it.each([
    ["bench/baseline.json", bench],
    ["bench/baseline-cpu-hog.json", hogged],
  ] as const)(
    "each ratio's interval in %s is the one its kept samples give",
    (_, run) => {
      for (const n of sizes) {
        const samples = run.latencySamples?.[String(n)];
        if (!samples) throw new Error(`no samples at ${n} sets`);
        expect(samples.operator).toHaveLength(run.samples);
        for (const p of [50, 99])
          expect(metric(run.rows, `latency p${p} / design minimum p${p} (${n} sets)`).interval).toEqual(
            percentileRatioInterval(samples, p),
          );
      }
    },
    120_000,
  );

  it("why the cold start's rate misses its target, as the prose under the tables says it", () => {
    const apiServer = b("API server CPU per reconcile (cold start)").value;
    const operator = b("operator CPU per reconcile (cold start)").value;
    const rate = benchTargets(bench.sets).coldStartRate;
    expect(b(`reconciles per second (cold start, ${2 * bench.sets} sets)`).target).toBe(rate.text);
    expect(prose).toContain("is about twice the operator's, and on two");
    expect(prose).toContain("cores it alone leaves no room for 300 a second");
    expect(rate.bound).toBe(300);
    expect(prose).toContain("is missed in both runs");
    for (const run of [bench, hogged])
      expect(metric(run.rows, `reconciles per second (cold start, ${2 * run.sets} sets)`).met).toBe(false);
    // "about twice"
    expect(apiServer / operator).toBeGreaterThan(1.6);
    expect(apiServer / operator).toBeLessThan(2.4);
    // The API server's CPU seconds per second at the target rate exceed the machine's two cores.
    expect((apiServer * rate.bound) / 1000).toBeGreaterThan(2);
  });

  it("the throughput, cost, memory and fairness table", () => {
    const sets = bench.sets;
    const n = bench.memorySets;
    const cold = b(`cold start to Ready (${sets} TRS + ${sets} RIS)`);
    const rate = b(`reconciles per second (cold start, ${2 * sets} sets)`);
    const wholeCount = (name: string): [string, string[]] => [
      name,
      [fixed(b(name).value, 0), verdict([name])],
    ];
    const listCalls = b(
      bench.rows.find((r) => r.metric.startsWith("DCS list calls per 10 s poll"))?.metric ?? "DCS list calls",
    );
    const secrets = /^operator RSS, (\d+) sets, (\d+) unrelated (\d+) KB Secrets$/.exec(
      bench.rows.find((r) => / unrelated \d+ KB Secrets$/.test(r.metric))?.metric ?? "",
    );
    const [, secretSets = "", unrelated = "", kb = ""] = secrets ?? [];
    const added = b("RSS added by the unrelated Secrets");
    const fair = bench.rows.find((r) => r.metric.startsWith("a new set in namespace B to Ready"));
    const restart = `restart, ${2 * sets} converged sets`;
    const restartWrites = `API-server writes per converged set, Events counted (restart, ${2 * sets} sets)`;
    const live = (what: string, size: number) => b(`operator ${what} (${size} live sets)`);
    expectTable(
      table("| metric | value | target |").rows,
      new Map([
        [
          `cold start, ${count(sets)} TRS + ${count(sets)} RIS to Ready`,
          [`${fixed(cold.value, 1)} s, ${fixed(rate.value, 1)} reconciles/s`, verdict([rate.metric])],
        ],
        [
          "operator CPU per reconcile: cold start / restart over converged sets",
          [
            `${fixed(b("operator CPU per reconcile (cold start)").value, 2)} / ${fixed(b(`operator CPU per reconcile (${restart})`).value, 2)} ms`,
            verdict(["operator CPU per reconcile (cold start)", `operator CPU per reconcile (${restart})`]),
          ],
        ],
        [
          "API server CPU per reconcile (cold start)",
          [`${fixed(b("API server CPU per reconcile (cold start)").value, 2)} ms`, ""],
        ],
        [
          "API-server writes per set, Events counted: cold start with one removal each / restart over converged sets",
          [
            `${fixed(b("API-server writes per set, Events counted (cold start with one removal each)").value, 2)} / ${fixed(b(restartWrites).value, 2)}`,
            verdict([restartWrites], " per converged set"),
          ],
        ],
        [
          `DCS list calls per 10 s poll (${count(sets)} RIS, 10 projects)`,
          [fixed(listCalls.value, 1), verdict([listCalls.metric])],
        ],
        wholeCount("batch delete calls for 500 deletions"),
        wholeCount("status writes per steady reconcile"),
        [
          `operator RSS, 1,000 / ${count(n)} live sets`,
          [
            `${fixed(live("RSS", 1000).value, 1)} / ${fixed(live("RSS", n).value, 1)} MiB`,
            verdict([`operator RSS (${n} live sets)`], ` at ${count(n)} sets`),
          ],
        ],
        [
          `operator heap committed / used, ${count(n)} live sets`,
          [`${fixed(live("heap committed", n).value, 1)} / ${fixed(live("heap used", n).value, 1)} MiB`, ""],
        ],
        [
          `operator CPU per polling reconcile, 1,000 / ${count(n)} live sets`,
          [
            `${fixed(live("CPU per polling reconcile", 1000).value, 2)} / ${fixed(live("CPU per polling reconcile", n).value, 2)} ms`,
            "",
          ],
        ],
        [
          `operator RSS, ${secretSets} sets, without / with ${unrelated} unrelated ${kb} KB Secrets`,
          [
            `${fixed(b(`operator RSS, ${secretSets} sets, no unrelated Secrets`).value, 1)} / ${fixed(b(`operator RSS, ${secretSets} sets, ${unrelated} unrelated ${kb} KB Secrets`).value, 1)} MiB (${fixed(added.value, 1)} MiB added)`,
            verdict([added.metric], " MiB added"),
          ],
        ],
        [
          fair?.metric ?? "a new set in namespace B to Ready",
          [
            `${fixed(fair?.value ?? Number.NaN, 2)} / ${fixed(b("  the same, p99").value, 2)} s`,
            verdict([fair?.metric ?? "a new set in namespace B to Ready", "  the same, p99"]),
          ],
        ],
      ]),
    );
    expect(prose).toContain(
      `measures a fresh operator on ${secretSets} sets with and without ${unrelated} unrelated ${kb} KB Secrets`,
    );
  });
});

describe("README: the benchmark knobs' defaults are bench/run.ts's", () => {
  it("each knob with its default", () => {
    const source = read("bench/run.ts");
    const defaults = new Map(
      [...source.matchAll(/process\.env\.(BENCH_[A-Z_]+) \?\? "?([\d_,]+)"?\)?/g)].map((m) => [
        m[1] ?? "",
        (m[2] ?? "").replace(/_/g, ""),
      ]),
    );
    const knobs = /Knobs: (.*?)`BENCH_ONLY=/.exec(prose)?.[1] ?? "";
    const quoted = new Map(
      [...knobs.matchAll(/`(BENCH_[A-Z_]+)` \(([^)]+)\)/g)].map((m) => [m[1] ?? "", m[2] ?? ""]),
    );
    expect(quoted.size).toBeGreaterThan(3);
    expect(Object.fromEntries(quoted)).toEqual(Object.fromEntries(defaults));
  });
});

describe("README: the ownership figures are bench/ownership-baseline.json's", () => {
  it("the ownership table", () => {
    const { head, rows } = table("| ownership at ");
    expect(head[0]).toBe(`ownership at ${count(ownership.sets)} sets`);
    expect(prose).toContain(
      `The cost at ${count(ownership.sets)} sets, from \`bench/ownership-baseline.json\``,
    );
    expect(prose).toContain(`this ${ownership.cores}-core machine`);
    expectTable(
      rows,
      new Map([
        ["index build", [`${fixed(o("index build"), 2)} s, heap +${fixed(o("index heap"), 1)} MiB`]],
        [
          `a Redis reconcile's check over a ${ownership.listing}-instance listing, p50 / p99`,
          [
            `${fixed(o("Redis reconcile ownership check p50"), 2)} / ${fixed(o("Redis reconcile ownership check p99"), 2)} ms`,
          ],
        ],
        ["a tenant lookup", [`${fixed(o("tenant lookup"), 1)} µs`]],
      ]),
    );
  });
});

describe("README: the mutation figures are mutation/baseline.json's", () => {
  const files = Object.entries(mutation.perFile);
  /** Every file a Stryker configuration mutates, in the order of mutation/modules.mjs. */
  const mutated = [...modules.unit, ...modules.integration];

  it("records only files a configuration mutates, each with its configuration and decision mark", () => {
    for (const [file, f] of files) {
      expect(mutated, file).toContain(file);
      expect(modules.integration.includes(file), file).toBe(f.config === "stryker.integration.config.mjs");
      expect(modules.decision.includes(file), file).toBe(f.decision);
    }
  });

  it("each file's figures add up, and its score is computed from them", () => {
    for (const [file, f] of files) {
      const counted = f.killed + f.survived + f.noCoverage + f.timeout + f.compileErrors + f.other;
      expect(counted, file).toBe(f.mutants);
      expect(f.score, file).toBe(scoreOf(f));
      const list = /--mutate (\S+)/.exec(f.command)?.[1]?.split(",") ?? [];
      expect(list, file).toContain(file);
      expect(list.length, file).toBe(f.filesInRun);
    }
  });

  it("every surviving or uncovered mutant is triaged, with a reason", () => {
    for (const [file, f] of files) {
      expect(f.triage.length, file).toBe(f.survived + f.noCoverage);
      const open = f.triage.filter((t) => t.verdict === "untriaged" || t.why.trim() === "");
      expect(open, `${file}: kill these with a test or explain them in mutation/baseline.json`).toEqual([]);
    }
  });

  it("a decision module scores at least 85 %, survivors proven equivalent not held against it", () => {
    const low = files
      .filter(([, f]) => f.decision)
      .map(([file, f]) => {
        const equivalent = f.triage.filter((t) => t.verdict === "equivalent").length;
        return [file, scoreOf({ ...f, killed: f.killed + equivalent, survived: f.survived - equivalent })];
      })
      .filter(([, score]) => typeof score === "number" && score < 85);
    expect(low).toEqual([]);
  });

  it("the per-file table: every mutated file, its figures as recorded, or not recorded yet", () => {
    const expected = new Map<string, string[]>(
      mutated.map((file) => {
        const f = mutation.perFile[file];
        const name = `\`${file.replace(/^src\//, "")}\`${modules.decision.includes(file) ? " *" : ""}`;
        if (!f) return [name, ["not recorded yet", "", "", "", "", "", "", ""]];
        const gaps = f.triage.filter((t) => t.verdict === "gap").length;
        return [
          name,
          [
            String(f.mutants),
            String(f.compileErrors),
            String(f.killed + f.timeout),
            String(f.survived + f.noCoverage),
            `${f.triage.length - gaps} / ${gaps}`,
            f.score === null ? "no code" : pct(f.score),
            f.filesInRun === 1 ? String(f.durationSeconds) : `${f.durationSeconds} (${f.filesInRun} files)`,
            f.date,
          ],
        ];
      }),
    );
    const { head, rows } = table("| file | mutants |");
    expect(head).toEqual([
      "file",
      "mutants",
      "type errors",
      "killed",
      "survived",
      "equivalent / gap",
      "score %",
      "run s",
      "date",
    ]);
    expectTable(rows, expected);
  });

  it("the first run's figures, kept as history", () => {
    expect(prose).toContain(
      `The first run (${count(mutation.firstRun.mutants)} mutants in 11 files, ${Math.round(mutation.firstRun.durationSeconds / 60)} min with two workers) scored ${pct(mutation.firstRun.score)} %`,
    );
  });
});

describe("README: bounds and flags quoted from code and tests", () => {
  it("the disruption records a set keeps are the engine's", () => {
    expect(prose).toContain(`both carry the ${KEPT_DISRUPTIONS} disruption records a set keeps`);
  });

  it("the event spam budget is the recorder's", () => {
    expect(prose).toContain(
      `a burst of ${SPAM_BURST} events is allowed, then one every ${SPAM_REFILL_MS / 60_000} minutes`,
    );
  });

  it("the reply cap and what the bounded-replies test holds it to", () => {
    const test = read("test/providers/bounded-replies.test.ts");
    const bound = /expect\(growthMiB\)\.toBeLessThan\((\d+)\)/.exec(test)?.[1];
    const whole = /reading it whole took the process past (\d+) MiB/.exec(test)?.[1];
    expect(prose).toContain(
      `reply bodies are cut at ${DEFAULT_MAX_REPLY_BYTES / 2 ** 20} MiB while streaming (a 100 MiB reply fails the call and grows the process by less than ${bound} MiB`,
    );
    expect(prose).toContain(`past ${whole} MiB`);
  });

  it("the stories' bounds are the tests'", () => {
    const order = /READY_WITHIN_MS = (\d+)_000;/.exec(read("test/integration/dependency-order.test.ts"))?.[1];
    expect(prose).toContain(`each set Ready within ${order} s of its last object`);
    expect(prose).toContain(`converges within one requeue of the last object arriving`);
    const sets = /const SETS = (\d+);/.exec(read("test/integration/two-replicas.test.ts"))?.[1];
    expect(prose).toContain(`under \`deploy/\`'s identity, ${sets} sets through a connection`);
    expect(read("test/integration/events.test.ts")).toContain("warns once in 30 reconciles");
    expect(prose).toContain("warning once in 30 reconciles");
  });

  it("lists every flag of run and plan, and no other", () => {
    const start = readme.indexOf("`run`'s flags:");
    const planAt = readme.indexOf("`plan`'s:", start);
    const end = readme.indexOf("\n\n", planAt);
    const flags = (text: string) => [...text.matchAll(/--([a-z-]+)/g)].map((m) => m[1]).sort();
    expect(flags(readme.slice(start, planAt))).toEqual(Object.keys(RUN_FLAGS).sort());
    expect(flags(readme.slice(planAt, end))).toEqual(Object.keys(PLAN_FLAGS).sort());
    const importAt = readme.indexOf("`import`'s:", end);
    expect(flags(readme.slice(importAt, readme.indexOf("\n\n", importAt)))).toEqual(
      Object.keys(IMPORT_FLAGS).sort(),
    );
  });
});
