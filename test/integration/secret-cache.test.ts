// Only the Secrets sets reference through their connections are held with their data; the rest of the
// namespace's Secrets are known by metadata alone. A referenced Secret that changes, appears or moves (the
// set names another connection, or its connection another Secret) reaches the set's next reconcile, which
// always sees the Secret its connection names. The engine is wired as the operator wires it (the set
// depends on its DatabaseConnection, which names the Secret) and runs as deploy/'s identity.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DATABASE_CONNECTION_KIND, databaseConnection } from "../../src/api/connection.js";
import { secretsOfConnectionObject } from "../../src/connections/dependencies.js";
import { Manager } from "../../src/controller/manager.js";
import type { KubeObject } from "../../src/controller/resource.js";
import { OperatorMetrics } from "../../src/observability/metrics.js";
import { DATABASE_CONNECTION } from "../../src/reconcilers/resources.js";
import { obshellConnection } from "../harness/connections.js";
import { eventually, TRS_TYPE, trs } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor, OPERATOR_NAMESPACE } from "../harness/kube.js";
import { captureLog } from "../harness/log-capture.js";
import { RawApi } from "../harness/raw-api.js";
import { operatorKubeAccess } from "../harness/recommended-operator.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
let namespace = "";
let manager: Manager;
const log = captureLog();
/** What each reconcile of a set saw: its connection's Secret's `password`, decoded, or "missing". */
const seen: { key: string; password: string }[] = [];

type Trs = KubeObject & { spec: { connectionRef: { name: string } } };
const secretPath = (name = "") => `/api/v1/namespaces/${namespace}/secrets${name ? `/${name}` : ""}`;
const setPath = (name: string) =>
  `/apis/dbfleet.io/v1alpha1/namespaces/${namespace}/tenantreplicasets/${name}`;

async function putSecret(name: string, password: string): Promise<void> {
  const body = { apiVersion: "v1", kind: "Secret", metadata: { name, namespace }, stringData: { password } };
  await raw.call("POST", secretPath(), body).catch(async () => {
    const current = await raw.call<KubeObject>("GET", secretPath(name));
    await raw.call("PUT", secretPath(name), { ...body, metadata: current.metadata });
  });
}

/** A DatabaseConnection named after its Secret (`conn-<secret>`). */
const connectionTo = (secret: string) =>
  obshellConnection({ namespace, name: `conn-${secret}` }, "http://127.0.0.1:2886", secret);
/** A set whose connection reads `secret`. */
const withSecret = (name: string, secret: string) => trs(namespace, name, undefined, `conn-${secret}`);

beforeAll(async () => {
  namespace = await createTestNamespace(kubeConfigFor(kubeconfig), "secrets");
  // Unrelated Secrets with data, as Helm release records are.
  for (let i = 0; i < 5; i++)
    await raw.call("POST", secretPath(), {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `sh.helm.release.v1.app.v${i}`, namespace },
      data: { release: Buffer.from("x".repeat(10_000)).toString("base64") },
    });
  await putSecret("creds", "first");
  await putSecret("other", "other-pw");
  for (const secret of ["creds", "other", "late-creds"]) await raw.apply(connectionTo(secret));
  await raw.call(
    "POST",
    `/apis/dbfleet.io/v1alpha1/namespaces/${namespace}/tenantreplicasets`,
    withSecret("orders", "creds"),
  );
  manager = new Manager({
    kubeConfig: operatorKubeAccess(kubeconfig),
    logger: log.logger,
    metrics: new OperatorMetrics(),
    namespaces: [namespace],
  });
  const connections = manager.informersFor(DATABASE_CONNECTION);
  const connectionKey = (set: Trs) => `${set.metadata.namespace}/${set.spec.connectionRef.name}`;
  manager.addController<Trs>({
    name: "tenantreplicaset",
    type: TRS_TYPE,
    workers: 1,
    dependsOn: [
      {
        cache: connections,
        refsOf: (o) => [connectionKey(o)],
        secretsOf: (key, o) =>
          secretsOfConnectionObject(DATABASE_CONNECTION_KIND, key, o, OPERATOR_NAMESPACE),
      },
    ],
    reconciler: (ctx) => ({
      async reconcile({ key }) {
        const set = ctx.cache.get(key);
        const connection = databaseConnection.safeParse(set && connections.get(connectionKey(set)));
        const ref = connection.data?.spec.obshell?.credentialsSecretRef.name ?? "";
        const secret = ctx.secrets.get(`${namespace}/${ref}`) as { data?: { password?: string } } | undefined;
        const encoded = secret?.data?.password;
        seen.push({ key, password: encoded ? Buffer.from(encoded, "base64").toString() : "missing" });
        return {};
      },
    }),
  });
  await manager.start();
});

