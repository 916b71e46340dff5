// docs/safety-matrix.md lists, per rule of the README's safety model, its table case, its story and its chaos
// invariant. Read here so it cannot rot: every test it names exists under that exact title, every chaos
// invariant is a violation message of test/chaos/chaos.test.ts, every cell names a test or says `missing`,
// and every rule of the README's per-set table and fleet rules has a row.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const read = (path: string) => readFileSync(join(root, path), "utf8");
const readme = read("README.md");
const matrix = read(join("docs", "safety-matrix.md"));
const chaos = read(join("test", "chaos", "chaos.test.ts"));

const HEADER = "| # | rule | README | table case | story | chaos invariant | notes |";
interface Row {
  n: string;
  rule: string;
  readme: string;
  table: string;
  story: string;
  chaos: string;
}

function rows(): Row[] {
  const lines = matrix.split("\n");
  const start = lines.indexOf(HEADER);
  if (start < 0) throw new Error(`docs/safety-matrix.md has no table headed "${HEADER}"`);
  const out: Row[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    const cells = line
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
    // A "|" inside a cell would shift every column after it.
    if (cells.length !== 7) throw new Error(`a row of ${cells.length} cells, not 7: ${line.slice(0, 120)}`);
    const [n = "", rule = "", readmeRule = "", table = "", story = "", chaosCell = ""] = cells;
    out.push({ n, rule, readme: readmeRule, table, story, chaos: chaosCell });
  }
  return out;
}
const matrixRows = rows();

/** A cell that names no test says so: `missing`, maybe followed by why. */
const isMissing = (cell: string) => /^missing\b/.test(cell);
const parts = (cell: string) => cell.split("<br>").map((p) => p.trim());
const ENTRY = /^`(test\/[\w./-]+\.test\.ts)` "([^"]+)"$/;

/** The title as a string literal of the file, in any of the three quotes: not a prefix of a longer one. */
function hasTitle(source: string, title: string): boolean {
  return ['"', "'", "`"].some((q) => source.includes(`${q}${title}${q}`));
}

/** Each cell's tests, checked: the file is under one of `dirs` and holds that exact title. */
function checkTests(cell: string, dirs: string[]): string[] {
  if (isMissing(cell)) return [];
  const problems: string[] = [];
  for (const part of parts(cell)) {
    const m = ENTRY.exec(part);
    if (!m) {
      problems.push(`not \`file\` "title": ${part}`);
      continue;
    }
    const [, file = "", title = ""] = m;
    if (!dirs.some((d) => file.startsWith(`${d}/`)))
      problems.push(`${file} is not under ${dirs.join(" or ")}`);
    else if (!existsSync(join(root, file))) problems.push(`${file} does not exist`);
    else if (!hasTitle(read(file), title)) problems.push(`${file} has no test titled "${title}"`);
  }
  return problems;
}

/** The README's per-set rules: the first cells of the table headed "| rule | how it is enforced | limits |". */
function perSetRules(): string[] {
  const lines = readme.split("\n");
  const start = lines.findIndex((l) => l.startsWith("| rule | how it is enforced | limits |"));
  if (start < 0) throw new Error("README has no per-set safety table");
  const out: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    out.push(line.split("|")[1]?.trim() ?? "");
  }
  return out;
}

/** The README's fleet rules: the bold sentence each paragraph of "### Fleet rules" opens with. */
function fleetRules(): string[] {
  const from = readme.indexOf("### Fleet rules");
  const to = readme.indexOf("\n## ", from);
  if (from < 0 || to < 0) throw new Error("README has no Fleet rules section");
  return [...readme.slice(from, to).matchAll(/^\*\*([^*]+)\*\*/gm)].map((m) => m[1] ?? "");
}

describe("docs/safety-matrix.md", () => {
  it("has a row per rule, numbered in order", () => {
    expect(matrixRows.length).toBeGreaterThan(30);
    expect(matrixRows.map((r) => r.n)).toEqual(matrixRows.map((_, i) => String(i + 1)));
    for (const r of matrixRows) expect(r.rule, `row ${r.n}`).not.toBe("");
  });

  it("names every rule of the README's per-set table and fleet rules in some row", () => {
    const named = new Set(matrixRows.map((r) => r.readme));
    const rules = [...perSetRules(), ...fleetRules()];
    expect(rules.length).toBeGreaterThan(15);
    for (const rule of rules) expect(named, `no row for the README rule "${rule}"`).toContain(rule);
  });

  it("names only rules the README states", () => {
    const known = new Set([...perSetRules(), ...fleetRules()]);
    for (const r of matrixRows) {
      const security = /^Security model: (.+)$/.exec(r.readme)?.[1];
      const reason = /^Reasons: (\w+)$/.exec(r.readme)?.[1];
      if (security) expect(readme, `row ${r.n}`).toContain(`| ${security} |`);
      else if (reason) expect(readme, `row ${r.n}`).toContain(`| \`${reason}\` |`);
      else expect(known, `row ${r.n}: "${r.readme}" is not a README rule`).toContain(r.readme);
    }
  });

  it("fills every cell with tests or says missing", () => {
    for (const r of matrixRows)
      for (const [column, cell] of [
        ["table case", r.table],
        ["story", r.story],
        ["chaos invariant", r.chaos],
      ])
        expect(cell, `row ${r.n} (${r.rule}): ${column}`).not.toBe("");
  });

  it("names table cases that exist under those titles in test/unit or test/providers", () => {
    const problems = matrixRows.flatMap((r) =>
      checkTests(r.table, ["test/unit", "test/providers"]).map((p) => `row ${r.n}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  it("names stories that exist under those titles in test/integration", () => {
    const problems = matrixRows.flatMap((r) =>
      checkTests(r.story, ["test/integration"]).map((p) => `row ${r.n}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  it("quotes chaos invariants as test/chaos/chaos.test.ts writes their violation messages", () => {
    const problems: string[] = [];
    for (const r of matrixRows) {
      if (isMissing(r.chaos)) continue;
      for (const part of parts(r.chaos)) {
        const quoted = /^`([^`]+)`$/.exec(part)?.[1];
        if (!quoted) problems.push(`row ${r.n}: not one \`message\`: ${part}`);
        else if (!chaos.includes(quoted)) problems.push(`row ${r.n}: chaos.test.ts never says "${quoted}"`);
      }
    }
    expect(problems).toEqual([]);
  });
});
