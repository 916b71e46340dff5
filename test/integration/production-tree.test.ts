// The tree the image ships, built the way the Dockerfile builds it: compiled dist/ plus package*.json,
// `npm ci --omit=dev`, nothing else. Run on the Node that runs the tests (24 in CI) against the real API
// server, so a runtime dependency left in devDependencies, or a module that only works through tsx,
// fails here rather than in a cluster. No Docker engine runs in CI, so the image itself is not built.
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { eventually } from "../harness/engine.js";
import { deploymentEnv, imageNodeFlags } from "../harness/image-runtime.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { pausedTenantSet, phaseOf, repoRoot, startOperator } from "../harness/kubectl.js";
import { get, scrape, serviceAccountToken } from "../harness/metrics-scrape.js";
import { removeOnExit } from "../harness/processes.js";
import { RawApi } from "../harness/raw-api.js";

const run = promisify(execFile);
const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
const app = mkdtempSync(join(tmpdir(), "dbfleet-prod-"));
const forget = removeOnExit(app);
const main = join(app, "dist", "src", "cli", "main.js");
let ns = "";

beforeAll(async () => {
  // As the Dockerfile's build stage (`npm run build`, i.e. tsc -p tsconfig.build.json), into the
  // temporary folder so the repository's dist/ is left alone.
  await run(
    process.execPath,
    [
      join(repoRoot, "node_modules", "typescript", "bin", "tsc"),
      "-p",
      "tsconfig.build.json",
      "--outDir",
      join(app, "dist"),
    ],
    {
      cwd: repoRoot,
    },
  );
  for (const file of ["package.json", "package-lock.json"])
    copyFileSync(join(repoRoot, file), join(app, file));
  // As its deps stage. npm from PATH, which CI puts on Node 24 (.ci/run).
  await run("npm", ["ci", "--omit=dev", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: app });
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "prod");
}, 300_000);
afterAll(async () => {
  rmSync(app, { recursive: true, force: true });
  forget();
  await raw.close();
});

describe("the production tree (dist/ + npm ci --omit=dev)", () => {
  it("holds no development dependency", () => {
    expect(existsSync(join(app, "node_modules", "@kubernetes", "client-node"))).toBe(true);
    for (const dev of ["typescript", "tsx", "vitest", "@biomejs/biome"])
      expect(existsSync(join(app, "node_modules", dev)), dev).toBe(false);
  });

  it("the image's Node flags are ones Node refuses in NODE_OPTIONS (so the ENTRYPOINT gives them)", async () => {
    const flags = imageNodeFlags();
    expect(flags.length).toBeGreaterThan(0);
    for (const flag of flags) {
      const refused = await run(process.execPath, ["-e", "0"], {
        env: { ...process.env, NODE_OPTIONS: flag },
      }).then(
        () => "",
        (error: { stderr?: string }) => error.stderr ?? "",
      );
      expect(refused, flag).toContain(`${flag} is not allowed in NODE_OPTIONS`);
    }
  });

  it("prints package.json's version with --version", async () => {
    const { stdout } = await run(process.execPath, [main, "--version"], { cwd: app });
    expect(stdout.trim()).toBe(`dbfleet-operator ${version}`);
  });

  it("runs as the image runs it against the API server: ready, reconciles a set, metrics apart from probes, exits 0 on SIGTERM", async () => {
    await raw.apply(pausedTenantSet(ns, "prod-tree"));
    const token = await serviceAccountToken(raw, ns, "prometheus", true);
    const operator = startOperator(
      [
        "run",
        `--kubeconfig=${kubeconfig}`,
        `--namespace=${ns}`,
        `--lease-namespace=${ns}`,
        "--lease-name=prod-tree",
        "--metrics-port=0",
        "--metrics-host=127.0.0.1",
        "--health-probe-bind-address=127.0.0.1:0",
        "--retry-period=200ms",
      ],
      // As the image runs it: the ENTRYPOINT's Node flags and deploy/'s environment (NODE_OPTIONS): a flag
      // Node refuses would keep the Pod from starting.
      { ...deploymentEnv(), NODE_ENV: "production" },
      main,
      imageNodeFlags(),
    );
    try {
      const { metrics, probes } = await operator.urls();
      expect(metrics).not.toBe(probes);
      await eventually("readyz 200", async () => (await fetch(`${probes}/readyz`)).status === 200, 20_000);
      await eventually(
        "the set Paused",
        async () => (await phaseOf(raw, ns, "prod-tree")) === "Paused",
        20_000,
      );
      expect(metrics).toMatch(/^https:/);
      expect(await scrape(metrics, token)).toContain("workqueue_depth");
      expect((await get(`${metrics}/healthz`)).status).toBe(404);
      expect((await fetch(`${probes}/metrics`)).status).toBe(404);
      expect(await operator.stop()).toBe(0);
    } finally {
      await operator.stop();
    }
  });
});