afterAll(async () => {
  await manager.stop(1_000);
  await raw.close();
});

const last = (name: string) => seen.filter((s) => s.key === `${namespace}/${name}`).at(-1)?.password;

describe("referenced Secrets", () => {
  it("are the only Secrets held with data, and the first reconcile already sees them", async () => {
    await eventually("the first reconcile", () => last("orders") !== undefined);
    expect(seen.find((s) => s.key === `${namespace}/orders`)?.password).toBe("first");
    expect(manager.secretCache?.size).toBe(1);
    expect(manager.secretCache?.get(`${namespace}/creds`)).toBeDefined();
    expect(manager.secretCache?.get(`${namespace}/sh.helm.release.v1.app.v0`)).toBeUndefined();
    // The others are known by metadata alone: the API server sent no data for them.
    const helm = manager.secretCache?.metadata.get(`${namespace}/sh.helm.release.v1.app.v0`);
    expect(helm?.metadata.name).toBe("sh.helm.release.v1.app.v0");
    expect(helm && "data" in helm).toBe(false);
  });

  it("requeue their set when they change", async () => {
    await putSecret("creds", "second");
    await eventually("a reconcile with the new password", () => last("orders") === "second", 5_000);
  });

  it("requeue a set within a second when the Secret it names is created later", async () => {
    await raw.call(
      "POST",
      `/apis/dbfleet.io/v1alpha1/namespaces/${namespace}/tenantreplicasets`,
      withSecret("late", "late-creds"),
    );
    await eventually("a reconcile without the Secret", () => last("late") === "missing");
    const created = Date.now();
    await putSecret("late-creds", "late-pw");
    await eventually("a reconcile with the late Secret", () => last("late") === "late-pw", 1_000);
    expect(Date.now() - created).toBeLessThan(1_000);
  });

  it("follow the set when it names another connection, and are forgotten when no set names them", async () => {
    const current = await raw.call<Trs>("GET", setPath("orders"));
    current.spec.connectionRef.name = "conn-other";
    await raw.call("PUT", setPath("orders"), current);
    await eventually("a reconcile with the other Secret", () => last("orders") === "other-pw");
    expect(manager.secretCache?.get(`${namespace}/creds`)).toBeUndefined();
    await raw.call("DELETE", setPath("late"));
    await eventually(
      "late-creds forgotten",
      () => manager.secretCache?.get(`${namespace}/late-creds`) === undefined,
    );
    expect(manager.secretCache?.size).toBe(1);
  });

  it("follow the connection when it names another Secret", async () => {
    await putSecret("rotated", "rotated-pw");
    await raw.apply(obshellConnection({ namespace, name: "conn-other" }, "http://127.0.0.1:2886", "rotated"));
    await eventually("a reconcile with the rotated Secret", () => last("orders") === "rotated-pw", 5_000);
    await eventually("other forgotten", () => manager.secretCache?.get(`${namespace}/other`) === undefined);
    expect(manager.secretCache?.size).toBe(1);
  });

  it("that are deleted are gone for the set's next reconcile", async () => {
    await raw.call("DELETE", secretPath("rotated"));
    await eventually("a reconcile without the Secret", () => last("orders") === "missing", 5_000);
  });

  it("were read as deploy/ grants the operator: never refused", () => {
    expect(log.forbidden()).toEqual([]);
  });
});
