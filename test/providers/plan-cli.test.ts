// `dbfleet-operator plan` against the simulators, without a cluster: the same planner the controller runs,
// read-only. Without a cluster only inline connections exist, so these runs pass --allow-inline-connections.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump } from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PlanRow, plan } from "../../src/cli/plan.js";
import { PlanExit } from "../../src/cli/plan-flags.js";
import { MARKDOWN_MARKER } from "../../src/cli/plan-markdown.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";
import { DEMO_PROJECT, demoDcsSeed, demoObshellSeed } from "../simulators/seed.js";

const INLINE = "--allow-inline-connections=true";
const repoRoot = join(import.meta.dirname, "..", "..");
let obshell: ObshellSimulator;
let dcs: DcsSimulator;
let dir: string;

beforeAll(async () => {
  obshell = new ObshellSimulator({ password: "pw-plan", seed: demoObshellSeed });
  await obshell.start();
  dcs = new DcsSimulator({
    credentials: [{ accessKey: "AKPLAN", secretKey: "SKPLAN" }],
    projects: demoDcsSeed(),
  });
  await dcs.start();
  process.env.OBSHELL_PASSWORD = "pw-plan";
  process.env.DCS_ACCESS_KEY = "AKPLAN";
  process.env.DCS_SECRET_KEY = "SKPLAN";
  dir = mkdtempSync(join(tmpdir(), "dbfleet-plan-"));
});
afterAll(async () => {
  await obshell.stop();
  await dcs.stop();
  rmSync(dir, { recursive: true, force: true });
  delete process.env.OBSHELL_PASSWORD;
  delete process.env.DCS_ACCESS_KEY;
  delete process.env.DCS_SECRET_KEY;
});

function write(name: string, docs: unknown[]): string {
  const file = join(dir, name);
  writeFileSync(file, docs.map((d) => dump(d)).join("---\n"));
  return file;
}

const trs = (zones: string[]) => ({
  apiVersion: "dbfleet.io/v1alpha1",
  kind: "TenantReplicaSet",
  metadata: { name: "orders" },
  spec: {
    obshell: { endpoint: obshell.url, credentialsSecretRef: { name: "obshell" }, allowInsecureHTTP: true },
    tenant: "orders",
    zones,
    // These cases are about what plan prints for a plan that runs; settling has its own case below.
    policy: { settleTime: "0s" },
  },
});
const ris = (instances: string[]) => ({
  apiVersion: "dbfleet.io/v1alpha1",
  kind: "RedisInstanceSet",
  metadata: { name: "checkout" },
  spec: {
    dcs: {
      endpoint: dcs.url,
      projectId: DEMO_PROJECT,
      credentialsSecretRef: { name: "dcs" },
      allowInsecureHTTP: true,
    },
    selector: { namePrefix: "cache-eu-", tags: { team: "checkout" } },
    instances,
    policy: { settleTime: "0s" },
  },
});

