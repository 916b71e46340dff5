// Which namespace a set lands in, `plan` against the real kubectl: for each case the same manifest, flags
// and kubeconfig go to `kubectl apply --dry-run=server -o json` (the API server reports the namespace it
// used, or kubectl refuses) and to `plan`; both must agree, refusals included. The set is paused, so plan
// makes no remote call: the namespace is the only thing compared.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump } from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type PlanRow, plan } from "../../src/cli/plan.js";
import { connectionRef } from "../harness/connections.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { kubectl } from "../harness/kubectl.js";

const harnessKubeconfig = inject("kubeconfig");
let dir = "";
/** Namespaces of the cases: one a manifest names, one the flag names, one the context names. */
const ns = { manifest: "", flag: "", context: "", other: "" };
/** Kubeconfigs: the harness's with the admin context's namespace set, and without. */
const kubeconfigs = { withNs: "", withoutNs: "" };

interface Kubeconfig {
  contexts: { name: string; context: Record<string, string> }[];
}
let harnessConfig: Kubeconfig;

/** The harness kubeconfig, its admin context given `namespace`, plus a context `elsewhere` in ns.other. */
function writeKubeconfig(name: string, namespace: string | undefined): string {
  const config = structuredClone(harnessConfig);
  const admin = config.contexts.find((c) => c.name === "admin");
  if (!admin) throw new Error("the harness kubeconfig has no admin context");
  if (namespace) admin.context.namespace = namespace;
  config.contexts.push({ name: "elsewhere", context: { ...admin.context, namespace: ns.other } });
  const path = join(dir, name);
  writeFileSync(path, dump(config));
  return path;
}

function set(namespace: string | undefined): Record<string, unknown> {
  return {
    apiVersion: "dbfleet.io/v1alpha1",
    kind: "TenantReplicaSet",
    metadata: { name: "orders", ...(namespace === undefined ? {} : { namespace }) },
    spec: { ...connectionRef("obshell"), tenant: "orders", zones: ["z1"], paused: true },
  };
}

interface Case {
  name: string;
  /** The manifest's metadata.namespace: absent, empty, or a key of `ns`. */
  manifest?: keyof typeof ns | "";
  flag?: keyof typeof ns;
  kubeconfig: keyof typeof kubeconfigs;
  context?: "elsewhere";
  /** Render a kustomization with this `namespace:` field (a key of `ns`) instead of -f -. */
  kustomizeNamespace?: keyof typeof ns | "none";
  /** Through $KUBECONFIG instead of --kubeconfig. */
  env?: boolean;
}

const cases: Case[] = [
  { name: "manifest namespace, nothing else", manifest: "manifest", kubeconfig: "withoutNs" },
  { name: "manifest namespace beats the context's", manifest: "manifest", kubeconfig: "withNs" },
  { name: "manifest namespace equal to --namespace", manifest: "flag", flag: "flag", kubeconfig: "withNs" },
  {
    name: "manifest namespace against another --namespace: refused",
    manifest: "manifest",
    flag: "flag",
    kubeconfig: "withNs",
  },
  { name: "no namespace, --namespace", flag: "flag", kubeconfig: "withNs" },
  { name: "no namespace, the context's", kubeconfig: "withNs" },
  { name: "no namespace, the context's, through $KUBECONFIG", kubeconfig: "withNs", env: true },
  { name: "no namespace, --context picks another context's", kubeconfig: "withNs", context: "elsewhere" },
  { name: "no namespace anywhere: default", kubeconfig: "withoutNs" },
  { name: "empty namespace is none: the context's", manifest: "", kubeconfig: "withNs" },
  { name: "-k with namespace: in the kustomization", kustomizeNamespace: "manifest", kubeconfig: "withNs" },
  {
    name: "-k with namespace: against another --namespace: refused",
    kustomizeNamespace: "manifest",
    flag: "flag",
    kubeconfig: "withNs",
  },
  { name: "-k without namespace:, the context's", kustomizeNamespace: "none", kubeconfig: "withNs" },
];

