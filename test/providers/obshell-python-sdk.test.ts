// The official obshell Python SDK (oceanbase/obshell-sdk-python, vendored unmodified in test/sdk/) adds a replica
// through the simulator with its own ClientV1.add_tenant_replica and wait_dag_succeed: its auth, its body and its
// reading of the replies, independent of src/. Needs Debian's python3 with python3-requests and
// python3-pycryptodome (.ci/run installs them).
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ObshellSimulator } from "../simulators/obshell/server.js";

const run = promisify(execFile);
const PYTHON = process.env.DBFLEET_PYTHON ?? "/usr/bin/python3";
const SCRIPT = join(import.meta.dirname, "..", "sdk", "obshell_add_replica.py");
const PASSWORD = "sdk-root-pw";
let sim: ObshellSimulator;

beforeAll(async () => {
  sim = new ObshellSimulator({
    password: PASSWORD,
    stageMs: 20,
    seed: {
      zones: ["z1", "z2", "z3", "z4"].map((name) => ({ name, region: "hz" })),
      tenants: [{ name: "sdk_t", zones: ["z1", "z2", "z3"], primaryZone: "z1" }],
    },
  });
  await sim.start();
});
afterAll(() => sim.stop());

describe("obshell-sdk-python ClientV1.add_tenant_replica against the simulator", () => {
  it("starts the scale-out DAG, waits it to SUCCEED, and gets the agent's refusal when sent again", async () => {
    const port = new URL(sim.url).port;
    // wait_dag_succeed polls every 3 s (client_v1.py): a few polls at most.
    const { stdout } = await run(
      PYTHON,
      [SCRIPT, "127.0.0.1", port, PASSWORD, "sdk_t", "z4", "sdk_t_unit", "1"],
      {
        timeout: 120_000,
      },
    );
    const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
    expect(result.started).toMatchObject({
      name: "Scale out tenant replicas",
      state: "READY",
      operator: "RUN",
    });
    expect(result.ended).toEqual({
      id: result.started.id,
      state: "SUCCEED",
      operator: "RUN",
      nodes: ["Create and attach resource pools", "Alter tenant locality"],
    });
    expect(result.again).toBe("OB.Tenant.ZoneAlreadyHasReplica");
    expect(sim.cluster.tenants.get("sdk_t")?.replicas).toContainEqual({ zone: "z4", type: "FULL" });

    // What the SDK sent, decrypted by the simulator. Its Client._execute (obshell/client.py) sends any request
    // refused with an error other than a decrypt or incompatibility code once more, unchanged: the second call is
    // two POSTs, both refused. Only the first POST was accepted.
    const posts = sim.log.filter((e) => e.method === "POST" && e.path === "/api/v1/tenant/sdk_t/replicas");
    expect(posts.map((e) => e.status)).toEqual([200, 400, 400]);
    expect(new Set(posts.map((e) => JSON.stringify(e.body))).size).toBe(1);
    expect(posts[0]?.body).toEqual({
      zone_list: [{ name: "z4", unit_config_name: "sdk_t_unit", unit_num: 1 }],
    });
  });
});
