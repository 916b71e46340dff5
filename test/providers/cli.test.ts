// The command line as a user meets it, run as a process: help, version, exit codes, manifest errors
// that name the place, and a one-line, backed-off complaint about an unreachable API server.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadAll } from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { IMPORT_FLAGS } from "../../src/cli/import-flags.js";
import { PLAN_FLAGS } from "../../src/cli/plan-flags.js";
import { RUN_FLAGS } from "../../src/cli/run.js";
import { eventually } from "../harness/engine.js";

const repoRoot = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "dbfleet-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(args: string[]): { child: ChildProcess; output: () => { out: string; err: string } } {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(repoRoot, "src", "cli", "main.ts"), ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, KUBECONFIG: "" },
    },
  );
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  return { child, output: () => ({ out, err }) };
}

async function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const { child, output } = start(args);
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  return { code, ...output() };
}

/** The flags deploy/ passes to the container (`--name=value` or `--name`). */
function deployFlags(): string[] {
  const docs = loadAll(
    readFileSync(join(repoRoot, "deploy", "operator", "manager", "deployment.yaml"), "utf8"),
  ) as {
    spec?: { template?: { spec?: { containers?: { args?: string[] }[] } } };
  }[];
  return docs
    .flatMap((d) => d?.spec?.template?.spec?.containers ?? [])
    .flatMap((c) => c.args ?? [])
    .filter((a) => a.startsWith("--"))
    .map((a) => a.replace(/=.*$/, ""));
}