type Outcome = { namespace: string } | { refused: true };

function inputs(c: Case): { args: string[]; stdin: string; kubeconfig: string } {
  const kubeconfig = kubeconfigs[c.kubeconfig];
  const common = [
    ...(c.flag ? ["--namespace", ns[c.flag]] : []),
    ...(c.context ? ["--context", c.context] : []),
  ];
  if (c.kustomizeNamespace) {
    const kdir = mkdtempSync(join(dir, "k-"));
    writeFileSync(join(kdir, "set.yaml"), dump(set(undefined)));
    writeFileSync(
      join(kdir, "kustomization.yaml"),
      dump({
        resources: ["set.yaml"],
        ...(c.kustomizeNamespace === "none" ? {} : { namespace: ns[c.kustomizeNamespace] }),
      }),
    );
    return { args: ["-k", kdir, ...common], stdin: "", kubeconfig };
  }
  const manifest = c.manifest === undefined ? undefined : c.manifest === "" ? "" : ns[c.manifest];
  return { args: ["-f", "-", ...common], stdin: dump(set(manifest)), kubeconfig };
}

async function viaKubectl(c: Case): Promise<Outcome> {
  const { args, stdin, kubeconfig } = inputs(c);
  const saved = process.env.KUBECONFIG;
  // kubectl is a child process: $KUBECONFIG is passed through its environment.
  if (c.env) process.env.KUBECONFIG = kubeconfig;
  try {
    const result = await kubectl(["apply", "--dry-run=server", "-o", "json", ...args], {
      ...(c.env ? {} : { kubeconfig }),
      stdin,
    });
    if (result.code !== 0) {
      expect(result.stderr).toMatch(/does not match the namespace/);
      return { refused: true };
    }
    return {
      namespace: (JSON.parse(result.stdout) as { metadata: { namespace: string } }).metadata.namespace,
    };
  } finally {
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
  }
}

async function viaPlan(c: Case): Promise<Outcome> {
  const { args, stdin, kubeconfig } = inputs(c);
  const saved = process.env.KUBECONFIG;
  if (c.env) process.env.KUBECONFIG = kubeconfig;
  let out = "";
  try {
    await plan([...args, "-o", "json", ...(c.env ? [] : ["--kubeconfig", kubeconfig])], {
      out: (t) => (out += t),
      stdin: async () => stdin,
    });
  } catch (error) {
    expect(String(error)).toMatch(/does not match the namespace/);
    return { refused: true };
  } finally {
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
  }
  const rows = JSON.parse(out) as PlanRow[];
  expect(rows).toHaveLength(1);
  return { namespace: rows[0]?.namespace ?? "" };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "dbfleet-plan-ns-"));
  const kc = kubeConfigFor(harnessKubeconfig);
  ns.manifest = await createTestNamespace(kc, "ns-manifest");
  ns.flag = await createTestNamespace(kc, "ns-flag");
  ns.context = await createTestNamespace(kc, "ns-context");
  ns.other = await createTestNamespace(kc, "ns-other");
  harnessConfig = JSON.parse(readFileSync(harnessKubeconfig, "utf8")) as Kubeconfig;
  kubeconfigs.withNs = writeKubeconfig("with-ns", ns.context);
  kubeconfigs.withoutNs = writeKubeconfig("without-ns", undefined);
}, 60_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("plan resolves namespaces as kubectl apply does", () => {
  it.each(cases)(
    "$name",
    async (c) => {
      const expected = await viaKubectl(c);
      expect(await viaPlan(c)).toEqual(expected);
    },
    30_000,
  );

  it("the table covers every source of a namespace and a refusal", async () => {
    // Guards the table itself: kubectl landed sets in each namespace and refused at least once.
    const outcomes = await Promise.all(cases.map(viaKubectl));
    const landed = new Set(outcomes.map((o) => ("namespace" in o ? o.namespace : "refused")));
    for (const expected of [ns.manifest, ns.flag, ns.context, ns.other, "default", "refused"])
      expect(landed).toContain(expected);
  }, 60_000);
});
