// `import` onboards an existing fleet without deleting anything (issue 28), judged by what the simulators
// received. A fleet of 50 tenants and 500 instances is imported, applied with `kubectl apply -k`, and run by
// the operator under deploy/'s identity through connections: no destructive call in three poll intervals,
// every set Ready. The fleet then changes between an import and its apply (an instance added in scope, a
// zone removed by hand): `import --check` exits non-zero naming both, and applied anyway nothing is deleted
// (the added instance waits for an approval: imported sets carry policy.approvalThreshold 0, and without
// it the set would delete the instance, which is what it declares; --check is the gate). Scopes that
// overlap each other in one output, or a set in the cluster, are refused, as are a tenant with a DAG
// running and an instance busy. Imports run under the operator's read-only identity.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump, load, loadAll } from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { UsageError } from "../../src/cli/flags.js";
import { importCommand } from "../../src/cli/import.js";
import { ImportExit } from "../../src/cli/import-flags.js";
import type { Operator } from "../../src/operator.js";
import { dcsConnection, obshellConnection, startRecommendedOperator } from "../harness/connections.js";
import { eventually } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { kubectlOk } from "../harness/kubectl.js";
import { captureLog } from "../harness/log-capture.js";
import { RawApi, type RawObject } from "../harness/raw-api.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { destructiveCalls } from "../simulators/destructive-calls.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const PASSWORD = "import-root-password";
const AK = "AKIMPORT0000000000001";
const SK = "SKimport00000000000000000000000000000000";
const TENANTS = 50;
const INSTANCES = 500;
/** Short, so that three poll intervals are seconds. */
const POLL = "2s";
const ZONES = ["z1", "z2", "z3", "z4"].map((name) => ({ name, region: "hz" }));

let dir = "";
/** The operator's identity (deploy/'s ClusterRole): import needs only its reads. */
let readerKubeconfig = "";

interface Fleet {
  ns: string;
  /** The DCS project, of this fleet's own: a project is one remote whatever endpoint reaches it (issue 26). */
  project: string;
  obshell: ObshellSimulator;
  dcs: DcsSimulator;
}

const secretOf = (namespace: string, name: string, data: Record<string, string>): RawObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace },
  stringData: data,
});

async function fleet(
  prefix: string,
  tenants: { name: string; zones: string[]; readonlyZones?: string[] }[],
  instances: { name: string; tags?: Record<string, string> }[],
): Promise<Fleet> {
  const ns = await createTestNamespace(kubeConfigFor(kubeconfig), prefix);
  const obshell = new ObshellSimulator({ password: PASSWORD, stageMs: 20, seed: { zones: ZONES, tenants } });
  await obshell.start();
  const project = randomBytes(16).toString("hex");
  const dcs = new DcsSimulator({
    credentials: [{ accessKey: AK, secretKey: SK }],
    projects: { [project]: instances },
    deleteDelayMs: 50,
  });
  await dcs.start();
  await raw.apply(secretOf(ns, "obshell", { password: PASSWORD }));
  await raw.apply(secretOf(ns, "dcs", { accessKey: AK, secretKey: SK }));
  await raw.apply(obshellConnection({ namespace: ns, name: "obshell" }, obshell.url));
  await raw.apply(dcsConnection({ namespace: ns, name: "dcs" }, dcs.url, project));
  return { ns, project, obshell, dcs };
}

/** `dbfleet-operator import ...` under the reader identity, to the simulators on loopback. */
async function runImport(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await importCommand(
    [...args, "--kubeconfig", readerKubeconfig, "--allowed-endpoints", "127.0.0.1"],
    { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) },
  );
  return { code, out, err };
}

function startOperator(ns: string, log: ReturnType<typeof captureLog>): Operator {
  return startRecommendedOperator(kubeconfig, {
    logger: log.logger,
    namespaces: [ns],
    tenant: { dagPollMs: 50 },
    redis: { deletePollMs: 100 },
  });
}

type Conditioned = RawObject & {
  metadata: { name: string };
  status?: { conditions?: { type: string; status: string; reason: string }[] };
};