describe("dbfleet-operator command line", () => {
  for (const args of [
    ["--help"],
    ["-h"],
    ["help"],
    ["run", "--help"],
    ["run", "-h"],
    ["plan", "--help"],
    ["plan", "-h"],
  ])
    it(`${args.join(" ")} prints the usage on stdout and exits 0`, async () => {
      const { code, out } = await cli(args);
      expect(code).toBe(0);
      expect(out).toMatch(/^usage: dbfleet-operator/);
    });

  it("run's usage lists every flag it accepts, among them every flag deploy/ passes", async () => {
    const { out } = await cli(["run", "--help"]);
    const used = deployFlags();
    expect(used.length).toBeGreaterThan(0);
    for (const flag of [...Object.keys(RUN_FLAGS).map((f) => `--${f}`), ...used])
      expect(out).toContain(`${flag} `);
    for (const flag of used) expect(Object.keys(RUN_FLAGS)).toContain(flag.slice(2));
  });

  it("plan's usage lists every flag with its short form and the exit codes", async () => {
    const { out } = await cli(["plan", "--help"]);
    for (const flag of Object.keys(PLAN_FLAGS)) expect(out).toContain(`--${flag} `);
    expect(out).toContain("-f, --filename");
    expect(out).toContain("-o, --output");
    expect(out).toMatch(/exit status:\n\s+0 .*\n\s+2 .*\n\s+3 .*\n\s+1 .*\n\s+64 /s);
  });

  it("import's usage lists every flag and its exit codes, in plan's order with its own 4", async () => {
    const { code, out } = await cli(["import", "--help"]);
    expect(code).toBe(0);
    for (const flag of Object.keys(IMPORT_FLAGS)) expect(out).toContain(`--${flag} `);
    expect(out).toMatch(/exit status:\n\s+0 .*\n\s+2 .*\n\s+3 .*\n\s+4 .*\n\s+1 .*\n\s+64 /s);
  });

  it("import without a cluster, or with neither --connection nor --check, exits 64 saying so", async () => {
    const noCluster = await cli(["import", "--connection", "DatabaseConnection/shop/obshell"]);
    expect(noCluster.code).toBe(64);
    expect(noCluster.err).toContain("give --kubeconfig or set KUBECONFIG");
    const nothing = await cli(["import"]);
    expect(nothing.code).toBe(64);
    expect(nothing.err).toContain("give --connection");
  });

  it("--version prints the package version", async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
    const { code, out } = await cli(["--version"]);
    expect(code).toBe(0);
    expect(out.trim()).toBe(`dbfleet-operator ${pkg.version}`);
  });

  it("a bad flag or an unknown command exits 64 naming it", async () => {
    const bad = await cli(["plan", "-f", "x.yaml", "-o", "yaml"]);
    expect(bad.code).toBe(64);
    expect(bad.err).toContain("--output: must be table, json or markdown");
    const unknown = await cli(["deploy"]);
    expect(unknown.code).toBe(64);
    expect(unknown.err).toContain('unknown command "deploy"');
  });

  it("plan -f with a manifest that fails validation exits 1 naming the file, the document and the field", async () => {
    const file = join(dir, "invalid.yaml");
    writeFileSync(
      file,
      [
        "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: unrelated }\n",
        "apiVersion: dbfleet.io/v1alpha1\nkind: TenantReplicaSet\nmetadata: { name: orders }\nspec:\n" +
          "  obshell: { endpoint: http://127.0.0.1:1, credentialsSecretRef: { name: o } }\n" +
          "  tenant: orders\n  zones: [z1, z1]\n",
      ].join("---\n"),
    );
    const { code, err } = await cli(["plan", "-f", file]);
    expect(code).toBe(1);
    expect(err.trim()).toBe(
      `dbfleet-operator plan: ${file} (document 2, TenantReplicaSet): spec.zones: zones must not repeat`,
    );
  });

  it("plan -f with a YAML syntax error exits 1 naming the file and the line", async () => {
    const file = join(dir, "syntax.yaml");
    writeFileSync(
      file,
      "apiVersion: dbfleet.io/v1alpha1\nkind: TenantReplicaSet\nmetadata:\n  name: orders\n   tenant: x\n",
    );
    const { code, err } = await cli(["plan", "-f", file]);
    expect(code).toBe(1);
    expect(err).toMatch(new RegExp(`^dbfleet-operator plan: ${file}:5:\\d+: YAML syntax error: `));
    expect(err.trim().split("\n")).toHaveLength(1);
  });

  it("run --context naming no context of the kubeconfig exits 1 with one line naming it", async () => {
    const kubeconfig = join(dir, "contexts.yaml");
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:1" } }],
        contexts: [{ name: "x", context: { cluster: "c" } }],
        "current-context": "x",
      }),
    );
    const { code, err } = await cli([
      "run",
      `--kubeconfig=${kubeconfig}`,
      "--context=nope",
      "--metrics-port=0",
    ]);
    expect(code).toBe(1);
    expect(err.trim()).toBe(
      `dbfleet-operator run: error: kubeconfig ${kubeconfig}: context "nope" not found`,
    );
  });

  it("run against an unreachable API server logs one line per try, without a stack, backing off", async () => {
    const kubeconfig = join(dir, "unreachable.yaml");
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:1" } }],
        users: [{ name: "u", user: { token: "t" } }],
        contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
        "current-context": "x",
      }),
    );
    const { child, output } = start([
      "run",
      `--kubeconfig=${kubeconfig}`,
      "--namespace=cli",
      "--leader-elect=false",
      "--metrics-port=0",
      "--metrics-host=127.0.0.1",
    ]);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    const failures = () =>
      output()
        .out.split("\n")
        .filter((l) => l.includes('"resource":"tenantreplicasets"') && l.includes("list/watch failed"))
        .map((l) => JSON.parse(l) as { error: string; code: string; retryInMs: number; stack?: unknown });
    try {
      await eventually("four failed tries", () => failures().length >= 4, 20_000);
      const tries = failures();
      for (const t of tries) {
        expect(t.code).toBe("ECONNREFUSED");
        expect(t.error).toContain("127.0.0.1:1");
      }
      expect(output().out).not.toContain("stack");
      expect(output().out).not.toContain("    at ");
      const delays = tries.map((t) => t.retryInMs);
      expect(delays.slice(0, 4)).toEqual([200, 400, 800, 1600]);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
