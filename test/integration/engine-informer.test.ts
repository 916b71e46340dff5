import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Informer, type InformerEvent } from "../../src/controller/informer.js";
import { KubeHttp } from "../../src/controller/kube-http.js";
import type { KubeObject } from "../../src/controller/resource.js";
import { eventually, kubeConfigVia, quietLogger, TRS_TYPE, trs } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { RawApi } from "../harness/raw-api.js";
import { TcpProxy } from "../harness/tcp-proxy.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const apiPort = Number(new URL(server).port);
let namespace = "";
let proxy: TcpProxy;
let http: KubeHttp;

beforeAll(async () => {
  namespace = await createTestNamespace(kubeConfigFor(kubeconfig), "informer");
  proxy = new TcpProxy("127.0.0.1", apiPort);
  const port = await proxy.start();
  http = new KubeHttp(kubeConfigVia(kubeconfig, `https://127.0.0.1:${port}`));
});
afterAll(async () => {
  await http.close();
  await proxy.stop();
  await raw.close();
});

function informer(options: Partial<ConstructorParameters<typeof Informer>[1]> = {}) {
  const inf = new Informer<KubeObject>(http, { type: TRS_TYPE, namespace, logger: quietLogger, ...options });
  const events: InformerEvent<KubeObject>[] = [];
  inf.on((e) => events.push(e));
  return { inf, events };
}

const path = (name: string) => `/apis/dbfleet.io/v1alpha1/namespaces/${namespace}/tenantreplicasets/${name}`;

async function setZones(name: string, zones: string[]): Promise<void> {
  await raw.call("PATCH", path(name), { spec: { zones } }, "application/merge-patch+json");
}

describe("informer on a real API server", () => {
  it("is synced only after a successful list, then sees changes through the watch", async () => {
    await raw.apply(trs(namespace, "alpha"));
    const { inf, events } = informer();
    expect(inf.hasSynced).toBe(false);
    inf.start();
    await inf.waitForSync();
    expect(inf.get(`${namespace}/alpha`)?.metadata.name).toBe("alpha");
    await setZones("alpha", ["z1"]);
    await eventually("the update", () =>
      events.some((e) => e.type === "updated" && e.key === `${namespace}/alpha`),
    );
    await inf.stop();
  });

  it("reconnects after the connection is cut and loses no event", async () => {
    await raw.apply(trs(namespace, "beta"));
    const { inf, events } = informer();
    inf.start();
    await inf.waitForSync();
    // The watch counts itself before its request is out: only a change it delivered shows it open, so the
    // cut below reaches it and not just the list's idle connection (on a loaded machine it did not).
    await setZones("beta", ["z9"]);
    await eventually(
      "a change through the open watch",
      () =>
        (inf.get(`${namespace}/beta`) as { spec?: { zones?: string[] } } | undefined)?.spec?.zones?.[0] ===
        "z9",
    );
    expect(proxy.cutAll()).toBeGreaterThan(0);
    // Changes made while the informer is reconnecting arrive all the same.
    await setZones("beta", ["z3"]);
    await raw.apply(trs(namespace, "gamma"));
    await eventually("beta updated and gamma added", () => {
      const beta = inf.get(`${namespace}/beta`) as { spec?: { zones?: string[] } } | undefined;
      return (
        beta?.spec?.zones?.[0] === "z3" &&
        events.some((e) => e.type === "added" && e.key === `${namespace}/gamma`)
      );
    });
    expect(inf.stats.watches).toBeGreaterThanOrEqual(2);
    await inf.stop();
  });

  it("restarts a watch that went silent (half-open connection) within the idle timeout", async () => {
    const { inf } = informer({ idleTimeoutMs: 1500 });
    inf.start();
    await inf.waitForSync();
    // As above: frozen only once a change through the watch shows it open.
    await setZones("alpha", ["z8"]);
    await eventually(
      "a change through the open watch",
      () =>
        (inf.get(`${namespace}/alpha`) as { spec?: { zones?: string[] } } | undefined)?.spec?.zones?.[0] ===
        "z8",
    );
    proxy.freezeOpenConnections();
    await setZones("alpha", ["z2", "z3"]);
    await eventually(
      "the change after the idle restart",
      () =>
        (inf.get(`${namespace}/alpha`) as { spec?: { zones?: string[] } } | undefined)?.spec?.zones
          ?.length === 2,
      10_000,
    );
    expect(inf.stats.idleRestarts).toBeGreaterThanOrEqual(1);
    await inf.stop();
  });

  it("relists on 410 Gone and emits what changed meanwhile, deletions included", async () => {
    await raw.apply(trs(namespace, "doomed"));
    const { inf, events } = informer();
    inf.start();
    await inf.waitForSync();
    // Watch from a resourceVersion long compacted out of the watch cache: the API server answers 410.
    (inf as unknown as { resourceVersion: string }).resourceVersion = "1";
    await raw.call("DELETE", path("doomed"));
    proxy.cutAll();
    await eventually("the relist after 410", () => inf.stats.relistsOnGone >= 1);
    await eventually("the deletion", () =>
      events.some((e) => e.type === "deleted" && e.key === `${namespace}/doomed`),
    );
    expect(inf.get(`${namespace}/doomed`)).toBeUndefined();
    await inf.stop();
  });

  it("keeps an index by referenced connection up to date", async () => {
    const { inf } = informer();
    inf.addIndex("connection", (o) => [
      String((o as { spec?: { connectionRef?: { name?: string } } }).spec?.connectionRef?.name),
    ]);
    inf.start();
    await inf.waitForSync();
    expect(
      inf
        .byIndex("connection", "obshell")
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(
      inf
        .list()
        .map((o) => o.metadata.name)
        .sort(),
    );
    await raw.call(
      "PATCH",
      path("alpha"),
      { spec: { connectionRef: { name: "rotated" } } },
      "application/merge-patch+json",
    );
    await eventually(
      "alpha moved to the rotated index",
      () => inf.byIndex("connection", "rotated").length === 1,
    );
    expect(inf.byIndex("connection", "obshell").some((o) => o.metadata.name === "alpha")).toBe(false);
    await inf.stop();
  });
});
