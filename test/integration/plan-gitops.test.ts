// The README's GitOps CI snippets, run: their commands (not the CI systems) against the test API server
// and the obshell simulator. The GitHub job's `run:` steps each in `bash -eo pipefail` (GitHub's default
// shell) with their `env:` expressions filled in; the GitLab job's `script:` lines in one shell with its
// variables, posting the note with the real curl to a local stand-in for the GitLab API. Install steps
// and `uses:` actions are not run: `dbfleet-operator` on the PATH is this checkout's.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump, load } from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import { MARKDOWN_MARKER } from "../../src/cli/plan-markdown.js";
import { connectionRef, obshellConnection } from "../harness/connections.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { RawApi } from "../harness/raw-api.js";
import { installCliShim, readmeBlock, runBash } from "../harness/readme-shell.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";

// Its own tenant name: `plan` reads the whole cluster, and a set of another test file naming the same
// tenant on a cluster never learned would hold this plan (RemoteUnidentified), as it should.
const TENANT = "gitops_orders";
const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const PASSWORD = "plan-gitops-root";
let ns = "";
let dir = "";
let bin = "";
/** The CI identity's kubeconfig: the harness's operator identity (deploy/'s ClusterRole), not an admin. */
let ciKubeconfig = "";
let obshell: ObshellSimulator;

/** The fenced yaml block of README.md whose first line is `# <file>`, parsed. */
const snippet = (file: string): unknown => load(readmeBlock("yaml", file));

const githubWorkflow = z.object({
  jobs: z.object({
    plan: z.object({
      steps: z.array(
        z.object({
          name: z.string().optional(),
          id: z.string().optional(),
          uses: z.string().optional(),
          with: z.record(z.string(), z.unknown()).optional(),
          env: z.record(z.string(), z.string()).optional(),
          run: z.string().optional(),
        }),
      ),
    }),
  }),
});

const gitlabJob = z.object({
  "dbfleet-plan": z.object({
    variables: z.record(z.string(), z.string()),
    before_script: z.array(z.string()),
    script: z.array(z.string()),
  }),
});

const bash = (script: string, cwd: string, env: Record<string, string>) => runBash(script, { cwd, env, bin });

/** A GitOps repository whose clusters/prod holds one set naming `connection` and keeping `zones`. */
function repository(zones: string[], connection: string): string {
  const repo = mkdtempSync(join(dir, "repo-"));
  const prod = join(repo, "clusters", "prod");
  mkdirSync(prod, { recursive: true });
  writeFileSync(join(prod, "kustomization.yaml"), dump({ namespace: ns, resources: ["orders.yaml"] }));
  writeFileSync(
    join(prod, "orders.yaml"),
    dump({
      apiVersion: "dbfleet.io/v1alpha1",
      kind: "TenantReplicaSet",
      metadata: { name: "orders" },
      spec: { ...connectionRef(connection), tenant: TENANT, zones },
    }),
  );
  return repo;
}

const pullRequests = [
  {
    name: "removes a zone",
    zones: ["z1", "z2"],
    connection: "obshell",
    passes: true,
    shows: /Would remove replica zones z3/,
  },
  {
    name: "changes nothing",
    zones: ["z1", "z2", "z3"],
    connection: "obshell",
    passes: true,
    shows: /nothing would change/,
  },
  {
    name: "names a connection that does not exist",
    zones: ["z1", "z2"],
    connection: "missing",
    passes: false,
    shows: /ConnectionNotFound/,
  },
  {
    name: "is not a valid set",
    zones: [],
    connection: "obshell",
    passes: false,
    shows: /plan failed \(exit 1\): .*spec\.zones/,
  },
];

/** GitHub's job: run steps in order, as the runner would, with `${{ }}` expressions from `context`. */
async function runGithubJob(repo: string): Promise<{ passed: boolean; comment: string; log: string }> {
  const workflow = githubWorkflow.parse(snippet(".github/workflows/dbfleet-plan.yaml"));
  const runnerTemp = mkdtempSync(join(dir, "runner-"));
  const outputs: Record<string, Record<string, string>> = {};
  const context: Record<string, string> = {
    "secrets.DBFLEET_PLAN_KUBECONFIG": readFileSync(ciKubeconfig, "utf8"),
    "vars.DBFLEET_ALLOWED_ENDPOINTS": "127.0.0.1",
  };
  const expression = (text: string) =>
    text.replace(/\$\{\{\s*([\w.]+)\s*\}\}/g, (_, name: string) => {
      const step = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(name);
      const value = step ? outputs[step[1] ?? ""]?.[step[2] ?? ""] : context[name];
      if (value === undefined) throw new Error(`the test has no value for \${{ ${name} }}`);
      return value;
    });
  let comment = "";
  let log = "";
  for (const step of workflow.jobs.plan.steps) {
    if (step.name === "Install dbfleet-operator") continue;
    if (step.uses) {
      // The sticky-comment action posts the file the plan step wrote.
      if (step.uses.startsWith("marocchino/sticky-pull-request-comment@"))
        comment = readFileSync(join(repo, String(step.with?.path)), "utf8");
      continue;
    }
    const outputFile = join(runnerTemp, `output-${step.id ?? "step"}`);
    writeFileSync(outputFile, "");
    const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expression(v)]));
    const result = await bash(step.run ?? "", repo, {
      ...env,
      RUNNER_TEMP: runnerTemp,
      GITHUB_OUTPUT: outputFile,
    });
    log += result.out;
    if (step.id)
      outputs[step.id] = Object.fromEntries(
        readFileSync(outputFile, "utf8")
          .split("\n")
          .filter((l) => l.includes("="))
          .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
      );
    if (result.code !== 0) return { passed: false, comment, log };
  }
  return { passed: true, comment, log };
}

