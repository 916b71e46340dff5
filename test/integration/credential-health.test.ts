import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadAll } from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { KubeHttp } from "../../src/controller/kube-http.js";
import { CredentialHealth, dcsCredential, MAX_BAD_PER_WINDOW } from "../../src/fleet/credential-health.js";
import { CREDENTIAL_HEALTH_ANNOTATION, LeaseHealthStore } from "../../src/fleet/credential-store.js";
import { kubeConfigVia } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { RawApi, type RawObject } from "../harness/raw-api.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken, operatorUser } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
let namespace = "";
let http: KubeHttp;

const ENDPOINT = "https://dcs.eu-west-101.myhuaweicloud.eu";
const AK = "AKINTEGRATION0000001";
const wrong = dcsCredential(ENDPOINT, "p1", AK, "SKwrong-secret-value");
const right = dcsCredential(ENDPOINT, "p1", AK, "SKright-secret-value");
const T0 = Date.parse("2026-11-23T10:00:00Z");

beforeAll(async () => {
  namespace = await createTestNamespace(kubeConfigFor(kubeconfig), "credhealth");
  // The operator's own Lease Role from deploy/rbac.yaml, bound in this namespace: the store needs no more.
  const docs = loadAll(
    readFileSync(join(import.meta.dirname, "..", "..", "deploy", "rbac.yaml"), "utf8"),
  ) as RawObject[];
  const role = docs.find((d) => d.kind === "Role");
  if (!role) throw new Error("deploy/rbac.yaml has no Role");
  await raw.apply({ ...role, metadata: { ...role.metadata, namespace } });
  await raw.apply({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "credential-health-test", namespace },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: operatorUser }],
  });
  http = new KubeHttp(kubeConfigVia(kubeconfig, undefined, "operator"));
});
afterAll(async () => {
  await http.close();
  await raw.close();
});

const fail = () => Promise.reject(new Error("APIGW.0301 incorrect signature"));
const leasePath = (name: string) => `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`;

describe("credential health on a Lease, under the operator's RBAC", () => {
  it("survives a restart: the new process loads the failure and refuses without sending", async () => {
    let now = T0;
    const first = new CredentialHealth(new LeaseHealthStore(http, namespace, "restart"), () => now);
    await first.load();
    await expect(first.guard(wrong, fail, () => "auth")).rejects.toThrow("incorrect signature");

    now += 60_000;
    const second = new CredentialHealth(new LeaseHealthStore(http, namespace, "restart"), () => now);
    await second.load();
    let sent = 0;
    await expect(
      second.guard(
        wrong,
        async () => {
          sent++;
        },
        () => "auth",
      ),
    ).rejects.toMatchObject({ name: "CredentialRefusedError", decision: { reason: "failing" } });
    expect(sent).toBe(0);
    // A changed Secret is another digest: tried at once.
    await second.guard(
      right,
      async () => {
        sent++;
      },
      () => "auth",
    );
    expect(sent).toBe(1);

    // What is stored holds digests only: no AK, no SK, no endpoint in clear.
    const lease = (await raw.call("GET", leasePath("restart"))) as RawObject;
    const stored = JSON.stringify(lease);
    expect(stored).toContain(CREDENTIAL_HEALTH_ANNOTATION);
    for (const clear of [AK, "SKwrong-secret-value", "SKright-secret-value", "eu-west-101"])
      expect(stored).not.toContain(clear);
  });

  it("two processes writing at once both keep their records (resourceVersion conflicts are merged)", async () => {
    const now = T0;
    const a = new CredentialHealth(new LeaseHealthStore(http, namespace, "shared"), () => now);
    const b = new CredentialHealth(new LeaseHealthStore(http, namespace, "shared"), () => now);
    await Promise.all([a.load(), b.load()]);
    const other = dcsCredential(ENDPOINT, "p2", "AKOTHER000000000002", "SKother");
    // Both reserve and write from the same (empty) version: one of the writes conflicts and merges.
    await Promise.all([
      a.guard(wrong, fail, () => "auth").catch(() => undefined),
      b.guard(other, fail, () => "auth").catch(() => undefined),
    ]);
    const c = new CredentialHealth(new LeaseHealthStore(http, namespace, "shared"), () => now + 1_000);
    await c.load();
    expect(c.mayAttempt(wrong)).toMatchObject({ ok: false, reason: "failing" });
    expect(c.mayAttempt(other)).toMatchObject({ ok: false, reason: "failing" });
  });

  it("four processes probing one AK at once send at most the budget between them", async () => {
    let sent = 0;
    const now = T0;
    const processes = [1, 2, 3, 4].map(
      () => new CredentialHealth(new LeaseHealthStore(http, namespace, "race"), () => now),
    );
    await Promise.all(processes.map((p) => p.load()));
    const secrets = [1, 2, 3, 4].map((i) => dcsCredential(ENDPOINT, "p1", AK, `SKdifferent-${i}`));
    await Promise.all(
      processes.map((p, i) =>
        p
          .guard(
            secrets[i] ?? wrong,
            async () => {
              sent++;
              throw new Error("bad signature");
            },
            () => "auth",
          )
          .catch(() => undefined),
      ),
    );
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThanOrEqual(MAX_BAD_PER_WINDOW);
  });

  it("replaces a hand-broken annotation, saying why, instead of failing to start", async () => {
    await raw.apply({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: "broken", namespace, annotations: { [CREDENTIAL_HEALTH_ANNOTATION]: "{not json" } },
      spec: {},
    });
    const store = new LeaseHealthStore(http, namespace, "broken");
    const health = new CredentialHealth(store, () => T0);
    await health.load();
    expect(store.lastReadProblem).toContain(CREDENTIAL_HEALTH_ANNOTATION);
    await health.guard(wrong, fail, () => "auth").catch(() => undefined);
    const again = new LeaseHealthStore(http, namespace, "broken");
    expect((await again.read())?.state.budgets[wrong.budgetKey]).toHaveLength(1);
    expect(again.lastReadProblem).toBeUndefined();
  });
});
