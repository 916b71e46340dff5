// `make demo`: a local Kubernetes (the envtest harness), both simulators seeded with a demo fleet,
// the CRDs and the examples applied; runs until Ctrl-C, which stops everything it started.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadAll } from "js-yaml";
import { startControlPlane } from "../test/harness/control-plane.js";
import { installCrds, kubeConfigFor } from "../test/harness/kube.js";
import { RawApi, type RawObject } from "../test/harness/raw-api.js";
import { DcsSimulator } from "../test/simulators/dcs/server.js";
import { ObshellSimulator } from "../test/simulators/obshell/server.js";
import { DEMO_PROJECT, demoDcsSeed, demoObshellSeed } from "../test/simulators/seed.js";

const OBSHELL_PASSWORD = "demo-root-password";
const DCS = { accessKey: "AKDEMO00000000000001", secretKey: "SKdemo000000000000000000000000000000000" };

const plane = await startControlPlane();
const obshell = new ObshellSimulator({ password: OBSHELL_PASSWORD, seed: demoObshellSeed, stageMs: 2000 });
const dcs = new DcsSimulator({ credentials: [DCS], projects: demoDcsSeed(), deleteDelayMs: 3000 });
const stopAll = async () => {
  await obshell.stop();
  await dcs.stop();
  await plane.stop();
};
process.once("SIGINT", () => void stopAll().then(() => process.exit(0)));
process.once("SIGTERM", () => void stopAll().then(() => process.exit(0)));

try {
  await obshell.start();
  await dcs.start();
  const raw = new RawApi(plane.server, plane.caPem, plane.admin.token);
  await installCrds(kubeConfigFor(plane.kubeconfigPath), raw);
  // The examples, pointed at the simulators.
  const root = join(import.meta.dirname, "..");
  for (const file of ["examples/tenant-replica-set.yaml", "examples/redis-instance-set.yaml"]) {
    for (const doc of loadAll(readFileSync(join(root, file), "utf8")) as RawObject[]) {
      if (doc.kind === "Secret") {
        doc.stringData = doc.metadata.name.startsWith("obshell")
          ? { password: OBSHELL_PASSWORD }
          : { accessKey: DCS.accessKey, secretKey: DCS.secretKey };
      }
      const spec = doc.spec as
        | { obshell?: { endpoint: string }; dcs?: { endpoint: string; projectId: string } }
        | undefined;
      if (spec?.obshell) spec.obshell.endpoint = obshell.url;
      if (spec?.dcs) {
        spec.dcs.endpoint = dcs.url;
        spec.dcs.projectId = DEMO_PROJECT;
      }
      await raw.apply(doc);
    }
  }
  await raw.close();
  const kubeconfig = join(process.cwd(), ".demo-kubeconfig");
  writeFileSync(kubeconfig, readFileSync(plane.kubeconfigPath));
  console.log(`
dbfleet demo is up.
  kube-apiserver  ${plane.server}
  obshell sim     ${obshell.url}   (tenants: ${[...obshell.cluster.tenants.keys()].join(", ")})
  DCS sim         ${dcs.url}   (project ${DEMO_PROJECT}: ${dcs.instances(DEMO_PROJECT).length} instances)

Look around:
  export KUBECONFIG=${kubeconfig}
  kubectl get trs,ris -A
  kubectl get trs orders -o yaml

Ctrl-C stops everything.`);
} catch (error) {
  console.error(error);
  await stopAll();
  process.exit(1);
}
