// The README's "Adopting an existing fleet" commands, run as written (`bash -eo pipefail`) against the
// test API server and the simulators: the connections of namespace `shop` that the snippet names, the
// `dbfleet-operator` of this checkout on the PATH, the real kubectl, ALLOWED as the snippet asks.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { dcsConnection, obshellConnection } from "../harness/connections.js";
import { RawApi, type RawObject } from "../harness/raw-api.js";
import { installCliShim, readmeBlock, runBash } from "../harness/readme-shell.js";
import { DcsSimulator } from "../simulators/dcs/server.js";
import { destructiveCalls } from "../simulators/destructive-calls.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
/** The namespace the snippet names. */
const NS = "shop";
const PASSWORD = "shop-root-password";
const AK = "AKSHOP000000000000001";
const SK = "SKshop0000000000000000000000000000000000";
const PROJECT = "5e6f708192a3b4c5d6e7f8091a2b3c4d";
let dir = "";
let bin = "";
let obshell: ObshellSimulator;
let dcs: DcsSimulator;

/** The fenced sh block of README.md whose first line is `# <name>`. */
const snippet = (name: string): string => readmeBlock("sh", name);

const bash = (script: string, cwd: string, env: Record<string, string>) => runBash(script, { cwd, env, bin });

const secret = (name: string, data: Record<string, string>): RawObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace: NS },
  stringData: data,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "dbfleet-adopt-"));
  obshell = new ObshellSimulator({
    password: PASSWORD,
    seed: {
      zones: ["z1", "z2", "z3"].map((name) => ({ name, region: "hz" })),
      tenants: [
        { name: "orders", zones: ["z1", "z2", "z3"] },
        { name: "Pay_EU", zones: ["z1", "z2"] },
      ],
    },
  });
  await obshell.start();
  dcs = new DcsSimulator({
    credentials: [{ accessKey: AK, secretKey: SK }],
    projects: { [PROJECT]: ["cache-1", "cache-2", "web-1"].map((name) => ({ name })) },
  });
  await dcs.start();
  await raw.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
  await raw.apply(secret("obshell-prod", { password: PASSWORD }));
  await raw.apply(secret("dcs-prod", { accessKey: AK, secretKey: SK }));
  await raw.apply(obshellConnection({ namespace: NS, name: "obshell-prod" }, obshell.url, "obshell-prod"));
  await raw.apply(dcsConnection({ namespace: NS, name: "dcs-prod" }, dcs.url, PROJECT, "dcs-prod"));
  bin = installCliShim(dir);
}, 60_000);

afterAll(async () => {
  await obshell?.stop();
  await dcs?.stop();
  await raw.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("README: Adopting an existing fleet", () => {
  it("its commands import, re-check and apply the shop fleet, changing nothing remote", async () => {
    const repo = mkdtempSync(join(dir, "repo-"));
    const { code, out } = await bash(snippet("adopt.sh"), repo, {
      ALLOWED: "127.0.0.1",
      KUBECONFIG: kubeconfig,
    });
    expect(code, out).toBe(0);
    expect(readdirSync(join(repo, "fleet", NS, "tenants")).sort()).toEqual([
      "kustomization.yaml",
      "tenantreplicaset-orders.yaml",
      "tenantreplicaset-pay-eu.yaml",
    ]);
    const trs = await raw.call<{ items: { spec: { tenant: string; zones: string[] } }[] }>(
      "GET",
      `/apis/dbfleet.io/v1alpha1/namespaces/${NS}/tenantreplicasets`,
    );
    expect(trs.items.map((i) => [i.spec.tenant, i.spec.zones])).toEqual([
      ["orders", ["z1", "z2", "z3"]],
      ["Pay_EU", ["z1", "z2"]],
    ]);
    const ris = await raw.call<{ items: { metadata: { name: string }; spec: { instances: string[] } }[] }>(
      "GET",
      `/apis/dbfleet.io/v1alpha1/namespaces/${NS}/redisinstancesets`,
    );
    expect(ris.items.map((i) => [i.metadata.name, i.spec.instances])).toEqual([
      ["cache", ["cache-1", "cache-2"]],
    ]);
    expect(destructiveCalls({ obshell: obshell.log, dcs: dcs.log })).toEqual([]);
    expect([...obshell.log, ...dcs.log].filter((e) => e.method !== "GET")).toEqual([]);
  }, 120_000);
});
