// docs/architecture.md answers "where is it?" in one hop: every source file it names must exist, under
// src/ (paths are written from src/ or from src/reconcilers/), test/, docs/ or the repository's root.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const doc = readFileSync(join(root, "docs", "architecture.md"), "utf8");
const named = [...new Set([...doc.matchAll(/`([\w./-]+\.(?:ts|md|yaml|json))`/g)].map((m) => m[1] ?? ""))];
const homes = ["src", join("src", "reconcilers"), "docs", "test", ""];

describe("docs/architecture.md", () => {
  it("names files", () => {
    expect(named.length).toBeGreaterThan(25);
  });
  it.each(named)("%s exists", (file) => {
    expect(homes.some((home) => existsSync(join(root, home, file)))).toBe(true);
  });
});