describe("dbfleet-operator plan", () => {
  it("prints what a merge would delete and exits 2, without deleting anything", async () => {
    const file = write("pending.yaml", [
      trs(["z1", "z2"]),
      ris([
        "cache-eu-1",
        "cache-eu-2",
        "cache-eu-3",
        "cache-eu-4",
        "cache-eu-5",
        "cache-eu-6",
        "cache-eu-7",
        "cache-eu-8",
        "cache-eu-9",
        "cache-eu-10",
        "cache-eu-11",
      ]),
    ]);
    let out = "";
    const code = await plan(
      ["-f", file, "-o", "json", "--allowed-endpoints", "127.0.0.1", INLINE],
      (t) => (out += t),
    );
    expect(code).toBe(2);
    const rows = JSON.parse(out) as PlanRow[];
    expect(rows.find((r) => r.kind === "TenantReplicaSet")?.wouldDelete).toEqual(["z3"]);
    // Frozen and yearly/monthly instances are left to a person: never sent (the step's message names them).
    const redisRow = rows.find((r) => r.kind === "RedisInstanceSet") as {
      wouldDelete: string[];
      step: string;
      message: string;
    };
    expect(redisRow?.wouldDelete).toEqual(["cache-eu-12"]);
    expect(redisRow?.step).toBe("DeleteInstances");
    expect(redisRow?.message).toContain("cache-eu-frozen");
    expect(obshell.log.some((e) => e.method !== "GET")).toBe(false);
    expect(dcs.log.some((e) => e.method !== "GET")).toBe(false);
  });

  it("with the default settle time: Wait PlanSettling, the deletion it will run once settled, exit 2", async () => {
    const settling = trs(["z1", "z2"]);
    const file = write("settling.yaml", [{ ...settling, spec: { ...settling.spec, policy: {} } }]);
    let out = "";
    expect(
      await plan(["-f", file, "--allowed-endpoints", "127.0.0.1", INLINE, "-o", "json"], (t) => (out += t)),
    ).toBe(2);
    const [row] = JSON.parse(out) as PlanRow[];
    expect(row).toMatchObject({ step: "Wait", reason: "PlanSettling", wouldDelete: ["z3"] });
    expect(row?.message).toMatch(/settle time 10s/);
    expect(obshell.log.some((e) => e.method !== "GET")).toBe(false);
  });

  it("prints an add beside a removal: WOULD ADD z4 for a replaced zone, nothing sent", async () => {
    const replaced = trs(["z1", "z2", "z4"]);
    const file = write("scale-out.yaml", [
      { ...replaced, spec: { ...replaced.spec, replicaTemplate: { unitConfigName: "orders_unit" } } },
    ]);
    let out = "";
    const args = ["-f", file, "--allowed-endpoints", "127.0.0.1", INLINE];
    expect(await plan([...args, "-o", "json"], (t) => (out += t))).toBe(2);
    const [row] = JSON.parse(out) as PlanRow[];
    // Adds come first: z3 goes only once z4 holds its replica.
    expect(row).toMatchObject({ step: "AddZones", reason: "AddingZones", wouldAdd: ["z4"], wouldDelete: [] });
    out = "";
    await plan(args, (t) => (out += t));
    expect(out).toMatch(/WOULD DELETE\s+WOULD ADD/);
    expect(out).toMatch(/AddZones\s+-\s+z4\s+AddingZones/);
    expect(obshell.log.some((e) => e.method !== "GET")).toBe(false);
  });

  it("exits 0 with a table when nothing would change", async () => {
    const file = write("converged.yaml", [trs(["z1", "z2", "z3"])]);
    let out = "";
    expect(await plan(["-f", file, "--allowed-endpoints", "127.0.0.1", INLINE], (t) => (out += t))).toBe(0);
    expect(out).toMatch(/^KIND\s+SET\s+TARGET\s+CONNECTION\s+ENDPOINT\s+STEP\s+WOULD DELETE/);
    // The connection and endpoint actually used, not the manifest's words.
    expect(out).toMatch(
      new RegExp(`TenantReplicaSet\\s+default/orders\\s+tenant orders\\s+inline\\s+${obshell.url}\\s+Ready`),
    );
  });

  it("reports two manifests whose scopes overlap as an ownership conflict, deleting nothing", async () => {
    const wide = {
      ...ris(["cache-eu-1"]),
      metadata: { name: "wide" },
      spec: { ...ris([]).spec, selector: { namePrefix: "cache-" }, instances: ["cache-eu-1"] },
    };
    const eu = { ...ris(["cache-eu-1"]), metadata: { name: "eu" } };
    const file = write("overlap.yaml", [wide, eu]);
    let out = "";
    const code = await plan(
      ["-f", file, "-o", "json", "--allowed-endpoints", "127.0.0.1", INLINE],
      (t) => (out += t),
    );
    const rows = JSON.parse(out) as PlanRow[];
    for (const row of rows) {
      expect(row.step).toBe("Stall");
      expect(row.reason).toBe("OwnershipConflict");
      expect(row.wouldDelete).toEqual([]);
    }
    expect(rows.find((r) => r.name === "wide")?.message).toContain("default/eu");
    expect(code).toBe(0);
  });

  it("refuses a bad manifest, naming the file and the field", async () => {
    const file = write("bad.yaml", [{ ...trs([]), spec: { ...trs([]).spec, zones: [] } }]);
    await expect(plan(["-f", file, "--allowed-endpoints", "127.0.0.1", INLINE])).rejects.toThrow(
      /bad\.yaml \(document 1, TenantReplicaSet\): spec\.zones/,
    );
  });
});