async function setsIn(ns: string): Promise<Conditioned[]> {
  const items: Conditioned[] = [];
  for (const plural of ["tenantreplicasets", "redisinstancesets"]) {
    const list = await raw.call<{ items: Conditioned[] }>(
      "GET",
      `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/${plural}`,
    );
    items.push(...list.items);
  }
  return items;
}

const readyOf = (o: Conditioned) => o.status?.conditions?.find((c) => c.type === "Ready");

/** Every set at its expected Ready reason (Converged unless named), then three more reads of each. */
async function settles(f: Fleet, expected: number, reasons: Record<string, string> = {}): Promise<void> {
  await eventually(
    `${expected} sets at their end state`,
    async () => {
      const sets = await setsIn(f.ns);
      return (
        sets.length === expected &&
        sets.every((s) => readyOf(s)?.reason === (reasons[s.metadata.name] ?? "Converged"))
      );
    },
    120_000,
  );
  const tenants = (await setsIn(f.ns))
    .filter((s) => s.kind === "TenantReplicaSet")
    .map((s) => (s.spec as { tenant: string }).tenant);
  const obshellFrom = f.obshell.log.length;
  const dcsFrom = f.dcs.log.length;
  // Three poll intervals, counted on what the remotes received: each tenant and the listing read 3 times.
  await eventually(
    "three more observations of every set",
    () => {
      const reads = new Map<string, number>();
      for (const e of f.obshell.log.slice(obshellFrom))
        if (e.method === "GET") reads.set(e.path, (reads.get(e.path) ?? 0) + 1);
      const listings = f.dcs.log
        .slice(dcsFrom)
        .filter((e) => e.method === "GET" && e.path === `/v2/${f.project}/instances`).length;
      return tenants.every((t) => (reads.get(`/api/v1/tenant/${t}`) ?? 0) >= 3) && listings >= 3;
    },
    120_000,
  );
  const sets = await setsIn(f.ns);
  for (const s of sets)
    expect(readyOf(s)?.reason, s.metadata.name).toBe(reasons[s.metadata.name] ?? "Converged");
}

function nothingChanged(f: Fleet): void {
  expect(destructiveCalls({ obshell: f.obshell.log, dcs: f.dcs.log })).toEqual([]);
  expect(f.obshell.log.filter((e) => e.method !== "GET").map((e) => `${e.method} ${e.path}`)).toEqual([]);
  expect(f.dcs.log.filter((e) => e.method !== "GET").map((e) => `${e.method} ${e.path}`)).toEqual([]);
}

const filesOf = (d: string) =>
  Object.fromEntries(readdirSync(d).map((f) => [f, readFileSync(join(d, f), "utf8")]));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "dbfleet-import-"));
  const config = JSON.parse(readFileSync(kubeconfig, "utf8")) as Record<string, unknown>;
  readerKubeconfig = join(dir, "reader-kubeconfig");
  writeFileSync(readerKubeconfig, dump({ ...config, "current-context": "operator" }));
});

afterAll(async () => {
  await raw.close();
  rmSync(dir, { recursive: true, force: true });
});