/** A stand-in for GitLab's notes API: records each POST. */
class FakeGitLab {
  readonly notes: { path: string; token: string | undefined; body: string }[] = [];
  private readonly server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      const token = req.headers["private-token"];
      this.notes.push({
        path: req.url ?? "",
        token: typeof token === "string" ? token : undefined,
        body: new URLSearchParams(body).get("body") ?? "",
      });
      res.writeHead(201, { "content-type": "application/json" }).end("{}");
    });
  });
  url = "";
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/v4`;
  }
  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function runGitlabJob(repo: string, gitlab: FakeGitLab): Promise<{ passed: boolean; log: string }> {
  const job = gitlabJob.parse(snippet(".gitlab-ci.yml"))["dbfleet-plan"];
  const predefined: Record<string, string> = {
    DBFLEET_PLAN_KUBECONFIG: ciKubeconfig,
    DBFLEET_ALLOWED_ENDPOINTS: "127.0.0.1",
    DBFLEET_PLAN_GITLAB_TOKEN: "glpat-test",
    CI_API_V4_URL: gitlab.url,
    CI_PROJECT_ID: "42",
    CI_MERGE_REQUEST_IID: "7",
  };
  // Job variables may name CI/CD variables ($NAME), as GitLab expands them.
  const variables = Object.fromEntries(
    Object.entries(job.variables).map(([k, v]) => [
      k,
      v.replace(/\$(\w+)/g, (_, n: string) => predefined[n] ?? ""),
    ]),
  );
  const result = await bash(job.script.join("\n"), repo, { ...predefined, ...variables });
  return { passed: result.code === 0, log: result.out };
}

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "plangitops");
  dir = mkdtempSync(join(tmpdir(), "dbfleet-plangitops-"));
  obshell = new ObshellSimulator({
    password: PASSWORD,
    seed: {
      zones: ["z1", "z2", "z3"].map((name) => ({ name, region: "hz" })),
      tenants: [{ name: TENANT, zones: ["z1", "z2", "z3"] }],
    },
  });
  await obshell.start();
  await raw.apply(obshellConnection({ namespace: ns, name: "obshell" }, obshell.url));
  await raw.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "obshell", namespace: ns },
    stringData: { password: PASSWORD },
  });
  const config = JSON.parse(readFileSync(kubeconfig, "utf8")) as Record<string, unknown>;
  ciKubeconfig = join(dir, "ci-kubeconfig");
  writeFileSync(ciKubeconfig, dump({ ...config, "current-context": "operator" }));
  // `dbfleet-operator` as `npm install --global` would put it on the PATH, from this checkout.
  bin = installCliShim(dir);
}, 60_000);

afterAll(async () => {
  await obshell?.stop();
  await raw.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the README's CI jobs, run against the cluster", () => {
  it.each(pullRequests)(
    "GitHub Actions: a pull request that $name",
    async (pr) => {
      const { passed, comment, log } = await runGithubJob(repository(pr.zones, pr.connection));
      expect(comment.split("\n")[0], log).toBe(MARKDOWN_MARKER);
      expect(comment).toMatch(pr.shows);
      expect(passed, log).toBe(pr.passes);
    },
    60_000,
  );

  it.each(pullRequests)(
    "GitLab CI: a merge request that $name",
    async (pr) => {
      const gitlab = new FakeGitLab();
      await gitlab.start();
      try {
        const { passed, log } = await runGitlabJob(repository(pr.zones, pr.connection), gitlab);
        expect(gitlab.notes, log).toHaveLength(1);
        expect(gitlab.notes[0]).toMatchObject({
          path: "/api/v4/projects/42/merge_requests/7/notes",
          token: "glpat-test",
        });
        expect(gitlab.notes[0]?.body.split("\n")[0]).toBe(MARKDOWN_MARKER);
        expect(gitlab.notes[0]?.body).toMatch(pr.shows);
        expect(passed, log).toBe(pr.passes);
      } finally {
        await gitlab.stop();
      }
    },
    60_000,
  );

  it("no pull request made the simulator change anything", () => {
    expect(obshell.log.filter((e) => e.method !== "GET")).toEqual([]);
  });
});
