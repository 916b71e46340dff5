// Running the README's commands as a user would: its fenced blocks read by their first line, this
// checkout's `dbfleet-operator` on the PATH (as `npm install --global` would put it there), and bash as
// CI systems run it (`-eo pipefail`).
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./kubectl.js";

/** The fenced `lang` block of README.md whose first line is `# <name>`. */
export function readmeBlock(lang: "sh" | "yaml", name: string): string {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const block = [...readme.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, "g"))]
    .map((m) => m[1] ?? "")
    .find((b) => b.startsWith(`# ${name}\n`));
  if (!block) throw new Error(`README.md has no ${lang} block starting with "# ${name}"`);
  return block;
}

/** A bin folder under `dir` holding `dbfleet-operator`, which runs this checkout's CLI. */
export function installCliShim(dir: string): string {
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  const shim = join(bin, "dbfleet-operator");
  writeFileSync(
    shim,
    `#!/bin/sh\nexec "${process.execPath}" --import "${join(repoRoot, "node_modules", "tsx", "dist", "loader.mjs")}" "${join(repoRoot, "src", "cli", "main.ts")}" "$@"\n`,
  );
  chmodSync(shim, 0o755);
  return bin;
}

/** `script` in `bash -eo pipefail` with `bin` first on the PATH; stdout and stderr together. */
export function runBash(
  script: string,
  options: { cwd: string; env: Record<string, string>; bin: string },
): Promise<{ code: number | null; out: string }> {
  const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, PATH: `${options.bin}:${process.env.PATH}` },
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, out })));
}