describe(`a fleet of ${TENANTS} tenants and ${INSTANCES} instances, imported and applied`, () => {
  let f: Fleet;
  const log = captureLog();
  let operator: Operator | undefined;

  beforeAll(async () => {
    // Two tenants whose names lower-case to one set name: each gets a hash of its own.
    const names = [
      ...Array.from({ length: TENANTS - 2 }, (_, i) => `t_${String(i).padStart(2, "0")}`),
      "Pay_EU",
      "pay_eu",
    ];
    const tenants = names.map((name, i) => ({
      name,
      zones: i % 3 === 0 ? ["z1", "z2"] : ["z1", "z2", "z3"],
      ...(i % 5 === 0 ? { readonlyZones: ["z4"] } : {}),
    }));
    const instances = [
      ...Array.from({ length: 200 }, (_, i) => ({
        name: `cache-${String(i).padStart(3, "0")}`,
        tags: { env: i % 2 === 0 ? "prod" : "test" },
      })),
      ...Array.from({ length: 200 }, (_, i) => ({ name: `web-${String(i).padStart(3, "0")}` })),
      ...Array.from({ length: INSTANCES - 400 }, (_, i) => ({ name: `queue-${String(i).padStart(3, "0")}` })),
    ];
    f = await fleet("import", tenants, instances);
  }, 60_000);

  afterAll(async () => {
    await operator?.stop(2000);
    await f?.obshell.stop();
    await f?.dcs.stop();
  });

  it("writes one set per tenant and per prefix, the same bytes every run", async () => {
    const args = (out: string) => [
      [
        "--connection",
        `DatabaseConnection/${f.ns}/obshell`,
        "--poll-interval",
        POLL,
        "--out",
        join(dir, out, "tenants"),
      ],
      [
        "--connection",
        `DatabaseConnection/${f.ns}/dcs`,
        "--name-prefix",
        "web-",
        "--name-prefix",
        "cache-",
        "--name-prefix",
        "queue-",
        "--poll-interval",
        POLL,
        "--out",
        join(dir, out, "redis"),
      ],
    ];
    for (const run of ["first", "second"])
      for (const a of args(run)) {
        const result = await runImport(a);
        expect(result.code, result.out + result.err).toBe(ImportExit.Complete);
      }
    const tenants = filesOf(join(dir, "first", "tenants"));
    expect(Object.keys(tenants)).toHaveLength(TENANTS + 1);
    expect(filesOf(join(dir, "second", "tenants"))).toEqual(tenants);
    expect(filesOf(join(dir, "second", "redis"))).toEqual(filesOf(join(dir, "first", "redis")));
    // Importing again into the same folder changes no byte.
    const again = await runImport(args("first")[0] ?? []);
    expect(again.code).toBe(ImportExit.Complete);
    expect(filesOf(join(dir, "first", "tenants"))).toEqual(tenants);

    const t00 = load(tenants["tenantreplicaset-t-00.yaml"] ?? "") as { spec: unknown };
    expect(t00.spec).toEqual({
      connectionRef: { kind: "DatabaseConnection", name: "obshell" },
      tenant: "t_00",
      zones: ["z1", "z2", "z4"],
      policy: { approvalThreshold: 0 },
      pollInterval: POLL,
    });
    const pay = Object.keys(tenants).filter((k) => k.startsWith("tenantreplicaset-pay-eu"));
    expect(pay).toHaveLength(2);
    for (const k of pay) expect(k).toMatch(/^tenantreplicaset-pay-eu-[0-9a-f]{6}\.yaml$/);
    const cache = load(filesOf(join(dir, "first", "redis"))["redisinstanceset-cache.yaml"] ?? "") as {
      spec: { selector: unknown; instances: string[] };
    };
    expect(cache.spec.selector).toEqual({ namePrefix: "cache-" });
    expect(cache.spec.instances).toHaveLength(200);
    // Without --out: the same sets as one YAML stream on stdout, the report on stderr.
    const stream = await runImport([
      "--connection",
      `DatabaseConnection/${f.ns}/dcs`,
      "--name-prefix",
      "web-",
      "--name-prefix",
      "cache-",
      "--name-prefix",
      "queue-",
      "--poll-interval",
      POLL,
    ]);
    expect(stream.code).toBe(ImportExit.Complete);
    const redisFiles = filesOf(join(dir, "first", "redis"));
    expect(loadAll(stream.out)).toEqual(
      ["redisinstanceset-cache.yaml", "redisinstanceset-queue.yaml", "redisinstanceset-web.yaml"].map((k) =>
        load(redisFiles[k] ?? ""),
      ),
    );
    expect(stream.err).toMatch(/RedisInstanceSet +\S+\/web +instances web-\* +written +Ready/);
    expect(load(filesOf(join(dir, "first", "redis"))["kustomization.yaml"] ?? "")).toEqual({
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      resources: ["redisinstanceset-cache.yaml", "redisinstanceset-queue.yaml", "redisinstanceset-web.yaml"],
    });
    nothingChanged(f);
  }, 120_000);

  it("refuses two overlapping scopes in one output, and writes neither", async () => {
    const out = join(dir, "overlap-output");
    const result = await runImport([
      "--connection",
      `DatabaseConnection/${f.ns}/dcs`,
      "--name-prefix",
      "cache-0",
      "--name-prefix",
      "cache-00",
      "--out",
      out,
    ]);
    expect(result.code, result.out).toBe(ImportExit.Refused);
    expect(result.out).toMatch(
      new RegExp(`/cache-0 .*refused +Stall +OwnershipConflict: .*also in scope of ${f.ns}/cache-00\\b`),
    );
    expect(result.out).toMatch(
      new RegExp(`/cache-00 .*refused +Stall +OwnershipConflict: .*also in scope of ${f.ns}/cache-0\\b`),
    );
    expect(readdirSync(out)).toEqual(["kustomization.yaml"]);
    nothingChanged(f);
  }, 60_000);

  it("applied with kubectl apply -k and run by the operator: every set Ready, nothing deleted in three polls", async () => {
    await kubectlOk(["--kubeconfig", kubeconfig, "apply", "-k", join(dir, "first", "tenants")]);
    await kubectlOk(["--kubeconfig", kubeconfig, "apply", "-k", join(dir, "first", "redis")]);
    operator = startOperator(f.ns, log);
    await settles(f, TENANTS + 3);
    nothingChanged(f);
    expect(log.forbidden()).toEqual([]);
    // The applied fleet re-plans as unchanged.
    const check = await runImport(["--check", join(dir, "first", "redis")]);
    expect(check.code, check.out).toBe(ImportExit.Complete);
  }, 240_000);

  it("refuses a scope that overlaps a set in the cluster, naming it", async () => {
    const result = await runImport([
      "--connection",
      `DatabaseConnection/${f.ns}/dcs`,
      "--name-prefix",
      "web-1",
      "--out",
      join(dir, "overlap-cluster"),
    ]);
    expect(result.code, result.out).toBe(ImportExit.Refused);
    expect(result.out).toMatch(/web-1 .*refused .*OwnershipConflict: .*also in scope of .*\/web\b/);
    expect(load(readFileSync(join(dir, "overlap-cluster", "kustomization.yaml"), "utf8"))).toMatchObject({
      resources: [],
    });
    nothingChanged(f);
  }, 60_000);
});

