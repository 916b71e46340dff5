// issue 24's two HIGH findings, as stories on the real API server: `plan` run by CI (an identity that may
// read Secrets) must never send a credential where the operator would not. A fake agent on loopback —
// allowlisted, so only plan's own rules keep it dry — records every request it receives, and must receive
// none: not when a user who may edit sets (but not read Secrets) pointed her live set inline at it, not
// for a manifest whose namespace walks into another team's with `..`.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type PlanRow, plan } from "../../src/cli/plan.js";
import { PlanExit } from "../../src/cli/plan-flags.js";
import { connectionRef, obshellConnection } from "../harness/connections.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { RawApi, type RawObject } from "../harness/raw-api.js";
import { ObshellSimulator } from "../simulators/obshell/server.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const PASSWORD = "plan-security-root";
const SA_TOKEN = "eyJhbGciOi.service-account-token-of-ci";
const TEAM_B_ROOT = "team-b-root-password";

/** An HTTP server that answers 404 to everything and remembers what it was sent. */
class FakeAgent {
  readonly received: { method: string; url: string; headers: IncomingMessage["headers"]; body: string }[] =
    [];
  private readonly server: Server;
  url = "";
  constructor() {
    this.server = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        this.received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
        res.writeHead(404).end();
      });
    });
  }
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async stop(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }
}

let obshell: ObshellSimulator;
let fake: FakeAgent;
let ns = "";
let dir = "";
let files = 0;
let teamA = "";
let teamB = "";

function set(namespace: string, name: string, connection: Record<string, unknown>): RawObject {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "TenantReplicaSet",
    metadata: { name, namespace },
    spec: { ...connection, tenant: "orders", zones: ["z1", "z2", "z3"] },
  };
}

/** An inline connection to `endpoint`, reading `secret`'s `key`. */
function inline(endpoint: string, secret: string, key = "password") {
  return { obshell: { endpoint, credentialsSecretRef: { name: secret, key }, allowInsecureHTTP: true } };
}

async function runPlan(docs: RawObject[], extra: string[] = []): Promise<{ code: number; rows: PlanRow[] }> {
  const file = join(dir, `plan-${files++}.yaml`);
  writeFileSync(file, docs.map((d) => JSON.stringify(d)).join("\n---\n"));
  let out = "";
  const code = await plan(
    ["-f", file, "-o", "json", "--kubeconfig", kubeconfig, "--allowed-endpoints", "127.0.0.1", ...extra],
    (t) => (out += t),
  );
  return { code, rows: JSON.parse(out) as PlanRow[] };
}

/** What the fake agent was sent, without the noise of headers: any entry is a failure. */
const sent = () => fake.received.map((r) => `${r.method} ${r.url} ${JSON.stringify(r.headers)} ${r.body}`);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "dbfleet-plansec-"));
  const kc = kubeConfigFor(kubeconfig);
  ns = await createTestNamespace(kc, "plansec");
  teamA = await createTestNamespace(kc, "team-a");
  teamB = await createTestNamespace(kc, "team-b");
  obshell = new ObshellSimulator({
    password: PASSWORD,
    seed: {
      zones: ["z1", "z2", "z3"].map((name) => ({ name, region: "hz" })),
      tenants: [{ name: "orders", zones: ["z1", "z2", "z3"] }],
    },
  });
  await obshell.start();
  fake = new FakeAgent();
  await fake.start();
  // Admin-owned: the connection sets should use, and Secrets no set's editor may read.
  await raw.apply(obshellConnection({ namespace: ns, name: "obshell" }, obshell.url));
  await raw.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "obshell", namespace: ns },
    stringData: { password: PASSWORD },
  });
  await raw.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "ci-token", namespace: ns },
    stringData: { token: SA_TOKEN },
  });
  await raw.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "obshell-b", namespace: teamB },
    stringData: { password: TEAM_B_ROOT },
  });
}, 60_000);

afterAll(async () => {
  await obshell?.stop();
  await fake?.stop();
  await raw.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("plan never sends a credential where the operator would not", () => {
  it("a live set edited to point inline at an agent: plan reads the manifest's spec, never the live one", async () => {
    fake.received.length = 0;
    // What the user did with `kubectl edit`: the live set now names her agent and CI's token.
    await raw.apply(set(ns, "orders", inline(fake.url, "ci-token", "token")));

    // The pull request's manifest, as reviewed: an inline block with a harmless endpoint.
    const harmless = set(ns, "orders", inline("https://obshell.example.invalid", "obshell"));
    const refused = await runPlan([harmless]);
    expect(sent()).toEqual([]);
    expect(refused.rows[0]).toMatchObject({
      step: "Stall",
      reason: "InlineConnectionRefused",
      observed: false,
      connection: "-",
      endpoint: "-",
    });
    expect(refused.code).toBe(PlanExit.Blind);

    // The manifest names the admin's connection: that one is used, and the table says so.
    const viaRef = await runPlan([set(ns, "orders", connectionRef("obshell"))]);
    expect(viaRef.rows[0]).toMatchObject({
      step: "Ready",
      observed: true,
      connection: `DatabaseConnection ${ns}/obshell`,
      endpoint: obshell.url,
    });
    expect(viaRef.code).toBe(PlanExit.Unchanged);

    // Inline allowed (as an operator run with --allow-inline-connections): still the manifest's block.
    const allowed = await runPlan(
      [set(ns, "orders", inline(obshell.url, "obshell"))],
      ["--allow-inline-connections=true"],
    );
    expect(allowed.rows[0]).toMatchObject({ step: "Ready", connection: "inline", endpoint: obshell.url });

    expect(sent()).toEqual([]);
  });

  it("a manifest whose namespace walks into another team's (team-b/obshell-b/../../team-a) is refused unread", async () => {
    fake.received.length = 0;
    // team-a's own live set points inline at team-a's agent.
    await raw.apply(set(teamA, "orders", inline(fake.url, "anything")));
    const traversal = set(
      `${teamB}/obshell-b/../../${teamA}`,
      "orders",
      inline("https://obshell.example.invalid", "x"),
    );
    for (const extra of [[], ["--allow-inline-connections=true"]]) {
      const outcome = await runPlan([traversal], extra).catch((error: unknown) => error);
      expect(sent()).toEqual([]);
      expect(String(outcome)).toMatch(/metadata\.namespace: .* must be a namespace name/);
    }
    // The same walk through a connectionRef name, or a name, never reaches a path either.
    const viaRef = set(`${teamB}/../${teamA}`, "orders", connectionRef("obshell"));
    await expect(runPlan([viaRef])).rejects.toThrow(/must be a namespace name/);
    expect(sent()).toEqual([]);
    expect(JSON.stringify(fake.received)).not.toContain(TEAM_B_ROOT);
  });
});
