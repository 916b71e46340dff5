// The endpoint policy of `dbfleet-operator run` (issue 22), as a process on the real API server under deploy/'s
// identity, with sets reaching an obshell simulator on loopback through admin-owned DatabaseConnections. With
// its default flags the operator refuses loopback in every spelling before any socket: judged by the agent's
// request log, which stays empty. Run again with --allowed-endpoints naming the simulator's address, the same
// set reaches it (the log would see a policy that let it through, and `run` passing the flag on).
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connectionRef, obshellConnection } from "../harness/connections.js";
import { eventually } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor, OPERATOR_NAMESPACE } from "../harness/kube.js";
import { forbiddenIn } from "../harness/log-capture.js";
import { applyCredentialSecrets, RawApi, type RawObject } from "../harness/raw-api.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const PASSWORD = "policy-root-password";
const WAIT_MS = 60_000;
let ns = "";
let obshell: ObshellSimulator;
const processes: ChildProcess[] = [];

type Condition = { type: string; status: string; reason: string; message: string };
type SetObject = RawObject & { status?: { conditions?: Condition[] | undefined } };

const trsPath = (name: string) => `/apis/dbfleet.io/v1alpha1/namespaces/${ns}/tenantreplicasets/${name}`;

/** The hosts the sets' connections name, each its own connection and tenant: loopback spelled three ways, and link-local. */
const HOSTS = [
  { name: "loop-ip", host: "127.0.0.1", reaches: true },
  { name: "loop-name", host: "localhost", reaches: true },
  { name: "loop-mapped", host: "[::ffff:127.0.0.1]", reaches: true },
  { name: "link-metadata", host: "169.254.169.254", reaches: false },
  { name: "link-v6", host: "[fe80::1]", reaches: false },
];
const tenantOf = (name: string) => name.replace(/-/g, "_");

/** `dbfleet-operator run` as deploy/ runs it, with `flags` added; its output collected. */
function runOperator(name: string, flags: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(import.meta.dirname, "..", "..", "src", "cli", "main.ts"),
      "run",
      `--kubeconfig=${kubeconfig}`,
      "--context=operator",
      `--namespace=${ns}`,
      `--lease-namespace=${OPERATOR_NAMESPACE}`,
      `--lease-name=${name}-${ns}`,
      "--metrics-port=0",
      "--metrics-host=127.0.0.1",
      "--retry-period=200ms",
      ...flags,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  processes.push(child);
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

async function condition(name: string, type: string, reason: string, unless: () => boolean = () => false) {
  let last: SetObject | undefined;
  await eventually(
    `${name} ${type}=True (${reason})`,
    async () => {
      last = await raw.call<SetObject>("GET", trsPath(name));
      return (
        unless() ||
        (last.status?.conditions ?? []).some(
          (c) => c.type === type && c.status === "True" && c.reason === reason,
        )
      );
    },
    WAIT_MS,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}; its conditions: ${JSON.stringify(last?.status?.conditions)}`);
  });
  if (!last) throw new Error("unreachable");
  return last;
}

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "policy");
  const zones = ["z1", "z2", "z3"].map((name) => ({ name, region: "hz" }));
  obshell = new ObshellSimulator({
    password: PASSWORD,
    stageMs: 40,
    seed: {
      zones,
      tenants: HOSTS.map((h) => ({ name: tenantOf(h.name), zones: ["z1", "z2", "z3"] })),
    },
  });
  await obshell.start();
  await applyCredentialSecrets(raw, ns, { password: PASSWORD, accessKey: "unused", secretKey: "unused" });
  for (const e of HOSTS) {
    await raw.apply(
      obshellConnection({ namespace: ns, name: e.name }, obshell.url.replace("127.0.0.1", e.host)),
    );
    await raw.apply({
      apiVersion: "dbfleet.io/v1alpha1",
      kind: "TenantReplicaSet",
      metadata: { name: e.name, namespace: ns },
      spec: {
        ...connectionRef(e.name),
        tenant: tenantOf(e.name),
        zones: ["z1", "z2"],
        pollInterval: "1s",
        policy: { settleTime: "0s" },
      },
    });
  }
}, 60_000);

afterAll(async () => {
  for (const child of processes) await stop(child);
  await obshell?.stop();
  await raw.close();
});

describe("the endpoint policy of `run`", () => {
  it("by default, loopback (127.0.0.1, localhost, ::ffff:127.0.0.1) and link-local endpoints are refused: no request reaches the agent", async () => {
    const { child, output } = runOperator("policy-default", []);
    for (const e of HOSTS)
      await condition(e.name, "Stalled", "EndpointRefused", () => obshell.log.length > 0);
    expect(obshell.log.map((e) => `${e.method} ${e.path}`)).toEqual([]);
    await stop(child);
    expect(forbiddenIn(output())).toEqual([]);
  });

  it("run with --allowed-endpoints=127.0.0.1: that set reaches the agent and removes its zone; link-local stays refused", async () => {
    const { child, output } = runOperator("policy-allowed", ["--allowed-endpoints=127.0.0.1"]);
    const removals = () =>
      obshell.log.filter((e) => e.method === "DELETE").map((e) => `${e.path} ${JSON.stringify(e.body)}`);
    const loopIp = '/api/v1/tenant/loop_ip/replicas {"zones":["z3"]}';
    await eventually("the agent asked to remove loop_ip's z3", () => removals().includes(loopIp), WAIT_MS);
    // The other loopback spellings may reach it too now (their addresses are allowlisted); link-local never.
    expect(removals().filter((r) => r.includes("/link_"))).toEqual([]);
    await condition("loop-ip", "Ready", "Converged");
    for (const e of HOSTS.filter((x) => !x.reaches)) await condition(e.name, "Stalled", "EndpointRefused");
    await stop(child);
    expect(forbiddenIn(output())).toEqual([]);
  });
});
