// The design minimum (issue 29): the least any controller can do between a spec change and the DELETE while
// keeping the safety model's serial steps: see the change on a watch, read the tenant and its unfinished DAGs
// (in parallel, through the same obshell client), write the intent to status (one API-server write), then send
// the DELETE. No informer cache, queue, fleet view, approvals, events or metrics. The latency bench times it
// against the same API server and simulator as the operator, sample for sample, so a ratio of the two says what
// the operator's own machinery costs, whatever the machine's load.
import { createInterface } from "node:readline";
import { KubeHttp } from "../src/controller/kube-http.js";
import { ObshellClient } from "../src/providers/obshell/client.js";
import { kubeConfigVia } from "../test/harness/engine.js";

const TRS = "/apis/dbfleet.io/v1alpha1/namespaces";

interface MinimalSet {
  metadata: { name: string; generation: number; resourceVersion: string };
  spec: { tenant: string; zones: string[] };
}

export interface DesignMinimum {
  /** Spec changes it acted on (a DELETE sent). */
  readonly deletes: number;
  stop(): Promise<void>;
}

/** Watches `ns`'s TenantReplicaSets and removes, for each new generation, the zones its spec no longer names. */
export async function startDesignMinimum(options: {
  kubeconfigPath: string;
  ns: string;
  obshellUrl: string;
  password: string;
}): Promise<DesignMinimum> {
  const http = new KubeHttp(kubeConfigVia(options.kubeconfigPath, undefined, "operator"));
  const client = new ObshellClient({ endpoint: options.obshellUrl, password: () => options.password });
  const abort = new AbortController();
  const handled = new Map<string, number>();
  let deletes = 0;

  const list = await http.json<{ metadata: { resourceVersion: string }; items: MinimalSet[] }>(
    `${TRS}/${options.ns}/tenantreplicasets`,
  );
  for (const item of list.items) handled.set(item.metadata.name, item.metadata.generation);

  const act = async (set: MinimalSet): Promise<void> => {
    const [tenant, unfinished] = await Promise.all([
      client.getTenant(set.spec.tenant),
      client.unfinishedDags(),
    ]);
    if (unfinished.some((d) => d.maintenance_key === set.spec.tenant)) return;
    const victims = tenant.replicas.map((r) => r.zone).filter((z) => !set.spec.zones.includes(z));
    if (victims.length === 0) return;
    // The intent, written before the destructive call as the safety model requires.
    await http.json(`${TRS}/${options.ns}/tenantreplicasets/${set.metadata.name}/status`, {
      method: "PATCH",
      contentType: "application/merge-patch+json",
      body: {
        status: {
          operation: {
            kind: "RemoveZones",
            zones: victims,
            tenant: set.spec.tenant,
            startedAt: new Date().toISOString(),
          },
        },
      },
    });
    await client.deleteReplicas(set.spec.tenant, victims);
    deletes++;
  };

  const res = await http.raw(`${TRS}/${options.ns}/tenantreplicasets`, {
    query: { watch: 1, resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: false },
    signal: abort.signal,
    watch: { idleMs: 10 * 60_000 },
  });
  res.body.on("error", () => {});
  const lines = createInterface({ input: res.body });
  lines.on("error", () => {});
  lines.on("line", (line) => {
    const event = JSON.parse(line) as { type: string; object: MinimalSet };
    if (event.type !== "ADDED" && event.type !== "MODIFIED") return;
    const set = event.object;
    // Its own status write comes back as an event of the same generation: nothing new to do.
    if ((handled.get(set.metadata.name) ?? 0) >= set.metadata.generation) return;
    handled.set(set.metadata.name, set.metadata.generation);
    void act(set).catch((error: unknown) =>
      console.error(`design minimum: ${set.metadata.name}: ${String(error)}`),
    );
  });
  return {
    get deletes() {
      return deletes;
    },
    async stop() {
      abort.abort();
      await http.close();
      await client.close();
    },
  };
}