describe("the fleet changes between import and apply", () => {
  let f: Fleet;
  const log = captureLog();
  let operator: Operator | undefined;

  beforeAll(async () => {
    f = await fleet(
      "importdrift",
      ["t_a", "t_b", "t_c"].map((name) => ({ name, zones: ["z1", "z2", "z3"] })),
      Array.from({ length: 20 }, (_, i) => ({ name: `cache-${String(i).padStart(2, "0")}` })),
    );
  }, 60_000);

  afterAll(async () => {
    await operator?.stop(2000);
    await f?.obshell.stop();
    await f?.dcs.stop();
  });

  it("--check catches an instance added in scope and a zone removed by hand; applied anyway, nothing is deleted", async () => {
    const tenantsDir = join(dir, "drift", "tenants");
    const redisDir = join(dir, "drift", "redis");
    const conn = (name: string) => [
      "--connection",
      `DatabaseConnection/${f.ns}/${name}`,
      "--poll-interval",
      POLL,
    ];
    expect((await runImport([...conn("obshell"), "--out", tenantsDir])).code).toBe(ImportExit.Complete);
    expect((await runImport([...conn("dcs"), "--name-prefix", "cache-", "--out", redisDir])).code).toBe(
      ImportExit.Complete,
    );
    expect((await runImport(["--check", tenantsDir])).code).toBe(ImportExit.Complete);
    expect((await runImport(["--check", redisDir])).code).toBe(ImportExit.Complete);

    // The fleet moves on: a new instance in scope; zone z3 of t_b removed by a person, outside the operator.
    f.dcs.addInstance(f.project, { name: "cache-new" });
    const tb = f.obshell.cluster.tenants.get("t_b");
    if (!tb) throw new Error("no t_b");
    tb.replicas = tb.replicas.filter((r) => r.zone !== "z3");
    tb.pools = tb.pools.filter((p) => !p.zones.includes("z3"));

    const redisCheck = await runImport(["--check", redisDir]);
    expect(redisCheck.code, redisCheck.out).toBe(ImportExit.Changes);
    // Settled first, then approved (issue 28): the deletion is held for the settle time, then asks.
    expect(redisCheck.out).toMatch(/Wait +cache-new +- +PlanSettling/);
    const tenantCheck = await runImport(["--check", tenantsDir]);
    expect(tenantCheck.code, tenantCheck.out).toBe(ImportExit.Refused);
    expect(tenantCheck.out).toMatch(/t-b .*Stall .*DesiredZoneMissing: desired zone\(s\) z3/);

    // Applied anyway: the tenant stalls, the instance waits for an approval nobody gave; nothing is deleted.
    await kubectlOk(["--kubeconfig", kubeconfig, "apply", "-k", tenantsDir]);
    await kubectlOk(["--kubeconfig", kubeconfig, "apply", "-k", redisDir]);
    operator = startOperator(f.ns, log);
    await settles(f, 4, { "t-b": "DesiredZoneMissing", cache: "ApprovalRequired" });
    nothingChanged(f);
    expect(f.dcs.instances(f.project).map((i) => i.name)).toContain("cache-new");
    expect(log.forbidden()).toEqual([]);
  }, 240_000);

  it("refuses a tenant with a DAG running and a scope with a busy instance, writing the rest", async () => {
    await operator?.stop(2000);
    operator = undefined;
    // A person scales t_c in by hand; its DAG holds at its running stage.
    f.obshell.cluster.holdDags.add("t_c");
    f.obshell.cluster.removeReplicas("t_c", ["z3"]);
    const tenants = await runImport([
      "--connection",
      `DatabaseConnection/${f.ns}/obshell`,
      "--tenant",
      "t_a,t_c",
      "--poll-interval",
      POLL,
      "--out",
      join(dir, "busy", "tenants"),
    ]);
    expect(tenants.code, tenants.out).toBe(ImportExit.Refused);
    expect(tenants.out).toMatch(/t-c .*refused +- +TenantBusy: DAG .* on tenant t_c/);
    expect(tenants.out).toMatch(/t-a .*written +Ready/);
    const busy = f.dcs.instances(f.project).find((i) => i.name === "cache-05");
    f.dcs.startOperation(f.project, busy?.instance_id ?? "", 600_000);
    const redis = await runImport([
      "--connection",
      `DatabaseConnection/${f.ns}/dcs`,
      "--name-prefix",
      "cache-0",
      "-n",
      f.ns,
      "--out",
      join(dir, "busy", "redis"),
    ]);
    expect(redis.code, redis.out).toBe(ImportExit.Refused);
    expect(redis.out).toMatch(/refused +- +Changing: cache-05 \(.*\) is busy/);
  }, 60_000);

  it("a connection it cannot use writes nothing and exits 3; a scope of the other kind exits 64", async () => {
    const missing = await runImport(["--connection", `DatabaseConnection/${f.ns}/missing`]);
    expect(missing.code).toBe(ImportExit.Blind);
    expect(missing.err).toContain(`ConnectionNotFound: DatabaseConnection ${f.ns}/missing not found`);
    // The operator's endpoint policy: without --allowed-endpoints the simulators' loopback is refused.
    let err = "";
    const refused = await importCommand(
      ["--connection", `DatabaseConnection/${f.ns}/obshell`, "--kubeconfig", readerKubeconfig],
      { out: () => undefined, err: (t) => (err += t) },
    );
    expect(refused).toBe(ImportExit.Blind);
    expect(err).toContain("EndpointRefused");
    await expect(
      runImport(["--connection", `DatabaseConnection/${f.ns}/dcs`, "--tenant", "t_a"]),
    ).rejects.toThrow(UsageError);
    const foreign = join(dir, "foreign");
    await runImport(["--connection", `DatabaseConnection/${f.ns}/obshell`, "--out", foreign]);
    writeFileSync(join(foreign, "notes.md"), "mine\n");
    await expect(
      runImport(["--connection", `DatabaseConnection/${f.ns}/obshell`, "--out", foreign]),
    ).rejects.toThrow(/notes\.md was not written by import/);
    expect(readFileSync(join(foreign, "notes.md"), "utf8")).toBe("mine\n");
    nothingChanged(f);
  }, 60_000);
});
