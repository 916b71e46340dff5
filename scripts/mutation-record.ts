// Runs Stryker on one file at a time and records the file's figures in mutation/baseline.json `perFile`
// (the shape is `PerFile` below; test/unit/readme-figures.test.ts reads it and checks the README table).
//
//   npx tsx scripts/mutation-record.ts [--integration] [--force] [--no-run] [--together] FILE... [-- STRYKER-ARGS]
//
// --integration: stryker.integration.config.mjs (the slow tests on the real API server) instead of
// stryker.config.mjs. --force: test every mutant again, ignoring the incremental file. --no-run: record
// from the last report without running Stryker (the duration and command are kept from before).
// --together: all the files in one Stryker run (`--mutate a,b,c`): one initial test run instead of one
// per file; each file records the run's wall time and filesInRun.
// Each survivor keeps its triage (matched by line, column, mutator and replacement); a new one is added
// as "untriaged", which the README test refuses: kill it with a test or explain it as "equivalent".
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { z } from "zod";

export const TriageEntry = z.object({
  line: z.int(),
  column: z.int(),
  mutator: z.string(),
  replacement: z.string(),
  /** equivalent: no test can tell it apart; gap: a real gap left open (say why); untriaged: not read yet. */
  verdict: z.enum(["equivalent", "gap", "untriaged"]),
  why: z.string(),
});

export const PerFile = z.object({
  /** Which group of mutation/modules.mjs the file is in (tenantEngine, redisDcs, integration). */
  group: z.string(),
  config: z.enum(["stryker.config.mjs", "stryker.integration.config.mjs"]),
  /** Held to 85 % (mutation/modules.mjs `decision`). */
  decision: z.boolean(),
  /** Every mutant Stryker made in the file, compile errors included. */
  mutants: z.int(),
  killed: z.int(),
  survived: z.int(),
  noCoverage: z.int(),
  timeout: z.int(),
  compileErrors: z.int(),
  /** Runtime errors and ignored mutants: neither counts in the score. */
  other: z.int(),
  /** (killed + timeout) / (killed + timeout + survived + noCoverage) * 100, two decimals; null: no mutant. */
  score: z.number().nullable(),
  /** Wall time of the run that produced the figures; `reused` of the mutants came from the incremental file. */
  durationSeconds: z.number(),
  /** How many files that run mutated (--together): the duration is the whole run's. */
  filesInRun: z.int().default(1),
  reused: z.int(),
  date: z.iso.date(),
  command: z.string(),
  /** One entry per surviving or uncovered mutant. */
  triage: z.array(TriageEntry),
});
export type PerFile = z.infer<typeof PerFile>;

const MutantReport = z.object({
  mutatorName: z.string(),
  replacement: z.string().optional(),
  status: z.string(),
  location: z.object({ start: z.object({ line: z.int(), column: z.int() }) }),
});
const Report = z.object({
  files: z.record(z.string(), z.object({ mutants: z.array(MutantReport) })),
});

const root = join(import.meta.dirname, "..");
const baselinePath = join(root, "mutation/baseline.json");

export function scoreOf(f: Pick<PerFile, "killed" | "timeout" | "survived" | "noCoverage">): number | null {
  const detected = f.killed + f.timeout;
  const valid = detected + f.survived + f.noCoverage;
  return valid === 0 ? null : Math.round((detected / valid) * 10_000) / 100;
}

async function run(command: string[]): Promise<{ seconds: number; reused: number; code: number }> {
  const started = performance.now();
  let out = "";
  const child = spawn(command[0] ?? "npx", command.slice(1), {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  child.stdout.on("data", (chunk: Buffer) => {
    process.stdout.write(chunk);
    out += chunk.toString();
  });
  const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? 1)));
  // Stryker's log line: "Result: 12 of 40 mutant result(s) are reused." (colour codes around the number).
  const plain = stripVTControlCharacters(out);
  const reused = Number(/Result:\s+(\d+) of \d+ mutant result\(s\) are reused/.exec(plain)?.[1] ?? 0);
  return { seconds: Math.round((performance.now() - started) / 1000), reused, code };
}

