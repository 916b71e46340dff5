// `make demo`: the demo's setup (scripts/demo-setup.ts, the same code test/integration/demo.test.ts runs)
// plus a live progress display; Ctrl-C stops it all. `--exit-when-settled` exits once every set is at
// the end state the README names (0), or after 10 minutes (1): for timing and repeated runs.
import { APPROVE_PLAN_ANNOTATION } from "../src/api/group.js";
import { DEMO_PROJECT } from "../test/simulators/seed.js";
import {
  approvalCommand,
  type Demo,
  type DemoSet,
  kubectlAsAdmin,
  startDemo,
  stateOf,
} from "./demo-setup.js";

const exitWhenSettled = process.argv.includes("--exit-when-settled");
const SETTLE_DEADLINE_MS = 10 * 60_000;
const started = Date.now();
const clock = () => new Date().toISOString().slice(11, 19);

let demo: Demo | undefined;
let progress: NodeJS.Timeout | undefined;
let stopping: Promise<void> | undefined;
const stopAll = (code: number) => {
  stopping ??= (async () => {
    if (progress) clearInterval(progress);
    await demo?.stop();
    process.exit(code);
  })();
  return stopping;
};
process.once("SIGINT", () => void stopAll(0));
process.once("SIGTERM", () => void stopAll(0));

try {
  demo = await startDemo();
} catch (error) {
  console.error(error);
  await stopAll(1);
}
const d = demo as Demo;
console.log(`
dbfleet demo is up (setup took ${((Date.now() - started) / 1000).toFixed(1)} s).
  kube-apiserver  ${d.plane.server}
  obshell sim     ${d.obshell.url}   (tenants: ${[...d.obshell.cluster.tenants.keys()].join(", ")})
  DCS sim         ${d.dcs.url}   (project ${DEMO_PROJECT}: ${d.dcs.instances(DEMO_PROJECT).length} instances)

Look around:
  export KUBECONFIG=${d.kubeconfig}
  kubectl get trs,ris -A
  kubectl get trs orders -o yaml
  curl ${d.metricsUrl}

Where each set ends: ${d.sets.map((s) => `${s.short}/${s.name} ${s.endState}`).join(", ")}.
Live progress follows; Ctrl-C stops everything.
`);

const seen = new Map<string, string>();
const approving = new Set<string>();
/** Sets at their end state in the last look. */
const settled = new Set<string>();

function line(set: DemoSet, status: Awaited<ReturnType<Demo["status"]>>): string {
  const st = status ?? {};
  const dag = st.dag ? ` DAG ${st.dag.id} ${st.dag.state} stage ${st.dag.stage}/${st.dag.maxStage}` : "";
  const d = st.deletions ?? [];
  const del =
    set.short === "ris"
      ? ` in scope ${st.observedCount ?? "?"}; deletions: ${d.filter((x) => x.result === "success").length} accepted, ${d.filter((x) => x.result === "failed").length} failed, ${d.filter((x) => x.goneAt).length} gone`
      : "";
  return `${set.short}/${set.name.padEnd(15)} ${(st.phase ?? "-").padEnd(11)} ${stateOf(status)}${dag}${del}`;
}

async function tick(): Promise<void> {
  for (const set of d.sets) {
    const status = await d.status(set);
    const text = line(set, status);
    if (seen.get(set.name) !== text) {
      seen.set(set.name, text);
      console.log(`${clock()}  ${text}`);
    }
    const command = approvalCommand(status);
    const hash = status?.pendingApproval?.hash;
    if (command && hash && !approving.has(hash)) {
      approving.add(hash);
      const message = status?.conditions?.find((c) => c.type === "Stalled")?.message ?? "";
      console.log(
        `          ${message}\n          demo: running that in 5 s, as a human would: kubectl ${command.join(" ")}`,
      );
      setTimeout(() => {
        kubectlAsAdmin(d, command)
          .catch(async (error: unknown) => {
            if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
            // No kubectl on this machine: the same annotation through the API.
            await d.admin.call(
              "PATCH",
              `/apis/dbfleet.io/v1alpha1/namespaces/${set.namespace}/${set.plural}/${set.name}`,
              { metadata: { annotations: { [APPROVE_PLAN_ANNOTATION]: hash } } },
              "application/merge-patch+json",
            );
            return `${set.short}/${set.name} annotated (no kubectl here: through the API)`;
          })
          .then(
            (out) => console.log(`${clock()}  ${out.trim()}`),
            (error: unknown) => console.error(`demo: approval failed: ${String(error)}`),
          );
      }, 5000);
    }
    if (stateOf(status) === set.endState) settled.add(set.name);
    else settled.delete(set.name);
  }
  if (exitWhenSettled && settled.size === d.sets.length) {
    console.log(
      `demo: every set at its end state ${((Date.now() - started) / 1000).toFixed(1)} s after start`,
    );
    await stopAll(0);
  }
  if (exitWhenSettled && Date.now() - started > SETTLE_DEADLINE_MS) {
    const missing = d.sets
      .filter((s) => !settled.has(s.name))
      .map((s) => `${s.short}/${s.name} (${seen.get(s.name)})`);
    console.error(`demo: not settled after ${SETTLE_DEADLINE_MS / 60_000} min: ${missing.join("; ")}`);
    await stopAll(1);
  }
}

let busy = false;
progress = setInterval(() => {
  if (busy || stopping) return;
  busy = true;
  tick()
    .catch(() => undefined)
    .finally(() => {
      busy = false;
    });
}, 500);
