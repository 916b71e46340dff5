// One version, package.json's: the image tag and its OCI version label (Makefile) and --version.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { operatorVersion } from "../../src/cli/version.js";

const root = join(import.meta.dirname, "..", "..");
const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };

describe("the release version", () => {
  it("tags and labels the image `make image` builds", () => {
    const command = execFileSync("make", ["-s", "-n", "image"], { cwd: root, encoding: "utf8" });
    expect(command).toContain(`--build-arg VERSION=${version} `);
    expect(command).toMatch(/--build-arg REVISION=\S+ /);
    expect(command).toContain(`-t dbfleet-operator:${version} `);
  });

  it("is what --version prints, from src/ as from dist/", () => {
    expect(operatorVersion()).toBe(version);
    expect(operatorVersion(join(root, "dist", "src", "cli"))).toBe(version);
  });
});