/** `dbfleet-operator plan ...` as a process (what CI runs), with `stdin` piped in. */
function planProcess(
  args: string[],
  stdin = "",
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(repoRoot, "src", "cli", "main.ts"), "plan", ...args],
    {
      cwd: repoRoot,
      env: { ...process.env, ...env },
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(stdin);
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

async function rowsOf(args: string[], stdin?: string): Promise<{ code: number; rows: PlanRow[] }> {
  let out = "";
  const code = await plan([...args, "-o", "json"], {
    out: (t) => (out += t),
    ...(stdin === undefined ? {} : { stdin: async () => stdin }),
  });
  return { code, rows: JSON.parse(out) as PlanRow[] };
}

const LOOPBACK = ["--allowed-endpoints", "127.0.0.1"];
const yaml = (docs: unknown[]) => docs.map((d) => dump(d)).join("---\n");

describe("plan's exit codes: a gate never passes on what it did not observe", () => {
  // One case per reason a set can be unobserved, and the codes 0 and 2 beside them.
  const closedPort = "http://127.0.0.1:9";
  const cases: {
    reason: string;
    docs: () => unknown[];
    args: string[];
    env?: "none";
    code: number;
    why: string;
  }[] = [
    {
      reason: "Converged",
      docs: () => [trs(["z1", "z2", "z3"])],
      args: [INLINE],
      code: 0,
      why: "observed, converged",
    },
    {
      reason: "Paused",
      docs: () => [{ ...trs(["z1"]), spec: { ...trs(["z1"]).spec, paused: true } }],
      args: [INLINE],
      code: 0,
      why: "paused: no remote call, nothing changes",
    },
    {
      reason: "RemovingZones",
      docs: () => [trs(["z1", "z2"])],
      args: [INLINE],
      code: 2,
      why: "observed, a zone would go",
    },
    {
      reason: "InlineConnectionRefused",
      docs: () => [trs(["z1", "z2", "z3"])],
      args: [],
      code: 3,
      why: "inline refused without the flag",
    },
    {
      reason: "EndpointRefused",
      docs: () => [trs(["z1", "z2", "z3"])],
      args: [INLINE, "--allowed-endpoints", "obshell.example.com"],
      code: 3,
      why: "loopback is not allowlisted",
    },
    {
      reason: "CredentialsMissing",
      docs: () => [trs(["z1", "z2", "z3"])],
      args: [INLINE],
      env: "none",
      code: 3,
      why: "no password to send",
    },
    {
      reason: "ObserveFailed",
      docs: () => [
        {
          ...trs(["z1"]),
          spec: { ...trs(["z1"]).spec, obshell: { ...trs(["z1"]).spec.obshell, endpoint: closedPort } },
        },
      ],
      args: [INLINE],
      code: 3,
      why: "the remote does not answer",
    },
    {
      reason: "InlineConnectionRefused",
      docs: () => [
        trs(["z1", "z2"]),
        { ...trs(["z1"]), metadata: { name: "other" }, spec: { ...trs(["z1"]).spec, tenant: "other" } },
      ],
      args: [],
      code: 3,
      why: "blind wins over changes",
    },
  ];
  it.each(cases)("$reason: exit $code ($why)", async ({ docs, args, env, code, reason }) => {
    const saved = process.env.OBSHELL_PASSWORD;
    if (env === "none") delete process.env.OBSHELL_PASSWORD;
    try {
      const hasAllowlist = args.includes("--allowed-endpoints");
      const result = await rowsOf(["-f", "-", ...(hasAllowlist ? [] : LOOPBACK), ...args], yaml(docs()));
      expect(result.rows.map((r) => r.reason)).toContain(reason);
      expect(result.code).toBe(code);
    } finally {
      process.env.OBSHELL_PASSWORD = saved;
    }
  });

  it("the process exits with them, and --help documents each", async () => {
    const help = await planProcess(["--help"]);
    expect(help.code).toBe(0);
    for (const [code, words] of [
      [PlanExit.Unchanged, "nothing would change"],
      [PlanExit.Changes, "some would change"],
      [PlanExit.Blind, "could not be observed"],
      [PlanExit.Failed, "a manifest is invalid"],
      [PlanExit.Usage, "bad flags"],
    ] as const)
      expect(help.stdout).toMatch(new RegExp(`^\\s+${code}\\s+.*${words}`, "m"));

    const blind = await planProcess(["-f", "-", ...LOOPBACK], yaml([trs(["z1", "z2"])]));
    expect(blind.stdout).toContain("InlineConnectionRefused");
    expect(blind.code).toBe(PlanExit.Blind);
    const changes = await planProcess(["-f", "-", ...LOOPBACK, INLINE], yaml([trs(["z1", "z2"])]));
    expect(changes.code).toBe(PlanExit.Changes);
    const invalid = await planProcess(
      ["-f", "-", ...LOOPBACK, INLINE],
      yaml([{ ...trs(["z1"]), spec: { ...trs(["z1"]).spec, zones: [] } }]),
    );
    expect(invalid.stderr).toContain("<stdin> (document 1, TenantReplicaSet): spec.zones");
    expect(invalid.code).toBe(PlanExit.Failed);
    expect((await planProcess(["-f", "-", "-k", dir])).code).toBe(PlanExit.Usage);
  }, 60_000);
});

describe("plan reads what kubectl apply reads", () => {
  it("-f - reads stdin; a folder is read flat unless -R; a List's items are sets", async () => {
    const list = { apiVersion: "v1", kind: "List", items: [trs(["z1", "z2", "z3"])] };
    const fromStdin = await rowsOf(["-f", "-", ...LOOPBACK, INLINE], JSON.stringify(list));
    expect(fromStdin.rows.map((r) => `${r.namespace}/${r.name}`)).toEqual(["default/orders"]);

    const tree = mkdtempSync(join(dir, "tree-"));
    mkdirSync(join(tree, "nested"));
    writeFileSync(join(tree, "top.yaml"), yaml([trs(["z1", "z2", "z3"])]));
    writeFileSync(join(tree, "notes.txt"), "not a manifest: kubectl skips it");
    writeFileSync(
      join(tree, "nested", "deep.yml"),
      yaml([{ ...trs(["z1", "z2", "z3"]), metadata: { name: "deep" } }]),
    );
    const flat = await rowsOf(["-f", tree, ...LOOPBACK, INLINE]);
    expect(flat.rows.map((r) => r.name)).toEqual(["orders"]);
    const recursive = await rowsOf(["-f", tree, "-R", ...LOOPBACK, INLINE]);
    expect(recursive.rows.map((r) => r.name)).toEqual(["deep", "orders"]);
  });

  it("-k renders the kustomization with kubectl's kustomize, as kubectl apply -k", async () => {
    const base = mkdtempSync(join(dir, "kustomize-"));
    writeFileSync(join(base, "sets.yaml"), yaml([trs(["z1", "z2"])]));
    writeFileSync(
      join(base, "kustomization.yaml"),
      dump({ namespace: "team-k", namePrefix: "prod-", resources: ["sets.yaml"] }),
    );
    const rendered = await rowsOf(["-k", base, ...LOOPBACK, INLINE]);
    expect(rendered.rows.map((r) => `${r.namespace}/${r.name} ${r.step}`)).toEqual([
      "team-k/prod-orders RemoveZones",
    ]);
    expect(rendered.code).toBe(PlanExit.Changes);
    // What kubectl renders is what plan read.
    const kubectlOut = await new Promise<string>((resolve) => {
      const child = spawn("kubectl", ["kustomize", base]);
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.once("close", () => resolve(out));
    });
    expect((await rowsOf(["-f", "-", ...LOOPBACK, INLINE], kubectlOut)).rows).toEqual(rendered.rows);
  });

  it("a namespace that is not a namespace name is refused before anything is read", async () => {
    const walk = { ...trs(["z1"]), metadata: { name: "orders", namespace: "team-b/obshell-b/../../team-a" } };
    const before = obshell.log.length;
    await expect(rowsOf(["-f", "-", ...LOOPBACK, INLINE], yaml([walk]))).rejects.toThrow(
      /metadata\.namespace: "team-b\/obshell-b\/\.\.\/\.\.\/team-a" must be a namespace name/,
    );
    expect(obshell.log.length).toBe(before);
  });
});

describe("plan --output markdown", () => {
  it("is the same text for the same input, names every set, and gives the approval hash and the annotate line", async () => {
    const big = { ...ris(["cache-eu-1"]), metadata: { name: "checkout", namespace: "shop" } };
    const input = yaml([
      big,
      { ...trs(["z1", "z2", "z3"]), metadata: { name: "orders", namespace: "shop" } },
    ]);
    const args = ["-f", "-", "-o", "markdown", ...LOOPBACK, INLINE];
    let first = "";
    let second = "";
    const code = await plan(args, { out: (t) => (first += t), stdin: async () => input });
    await plan(args, { out: (t) => (second += t), stdin: async () => input });
    expect(second).toBe(first);
    expect(code).toBe(PlanExit.Changes);
    expect(first.split("\n")[0]).toBe(MARKDOWN_MARKER);
    expect(first).toContain("| TenantReplicaSet shop/orders | inline |");
    const hash = /Approval hash `([0-9a-f]{16})`/.exec(first)?.[1];
    expect(hash).toBeDefined();
    expect(first).toContain(
      `kubectl annotate --namespace shop redisinstanceset.dbfleet.io/checkout dbfleet.io/approve-plan=${hash} --overwrite`,
    );
  });
});
