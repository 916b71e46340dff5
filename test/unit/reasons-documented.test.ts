// Users, the Argo CD health check and alerts match on reasons: each one is documented in the README.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Reason } from "../../src/api/reasons.js";

const readme = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");

describe("the Reason table", () => {
  it("documents every reason in the README's Reasons table", () => {
    const documented = new Set([...readme.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]));
    for (const reason of Object.values(Reason)) expect(documented, reason).toContain(reason);
  });
});