async function main(): Promise<void> {
  const all = process.argv.slice(2);
  // Arguments after a lone `--` go to Stryker as they are (e.g. `-- --allowEmpty` for a file of types only).
  const dashes = all.indexOf("--");
  const extra = dashes < 0 ? [] : all.slice(dashes + 1);
  const args = dashes < 0 ? all : all.slice(0, dashes);
  const integration = args.includes("--integration");
  const force = args.includes("--force");
  const noRun = args.includes("--no-run");
  const together = args.includes("--together");
  const files = args.filter((a) => !a.startsWith("--"));
  if (files.length === 0)
    throw new Error(
      "usage: mutation-record.ts [--integration] [--force] [--no-run] [--together] FILE... [-- STRYKER-ARGS]",
    );
  const modules = (await import(join(root, "mutation/modules.mjs"))) as Record<string, string[]>;
  const config = integration ? "stryker.integration.config.mjs" : "stryker.config.mjs";
  const { default: options } = (await import(join(root, config))) as {
    default: { jsonReporter: { fileName: string } };
  };
  const group = (file: string) =>
    Object.entries(modules).find(
      ([name, list]) => !["unit", "decision"].includes(name) && list.includes(file),
    )?.[0];

  // --together: one Stryker run for all the files (one initial test run instead of one per file); each
  // file then records the run's whole wall time, with filesInRun saying how many shared it.
  const batches = together ? [files] : files.map((f) => [f]);
  for (const batch of batches) {
    const strykerArgs = [
      "stryker",
      "run",
      config,
      "--mutate",
      batch.join(","),
      ...(force ? ["--force"] : []),
      ...extra,
    ];
    const narrowed = process.env.MUTATION_TESTS ? `MUTATION_TESTS=${process.env.MUTATION_TESTS} ` : "";
    const slot = process.env.MUTATION_SLOT ? `MUTATION_SLOT=${process.env.MUTATION_SLOT} ` : "";
    const command = `${slot}${narrowed}npx ${strykerArgs.join(" ")}`;
    let timing: { seconds: number; reused: number } | undefined;
    if (!noRun) {
      // A run that mutates nothing (a file of types only) writes no report: no stale one may stand in for it.
      rmSync(join(root, options.jsonReporter.fileName), { force: true });
      const result = await run(["npx", ...strykerArgs]);
      if (result.code !== 0) throw new Error(`${command} exited ${result.code}`);
      timing = result;
    }
    for (const file of batch) record(file, command, timing, batch.length);
  }

  function record(
    file: string,
    command: string,
    timing: { seconds: number; reused: number } | undefined,
    filesInRun: number,
  ): void {
    const groupName = group(file);
    if (!groupName) throw new Error(`${file} is in no group of mutation/modules.mjs`);
    const baseline = JSON.parse(readFileSync(baselinePath, "utf8")) as { perFile?: Record<string, unknown> };
    const before = baseline.perFile?.[file] ? PerFile.parse(baseline.perFile[file]) : undefined;
    const reportPath = join(root, options.jsonReporter.fileName);
    const report = existsSync(reportPath)
      ? Report.parse(JSON.parse(readFileSync(reportPath, "utf8")))
      : { files: {} };
    const mutants = report.files[file]?.mutants ?? [];
    const count = (status: string) => mutants.filter((m) => m.status === status).length;
    const figures = {
      killed: count("Killed"),
      survived: count("Survived"),
      noCoverage: count("NoCoverage"),
      timeout: count("Timeout"),
      compileErrors: count("CompileError"),
    };
    const known = new Map(
      (before?.triage ?? []).map((t) => [`${t.line}:${t.column}:${t.mutator}:${t.replacement}`, t]),
    );
    const triage = mutants
      .filter((m) => m.status === "Survived" || m.status === "NoCoverage")
      .map((m) => {
        const at = { line: m.location.start.line, column: m.location.start.column };
        const replacement = m.replacement ?? m.mutatorName;
        const key = `${at.line}:${at.column}:${m.mutatorName}:${replacement}`;
        return (
          known.get(key) ?? {
            ...at,
            mutator: m.mutatorName,
            replacement,
            verdict: "untriaged" as const,
            why: "",
          }
        );
      })
      .sort((a, b) => a.line - b.line || a.column - b.column);
    const entry: PerFile = {
      group: groupName,
      config,
      decision: (modules.decision ?? []).includes(file),
      mutants: mutants.length,
      ...figures,
      other: mutants.length - Object.values(figures).reduce((a, b) => a + b, 0),
      score: scoreOf(figures),
      durationSeconds: timing?.seconds ?? before?.durationSeconds ?? 0,
      filesInRun: timing ? filesInRun : (before?.filesInRun ?? 1),
      reused: timing?.reused ?? before?.reused ?? 0,
      date: !timing && before ? before.date : new Date().toISOString().slice(0, 10),
      command: !timing && before ? before.command : command,
      triage,
    };
    // Re-read: another file's run may have been recorded meanwhile.
    const latest = JSON.parse(readFileSync(baselinePath, "utf8")) as { perFile?: Record<string, unknown> };
    latest.perFile = Object.fromEntries(
      Object.entries({ ...latest.perFile, [file]: PerFile.parse(entry) }).sort(([a], [b]) =>
        a.localeCompare(b),
      ),
    );
    writeFileSync(baselinePath, `${JSON.stringify(latest, null, 2)}\n`);
    // In the repository's JSON style, so `npm run lint` stays clean after a recording.
    execFileSync("npx", ["biome", "format", "--write", baselinePath], { cwd: root, stdio: "ignore" });
    const open = triage.filter((t) => t.verdict === "untriaged").length;
    console.log(
      `${file}: ${entry.score ?? "no mutant"} % (${figures.killed} killed, ${figures.survived} survived, ${figures.noCoverage} no coverage, ${open} untriaged), ${entry.durationSeconds} s`,
    );
  }
}

if (process.argv[1] === import.meta.filename) await main();
