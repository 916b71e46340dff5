// DCS as the official SDKs and Huawei's examples show it, and as unkind as the service may be: busy fields,
// error bodies in every shape, signatures checked by Huawei's own signer, deletes that stay listed for a while.
import { AKSKSigner } from "@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js";
import { BasicCredentials } from "@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { busyReasons, busyState, isInstanceBusy } from "../../src/providers/dcs/busy.js";
import { DcsClient } from "../../src/providers/dcs/client.js";
import { parseErrorBody } from "../../src/providers/dcs/errors.js";
import { dcsInstance } from "../../src/providers/dcs/schemas.js";
import { RemoteError, StateForbidsError, ThrottledError } from "../../src/providers/errors.js";
import {
  type DcsErrorShape,
  DcsSimulator,
  dcsErrorBody,
  RUNNING_TASK_STATUS,
} from "../simulators/dcs/server.js";
import { destructiveCalls, repeatedTargets } from "../simulators/destructive-calls.js";

const AK = "AKFIDELITY0000000001";
const SK = "SKfidelitySecret000000000000000000000001";
const PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";

let sim: DcsSimulator;
const clients: DcsClient[] = [];

function client(): DcsClient {
  const c = new DcsClient({
    endpoint: sim.url,
    projectId: PROJECT,
    auth: { kind: "aksk", credentials: () => ({ accessKey: AK, secretKey: SK }) },
    timeoutMs: 2000,
    retry: { attempts: 2, baseMs: 1, maxMs: 1, random: () => 0, sleep: async () => undefined },
  });
  clients.push(c);
  return c;
}

async function caught(promise: Promise<unknown>): Promise<RemoteError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RemoteError)) throw new Error(`expected a RemoteError, got ${String(error)}`);
  return error;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeEach(async () => {
  sim = new DcsSimulator({
    credentials: [{ accessKey: AK, secretKey: SK }],
    projects: {
      [PROJECT]: [
        { name: "cache-1", id: "00000000-0000-4000-8000-000000000001" },
        { name: "cache-2", id: "00000000-0000-4000-8000-000000000002" },
        { name: "cache-frozen", id: "00000000-0000-4000-8000-000000000003", status: "FROZEN" },
      ],
    },
    deleteDelayMs: 50,
  });
  await sim.start();
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await sim.stop();
});

describe("isInstanceBusy: any field saying busy wins, a missing one never says idle", () => {
  const base = { instance_id: "i", name: "n", status: "RUNNING" };
  it.each([
    ["the batch-delete example's idle record", { task_status: null, service_task_id: "" }, "idle", []],
    ["a reply that carries only task, null: idle", { task: null }, "idle", []],
    ["only task_status, null: idle", { task_status: null }, "idle", []],
    ["only service_task_id, empty: idle", { service_task_id: "" }, "idle", []],
    // issue 22: this was idle, so an instance DCS said nothing about could be deleted mid-operation.
    ["no busy field at all: unknown, never idle", {}, "unknown", []],
    ["task_status set", { task_status: "RUNNING", service_task_id: "" }, "busy", ["task_status"]],
    ["service_task_id set", { task_status: null, service_task_id: "abc" }, "busy", ["service_task_id"]],
    ["task set, others absent", { task: "restarting" }, "busy", ["task"]],
    [
      "task null but service_task_id set",
      { task: null, service_task_id: "t-1" },
      "busy",
      ["service_task_id"],
    ],
    ["task_status an unexpected type", { task_status: { phase: 1 } }, "busy", ["task_status"]],
    ["service_task_id a number", { service_task_id: 0 }, "busy", ["service_task_id"]],
    ["task_status missing, task set", { task: "x", service_task_id: "" }, "busy", ["task"]],
  ] as const)("%s", (_, fields, state, reasons) => {
    const parsed = dcsInstance.parse({ ...base, ...fields });
    expect(busyState(parsed)).toBe(state);
    expect(isInstanceBusy(parsed)).toBe(state !== "idle");
    expect(busyReasons(parsed)).toEqual(reasons);
  });
});

describe("DCS error bodies in every shape the official SDKs read", () => {
  const shapes: DcsErrorShape[] = ["error_code", "errorCode", "code", "nested", "nested-error_code"];

  it.each(shapes)("parses %s", (shape) => {
    expect(parseErrorBody(dcsErrorBody(shape, "DCS.4026", "busy now", "req-1"))).toEqual({
      code: "DCS.4026",
      message: "busy now",
      requestId: "req-1",
    });
  });

  it("reads a numeric legacy code and ignores unknown shapes", () => {
    expect(parseErrorBody({ code: 4026, message: "m" })?.code).toBe("4026");
    expect(parseErrorBody({ oops: true })).toBeUndefined();
    expect(parseErrorBody([1, 2])).toBeUndefined();
    expect(parseErrorBody({ error: "flat string" })).toBeUndefined();
  });

  it.each(shapes)("recognises a busy instance (DCS.4099) answered as %s", async (shape) => {
    sim.errorShape = shape;
    const error = await caught(client().deleteInstance("00000000-0000-4000-8000-000000000003"));
    expect(error).toBeInstanceOf(StateForbidsError);
    expect(error.remoteCode).toBe("DCS.4099");
  });

  it.each(shapes)("recognises throttling answered as %s", async (shape) => {
    sim.errorShape = shape;
    sim.addFault({ kind: "throttle", status: 429 });
    const error = await caught(client().getInstance("00000000-0000-4000-8000-000000000001"));
    expect(error).toBeInstanceOf(ThrottledError);
    expect(error.remoteCode).toBe("APIGW.0308");
  });
});

