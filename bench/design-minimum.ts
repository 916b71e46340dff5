// The design minimum (issue 29): the least any controller can do between a spec change and the DELETE while
// keeping the safety model's serial steps: see the change on a watch, read the tenant and its unfinished DAGs
// (in parallel, through the same obshell client), ask the agent again which cluster it belongs to (a call goes
// only to the cluster it was planned for, and the reads are known to come from that cluster only once the
// agent still names it after them: docs/safety-matrix.md row 25), write the intent bound to that cluster and
// endpoint, with the disruption the fleet's budgets count, to status (one API-server write), then send the
// DELETE. Its status is what the design's status conventions require of any controller of the kind (kstatus,
// so `kubectl wait`, Argo CD and Flux work): observedGeneration, the Ready and Reconciling conditions, the
// observed zones, the intent, then the DAG as soon as obshell answers with it. So both sides' objects cost the
// API server alike as far as the design asks, and what the operator's status holds beyond that is the
// operator's to pay for. No informer cache, queue, fleet view, approvals, events or metrics. The latency bench
// times it against the same API server and simulator as the operator, sample for sample, so a ratio of the
// two says what the operator's own machinery costs, whatever the machine's load.
import { createInterface } from "node:readline";
import type { Condition } from "../src/api/common.js";
import type { Disruption } from "../src/api/fleet-disruption-budget.js";
import { removeCondition, setCondition } from "../src/controller/conditions.js";
import { loadKubeAccess } from "../src/controller/kube-access.js";
import { KubeHttp } from "../src/controller/kube-http.js";
import { ObshellClient } from "../src/providers/obshell/client.js";
import { spendBudget } from "../src/reconcilers/engine/disruptions.js";
import { obshellRemote } from "../src/reconcilers/remote-identity.js";
import { dagMirror } from "../src/reconcilers/tenant/transitions.js";

const TRS = "/apis/dbfleet.io/v1alpha1/namespaces";
/** Sets brought to their first status at once: the bench operator's worker count. */
const INITIAL_WORKERS = 8;

interface MinimalSet {
  metadata: { name: string; generation: number; resourceVersion: string };
  spec: { tenant: string; zones: string[] };
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    zones?: string[];
    disruptions?: Disruption[];
  };
}

export interface DesignMinimum {
  /** Spec changes it acted on (a DELETE sent). */
  readonly deletes: number;
  /**
   * Resolves once the set's `generation` (or a later one) was handled: acted on, or found nothing to do. A
   * sample waits for it after putting a zone back, so its reaction does not overlap the next sample.
   */
  settled(name: string, generation: number): Promise<void>;
  stop(): Promise<void>;
}

