// Issue 25, L2: a ClusterDatabaseConnection without allowedNamespaces (or with null) was open to every
// namespace. The field is now required, ["*"] spelled out for everyone. An object stored before the
// upgrade is not open to all: the set is Stalled with ConnectionInvalid naming spec.allowedNamespaces and
// the remote receives nothing, until the admin writes the field. The upgrade needs the old CRD, so this
// file runs its own API server (a CRD change on the shared one would reach every other file), with deploy/'s
// RBAC bound to the operator's identity there as the shared one has it, and the operator the README
// recommends (its kubeconfig's "operator" context, read as `run` reads it).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Operator } from "../../src/operator.js";
import { connectionRef, dcsConnection, startRecommendedOperator } from "../harness/connections.js";
import { type ControlPlane, startControlPlane } from "../harness/control-plane.js";
import { eventually, quietLogger } from "../harness/engine.js";
import {
  bindOperatorIdentity,
  crdDocuments,
  installCrds,
  kubeConfigFor,
  OPERATOR_NAMESPACE,
} from "../harness/kube.js";
import { RawApi, RawApiError, type RawObject } from "../harness/raw-api.js";
import { DcsSimulator } from "../simulators/dcs/server.js";

const AK = "AKUPGRADE00000000001";
const SK = "SKupgrade000000000000000000000000000000";
const PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const NS = "team-upgrade";
let plane: ControlPlane;
let raw: RawApi;
let dcs: DcsSimulator;
let operator: Operator | undefined;

type Condition = { type: string; status: string; reason: string; message: string };
type SetObject = RawObject & { status?: { conditions?: Condition[] } };
const setPath = `/apis/dbfleet.io/v1alpha1/namespaces/${NS}/redisinstancesets/cache`;
const connectionPath = "/apis/dbfleet.io/v1alpha1/clusterdatabaseconnections/shared";

/** The ClusterDatabaseConnection CRD as v1alpha1 had it before: allowedNamespaces optional. */
function crdsBeforeUpgrade(): RawObject[] {
  return crdDocuments().map((doc) => {
    if (doc.metadata.name !== "clusterdatabaseconnections.dbfleet.io") return doc;
    const old = structuredClone(doc) as RawObject & {
      spec: {
        versions: { schema: { openAPIV3Schema: { properties: { spec: { required?: string[] } } } } }[];
      };
    };
    for (const version of old.spec.versions) {
      const spec = version.schema.openAPIV3Schema.properties.spec;
      spec.required = (spec.required ?? []).filter((f) => f !== "allowedNamespaces");
      if (spec.required.length === 0) delete spec.required;
    }
    return old;
  });
}

async function condition(type: string): Promise<Condition | undefined> {
  const set = await raw.call<SetObject>("GET", setPath);
  return set.status?.conditions?.find((c) => c.type === type && c.status === "True");
}

beforeAll(async () => {
  plane = await startControlPlane();
  raw = new RawApi(plane.server, plane.caPem, plane.admin.token);
  const kc = kubeConfigFor(plane.kubeconfigPath);
  // Before the upgrade: the old CRD, and a connection that relied on "unset means every namespace".
  for (const doc of crdsBeforeUpgrade()) await raw.apply(doc);
  await eventually("the old CRD serves", async () =>
    raw.call("GET", "/apis/dbfleet.io/v1alpha1/clusterdatabaseconnections").then(
      () => true,
      () => false,
    ),
  );
  for (const name of [OPERATOR_NAMESPACE, NS])
    await raw.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  await raw.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "dcs", namespace: OPERATOR_NAMESPACE },
    stringData: { accessKey: AK, secretKey: SK },
  });
  dcs = new DcsSimulator({
    credentials: [{ accessKey: AK, secretKey: SK }],
    projects: { [PROJECT]: [{ name: "cache-a" }] },
  });
  await dcs.start();
  const old = dcsConnection({ cluster: "shared" }, dcs.url, PROJECT);
  delete (old.spec as { allowedNamespaces?: unknown }).allowedNamespaces;
  await raw.apply(old);
  // The upgrade.
  await installCrds(kc, raw);
  await bindOperatorIdentity(raw, plane.operator.user);
  operator = startRecommendedOperator(plane.kubeconfigPath, {
    logger: quietLogger,
    namespaces: [NS],
    operatorNamespace: OPERATOR_NAMESPACE,
  });
}, 120_000);

afterAll(async () => {
  await operator?.stop(2000);
  await dcs?.stop();
  await raw?.close();
  await plane?.stop();
});

describe("a ClusterDatabaseConnection stored without allowedNamespaces, after the upgrade", () => {
  it("is open to no one: ConnectionInvalid naming spec.allowedNamespaces, and DCS receives nothing", async () => {
    const stored = await raw.call<RawObject>("GET", connectionPath);
    expect(stored.spec).not.toHaveProperty("allowedNamespaces");
    await raw.apply({
      apiVersion: "dbfleet.io/v1alpha1",
      kind: "RedisInstanceSet",
      metadata: { name: "cache", namespace: NS },
      spec: {
        ...connectionRef("shared", "ClusterDatabaseConnection"),
        selector: { namePrefix: "cache-" },
        instances: ["cache-a"],
        pollInterval: "10m",
      },
    });
    await eventually("the set Stalled with ConnectionInvalid", async () => {
      return (await condition("Stalled"))?.reason === "ConnectionInvalid";
    });
    expect((await condition("Stalled"))?.message).toContain(
      'spec.allowedNamespaces: is required: list the namespaces whose sets may use this connection, or ["*"] for every namespace',
    );
    expect(dcs.log).toEqual([]);
  });

  it("the new CRD refuses the same object anew, and null, naming the field", async () => {
    for (const value of [undefined, null]) {
      const fresh = dcsConnection({ cluster: "fresh" }, dcs.url, PROJECT);
      (fresh.spec as { allowedNamespaces?: unknown }).allowedNamespaces = value;
      const error = await raw.apply(fresh).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RawApiError);
      expect((error as RawApiError).status).toBe(422);
      expect(String((error as RawApiError).message)).toContain("spec.allowedNamespaces");
    }
  });

  it('migrated with allowedNamespaces: ["*"], the set uses it', async () => {
    await raw.call(
      "PATCH",
      connectionPath,
      { spec: { allowedNamespaces: ["*"] } },
      "application/merge-patch+json",
    );
    await eventually("the set Ready", async () => (await condition("Ready")) !== undefined);
    expect(dcs.log.length).toBeGreaterThan(0);
  });
});