describe("the simulator checks signatures with Huawei's own signer", () => {
  it("accepts a request signed by huaweicloud-sdk-core's AKSKSigner.sign", async () => {
    const url = new URL(`${sim.url}/v2/${PROJECT}/instances?limit=10&offset=0`);
    const headers = AKSKSigner.sign(
      {
        method: "GET",
        endpoint: `${url.origin}${url.pathname}`,
        queryParams: { limit: "10", offset: "0" },
        headers: { "X-Project-Id": PROJECT },
      } as never,
      new BasicCredentials().withAk(AK).withSk(SK),
    ) as Record<string, string>;
    const res = await fetch(url, { headers });
    expect(res.status).toBe(200);
  });

  it("accepts the client's request for an id it percent-encodes", async () => {
    sim.addInstance(PROJECT, { name: "odd", id: "odd id:ü" });
    const instance = await client().getInstance("odd id:ü");
    expect(instance.name).toBe("odd");
  });
});

describe("an unkind DCS", () => {
  it("marks an instance busy (task_status, service_task_id) while an operation runs, and refuses its delete", async () => {
    const id = "00000000-0000-4000-8000-000000000001";
    sim.startOperation(PROJECT, id, 200);
    const listed = (await client().listInstances()).instances.find((i) => i.instance_id === id);
    expect(listed?.task_status).toBe(RUNNING_TASK_STATUS);
    expect(isInstanceBusy(listed ?? { task_status: null })).toBe(true);
    expect((await client().batchDelete([id]))[0]?.result).toBe("failed");
    await until("the operation to end", async () => !isInstanceBusy(await client().getInstance(id)));
  });

  it("keeps an accepted instance listed unchanged for the lag, and accepts it again meanwhile", async () => {
    sim.setKnobs({ acceptedListingLagMs: 300 });
    const id = "00000000-0000-4000-8000-000000000002";
    const c = client();
    expect((await c.batchDelete([id]))[0]?.result).toBe("success");
    const during = (await c.listInstances()).instances.find((i) => i.instance_id === id);
    expect(during?.status).toBe("RUNNING");
    expect(isInstanceBusy(during ?? {})).toBe(false);
    // A planner that trusts this listing sends the instance again: DCS accepts it, the log shows it.
    expect((await c.batchDelete([id]))[0]?.result).toBe("success");
    const repeated = repeatedTargets(destructiveCalls({ dcs: sim.log }));
    expect(repeated).toEqual([{ target: `dcs:${PROJECT}/${id}`, count: 2 }]);
    // Then it turns DELETING with an operation running, and goes, once.
    await until("DELETING", async () => (await c.getInstance(id)).status === "DELETING");
    expect(isInstanceBusy(await c.getInstance(id))).toBe(true);
    await until("gone", () => sim.deleted.some((d) => d.instance_id === id));
    await until("settled", () => !sim.instances(PROJECT).some((i) => i.instance_id === id));
    expect(sim.deleted.filter((d) => d.instance_id === id)).toHaveLength(1);
  });

  it("can change an instance between a listing and a GET", async () => {
    sim.setKnobs({ driftOnGet: { probability: 1, kind: "busy", busyMs: 1000 } });
    const c = client();
    const id = "00000000-0000-4000-8000-000000000001";
    const listed = (await c.listInstances()).instances.find((i) => i.instance_id === id);
    expect(isInstanceBusy(listed ?? { task_status: "unknown" })).toBe(false);
    const fresh = await c.getInstance(id);
    expect(isInstanceBusy(fresh)).toBe(true);
    expect(sim.drifts).toMatchObject([{ instance: id, kind: "busy" }]);
    // A GET of an instance no listing returned is left alone.
    sim.setKnobs({ driftOnGet: { probability: 1, kind: "retag", busyMs: 0 } });
    const unlisted = sim.addInstance(PROJECT, { name: "cache-new", tags: { team: "a" } });
    expect((await c.getInstance(unlisted.instance_id)).tags).toEqual([{ key: "team", value: "a" }]);
    await c.listInstances();
    expect((await c.getInstance(unlisted.instance_id)).tags).toEqual([
      { key: "dcs-sim-drift", value: "retagged" },
    ]);
  });

  it("counts destructive calls that were sent but refused apart from accepted ones", async () => {
    const c = client();
    await c.batchDelete(["00000000-0000-4000-8000-000000000003"]);
    await c.batchDelete(["00000000-0000-4000-8000-000000000003"]);
    const calls = destructiveCalls({ dcs: sim.log });
    expect(calls.map((call) => call.accepted)).toEqual([false, false]);
    expect(repeatedTargets(calls)).toEqual([]);
    expect(repeatedTargets(calls, { sent: true })).toHaveLength(1);
  });
});
