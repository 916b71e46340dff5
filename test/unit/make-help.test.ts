// `make help` (the default goal) lists every .PHONY target that carries a `## ` comment, with that comment:
// its grep once missed `e2e-kind` because its pattern allowed no digits.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const makefile = readFileSync(join(root, "Makefile"), "utf8");

const phony = new Set(
  [...makefile.matchAll(/^\.PHONY:(.*)$/gm)].flatMap((m) => (m[1] ?? "").trim().split(/\s+/)),
);
/** target -> its `## ` comment, for the .PHONY targets that have one. */
const documented = new Map(
  [...makefile.matchAll(/^([^\s:#=]+):[^=\n]*?## (.*)$/gm)]
    .filter((m) => phony.has(m[1] ?? ""))
    .map((m) => [m[1] ?? "", (m[2] ?? "").trim()]),
);

function makeHelp(): Map<string, string> {
  // Outside a parent make's flags (make test runs vitest), which would add "Entering directory" lines.
  const env = { ...process.env };
  delete env.MAKEFLAGS;
  delete env.MAKELEVEL;
  delete env.MFLAGS;
  const out = execFileSync("make", ["-s", "--no-print-directory", "help"], {
    cwd: root,
    env,
    encoding: "utf8",
  });
  return new Map(
    out
      .split("\n")
      .map((line) => /^ {2}(\S+)\s+(.*)$/.exec(line))
      .filter((m) => m !== null)
      .map((m) => [m[1] ?? "", (m[2] ?? "").trim()]),
  );
}

describe("make help", () => {
  it("finds the documented targets in the Makefile, digits in names included", () => {
    expect(documented.size).toBeGreaterThan(10);
    expect(documented.has("e2e-kind")).toBe(true);
  });

  it("lists every documented .PHONY target with its comment, and nothing else", () => {
    const listed = makeHelp();
    expect(Object.fromEntries(listed)).toEqual(Object.fromEntries(documented));
  });

  it("is the default goal", () => {
    expect(/^\.DEFAULT_GOAL := help$/m.test(makefile)).toBe(true);
  });
});
