// `dbfleet-operator plan` against the simulators: the same planner the controller runs, read-only.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump } from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PlanRow, plan } from "../../src/cli/plan.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";
import { DEMO_PROJECT, demoDcsSeed, demoObshellSeed } from "../simulators/seed.js";

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
      ["-f", file, "-o", "json", "--allowed-endpoints", "127.0.0.1"],
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

  it("exits 0 with a table when nothing would change", async () => {
    const file = write("converged.yaml", [trs(["z1", "z2", "z3"])]);
    let out = "";
    expect(await plan(["-f", file, "--allowed-endpoints", "127.0.0.1"], (t) => (out += t))).toBe(0);
    expect(out).toMatch(/^KIND\s+SET\s+REMOTE\s+STEP\s+WOULD DELETE/);
    expect(out).toContain("Ready");
    expect(out).toContain("TenantReplicaSet  default/orders");
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
      ["-f", file, "-o", "json", "--allowed-endpoints", "127.0.0.1"],
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
    await expect(plan(["-f", file, "--allowed-endpoints", "127.0.0.1"])).rejects.toThrow(
      /bad\.yaml \(document 1, TenantReplicaSet\): spec\.zones/,
    );
  });
});