/** Watches `ns`'s TenantReplicaSets and removes, for each new generation, the zones its spec no longer names. */
export async function startDesignMinimum(options: {
  kubeconfigPath: string;
  ns: string;
  obshellUrl: string;
  password: string;
}): Promise<DesignMinimum> {
  // The kubeconfig read as the operator's party reads it (test/harness/recommended-operator.ts), so neither
  // side carries client-node's modules and the two processes' heaps differ only by what each pipeline holds.
  const http = new KubeHttp(await loadKubeAccess({ path: options.kubeconfigPath, context: "operator" }));
  const client = new ObshellClient({ endpoint: options.obshellUrl, password: () => options.password });
  const abort = new AbortController();
  const handled = new Map<string, number>();
  /** Per set, the generation last acted on (or found nothing to do for) and who waits for one. */
  const done = new Map<string, number>();
  const waiting = new Map<string, { generation: number; resolve: () => void }[]>();
  const finished = (name: string, generation: number) => {
    done.set(name, Math.max(done.get(name) ?? 0, generation));
    const left = (waiting.get(name) ?? []).filter((w) => {
      if (w.generation > generation) return true;
      w.resolve();
      return false;
    });
    waiting.set(name, left);
  };
  let deletes = 0;
  // The cluster this agent belongs to, as the operator learns it once and records with each intent.
  const cluster = await client.clusterIdentity();

  const writeStatus = (name: string, status: Record<string, unknown>) =>
    http.json(`${TRS}/${options.ns}/tenantreplicasets/${name}/status`, {
      method: "PATCH",
      contentType: "application/merge-patch+json",
      body: { status },
    });

  const act = async (set: MinimalSet): Promise<void> => {
    const [tenant, unfinished] = await Promise.all([
      client.getTenant(set.spec.tenant),
      client.unfinishedDags(),
    ]);
    if (unfinished.some((d) => d.maintenance_key === set.spec.tenant)) return;
    const zones = tenant.replicas.map((r) => r.zone);
    const victims = zones.filter((z) => !set.spec.zones.includes(z));
    const generation = set.metadata.generation;
    const status = set.status ?? {};
    const now = new Date();
    if (victims.length === 0) {
      // Converged: Ready for this generation (written only when that changes, as any controller would).
      const ready = status.conditions?.find((c) => c.type === "Ready");
      if (
        ready?.status === "True" &&
        ready.observedGeneration === generation &&
        status.zones?.join() === zones.join()
      )
        return;
      await writeStatus(set.metadata.name, {
        observedGeneration: generation,
        conditions: setCondition(
          removeCondition(status.conditions, "Reconciling"),
          {
            type: "Ready",
            status: "True",
            reason: "Ready",
            message: `tenant ${set.spec.tenant} has replicas in ${zones.join(", ")}`,
          },
          generation,
          now,
        ),
        zones,
        operation: null,
      });
      return;
    }
    // After the reads: they came from the cluster the plan is for only if the agent still names it.
    const asked = await client.clusterIdentity();
    if (asked.id !== cluster.id || asked.name !== cluster.name) return;
    const remote = obshellRemote(cluster);
    const removing = `removing ${victims.join(", ")} from tenant ${set.spec.tenant}`;
    // The intent, written before the destructive call as the safety model requires: bound to the cluster
    // and endpoint it goes to, with the disruption the fleet's budgets count added to those of the last
    // day (the history a budget created now counts, kept as the operator keeps it).
    const { disruptions } = spendBudget(
      { disruptions: status.disruptions ?? [] },
      { unit: "zones", count: victims.length, remote },
      now,
    );
    const conditions = setCondition(
      setCondition(
        status.conditions,
        { type: "Ready", status: "False", reason: "RemovingZones", message: removing },
        generation,
        now,
      ),
      { type: "Reconciling", status: "True", reason: "RemovingZones", message: removing },
      generation,
      now,
    );
    await writeStatus(set.metadata.name, {
      observedGeneration: generation,
      conditions,
      zones,
      operation: {
        kind: "RemoveZones",
        zones: victims,
        tenant: set.spec.tenant,
        endpoint: options.obshellUrl,
        remote,
        generation,
        startedAt: now.toISOString(),
      },
      dag: null,
      disruptions,
    });
    const result = await client.deleteReplicas(set.spec.tenant, victims);
    deletes++;
    // Then the remote task, as soon as it answers.
    if (result.kind === "dag")
      await writeStatus(set.metadata.name, {
        operation: { dagId: result.dag.id },
        dag: dagMirror(result.dag),
      });
  };

  const handle = (set: MinimalSet): Promise<void> => {
    // Its own status write comes back as an event of the same generation: nothing new to do.
    if ((handled.get(set.metadata.name) ?? 0) >= set.metadata.generation) return Promise.resolve();
    handled.set(set.metadata.name, set.metadata.generation);
    return act(set)
      .catch((error: unknown) => console.error(`design minimum: ${set.metadata.name}: ${String(error)}`))
      .finally(() => finished(set.metadata.name, set.metadata.generation));
  };

  /**
   * Lists, then watches from the list. The API server may end the watch (a watcher it finds slow while the
   * bench creates thousands of sets): then it lists again, acts on what changed meanwhile, and watches on.
   */
  const listAndWatch = async (): Promise<void> => {
    const list = await http.json<{ metadata: { resourceVersion: string }; items: MinimalSet[] }>(
      `${TRS}/${options.ns}/tenantreplicasets`,
    );
    // The first time, every set is brought to the status the design requires (Ready, its zones), as a
    // controller starting does, before the first sample; later, what changed while the watch was down. A few
    // at a time, as a controller's workers: 2,000 writes at once get 429 from the API server's in-flight
    // limit, and a set left without its status would not have the shape the bench measures.
    const pending = [...list.items];
    await Promise.all(
      Array.from({ length: INITIAL_WORKERS }, async () => {
        for (let set = pending.shift(); set; set = pending.shift()) await handle(set);
      }),
    );
    const res = await http.raw(`${TRS}/${options.ns}/tenantreplicasets`, {
      query: { watch: 1, resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: false },
      signal: abort.signal,
      watch: { idleMs: 10 * 60_000 },
    });
    if (res.statusCode !== 200) throw new Error(`design minimum: watch answered ${res.statusCode}`);
    res.body.on("error", () => {});
    res.body.once("close", () => {
      if (abort.signal.aborted) return;
      listAndWatch().catch((error: unknown) => console.error(`design minimum: ${String(error)}`));
    });
    const lines = createInterface({ input: res.body });
    lines.on("error", () => {});
    lines.on("line", (line) => {
      const event = JSON.parse(line) as { type: string; object: MinimalSet };
      if (event.type === "ADDED" || event.type === "MODIFIED") void handle(event.object);
    });
  };
  await listAndWatch();
  return {
    get deletes() {
      return deletes;
    },
    settled(name, generation) {
      if ((done.get(name) ?? 0) >= generation) return Promise.resolve();
      return new Promise((resolve) => {
        waiting.set(name, [...(waiting.get(name) ?? []), { generation, resolve }]);
      });
    },
    async stop() {
      abort.abort();
      await http.close();
      await client.close();
    },
  };
}
