// `dbfleet-operator run` as a process: probes, metrics, leader election under the operator's own
// identity (deploy/'s ClusterRole and Lease Role; never refused), and a clean exit on SIGTERM with the
// lease released.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SIMULATOR_FLAGS } from "../harness/connections.js";
import { eventually } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor, OPERATOR_NAMESPACE } from "../harness/kube.js";
import { forbiddenIn } from "../harness/log-capture.js";
import { get, scrape, serviceAccountToken } from "../harness/metrics-scrape.js";
import { RawApi } from "../harness/raw-api.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
let ns = "";

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "cli");
});
afterAll(() => raw.close());

describe("dbfleet-operator run", () => {
  it("serves /healthz, /readyz and /metrics, leads, and exits 0 on SIGTERM with the lease released", async () => {
    // The operator's namespace is shared by every test file: a Lease of this file's own.
    const leaseName = `cli-${ns}`;
    const leasePath = `/apis/coordination.k8s.io/v1/namespaces/${OPERATOR_NAMESPACE}/leases/${leaseName}`;
    const token = await serviceAccountToken(raw, ns, "prometheus", true);
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
        `--lease-name=${leaseName}`,
        "--metrics-port=0",
        "--metrics-host=127.0.0.1",
        "--retry-period=200ms",
        "--identity=cli-test-replica",
        ...SIMULATOR_FLAGS,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await eventually("the start log line", () => /"metrics":"(https:[^"]+)"/.test(out), 20_000);
      const url = /"metrics":"(https:[^"]+)"/.exec(out)?.[1] ?? "";
      expect((await get(`${url}/healthz`)).status).toBe(200);
      await eventually("readyz 200", async () => (await get(`${url}/readyz`)).status === 200);
      const metrics = await scrape(url, token);
      expect(metrics).toContain(`workqueue_depth{name="tenantreplicaset"`);
      await eventually(
        "the lease held",
        async () =>
          (await raw.call<{ spec: { holderIdentity?: string } }>("GET", leasePath).catch(() => undefined))
            ?.spec.holderIdentity === "cli-test-replica",
      );
      await eventually("leader_election_master_status 1", async () =>
        (await scrape(url, token)).includes(`leader_election_master_status{name="${leaseName}"} 1`),
      );
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      const lease = await raw.call<{ spec: { holderIdentity?: string } }>("GET", leasePath);
      expect(lease.spec.holderIdentity).toBe("");
      expect(forbiddenIn(out)).toEqual([]);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("refuses a bad flag with a message naming it, and exits 64", async () => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(import.meta.dirname, "..", "..", "src", "cli", "main.ts"),
        "run",
        "--workers=lots",
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(code).toBe(64);
    expect(err).toContain("--workers:");
  });
});
