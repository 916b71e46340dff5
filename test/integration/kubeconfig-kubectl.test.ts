// The operator reads kubeconfigs as kubectl does: the same files, the real kubectl and the operator's
// loader against the same API server, and what the server says about who is asking must agree.
// Identity is read from a SelfSubjectRulesReview (no `auth whoami` before 1.26) and from the user a 403
// names; impersonation rights are granted to a ServiceAccount made for this file.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump } from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadKubeAccess } from "../../src/controller/kube-access.js";
import { KubeApiError, KubeHttp } from "../../src/controller/kube-http.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { RawApi } from "../harness/raw-api.js";

const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const dir = mkdtempSync(join(tmpdir(), "dbfleet-kubectl-"));
let ns = "";
let baseToken = "";
let alice = "";
let team = "";

interface Seen {
  /** The user a 403 names, or the refusal itself when the request was not even authenticated as asked. */
  user: string;
  /** Sorted `verbs resources` of the SelfSubjectRulesReview in the test namespace; empty when refused. */
  rules: string[];
}

const userInForbidden = (text: string) => /User "([^"]+)" cannot (list|impersonate)[^\n]*/.exec(text);

function ruleLines(status: { resourceRules?: { verbs: string[]; resources?: string[] }[] }): string[] {
  return (status.resourceRules ?? [])
    .map((r) => `${[...r.verbs].sort().join(",")} ${[...(r.resources ?? [])].sort().join(",")}`)
    .sort();
}

function kubectl(args: string[], env: Record<string, string>, input?: string) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn("kubectl", args, {
      env: { PATH: process.env.PATH ?? "", HOME: dir, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("exit", (code) => resolve({ code, out, err }));
    child.stdin.end(input ?? "");
  });
}

const SSRR = () => ({
  apiVersion: "authorization.k8s.io/v1",
  kind: "SelfSubjectRulesReview",
  spec: { namespace: ns },
});

/** What the server sees when kubectl uses these kubeconfig files. */
async function seenByKubectl(kubeconfig: string, context?: string): Promise<Seen> {
  const env = { KUBECONFIG: kubeconfig };
  const ctx = context ? [`--context=${context}`] : [];
  const nodes = await kubectl(["get", "--raw", "/api/v1/nodes", ...ctx], env);
  const user = userInForbidden(nodes.err);
  const review = await kubectl(["create", "-f", "-", "-o", "json", ...ctx], env, JSON.stringify(SSRR()));
  if (review.code !== 0) return { user: user?.[0] ?? nodes.err.trim(), rules: [] };
  return { user: user?.[1] ?? "", rules: ruleLines(JSON.parse(review.out).status) };
}

/** What the server sees when the operator's loader reads the same files. */
async function seenByOperator(kubeconfig: string, context?: string): Promise<Seen> {
  const saved = process.env.KUBECONFIG;
  process.env.KUBECONFIG = kubeconfig;
  const http = new KubeHttp(
    await loadKubeAccess({ context }).finally(() => (process.env.KUBECONFIG = saved)),
  );
  try {
    let forbidden = "";
    await http.json("/api/v1/nodes").catch((e: unknown) => {
      forbidden = e instanceof KubeApiError ? e.message : String(e);
    });
    const user = userInForbidden(forbidden);
    try {
      const review = await http.json<{ status: Parameters<typeof ruleLines>[0] }>(
        "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
        { method: "POST", body: SSRR() },
      );
      return { user: user?.[1] ?? "", rules: ruleLines(review.status) };
    } catch {
      return { user: user?.[0] ?? forbidden, rules: [] };
    }
  } finally {
    await http.close();
  }
}

function write(path: string, doc: Record<string, unknown>): string {
  writeFileSync(path, dump({ apiVersion: "v1", kind: "Config", ...doc }));
  return path;
}

/** One kubeconfig file with the test's cluster and one user whose token is the ServiceAccount's. */
function single(name: string, user: Record<string, unknown>): string {
  return write(join(dir, name), {
    clusters: [
      {
        name: "envtest",
        cluster: { server, "certificate-authority-data": Buffer.from(caPem).toString("base64") },
      },
    ],
    users: [{ name: "base", user: { token: baseToken, ...user } }],
    contexts: [{ name: "ctx", context: { cluster: "envtest", user: "base" } }],
    "current-context": "ctx",
  });
}

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(inject("kubeconfig")), "kubectl");
  alice = `alice-${ns}`;
  team = `team-${ns}`;
  const apply = (o: Record<string, unknown>) => raw.call("POST", o.path as string, o.body);
  await apply({ path: `/api/v1/namespaces/${ns}/serviceaccounts`, body: { metadata: { name: "base" } } });
  const rbac = "/apis/rbac.authorization.k8s.io/v1";
  const role = (name: string, resources: string[], verbs: string[]) =>
    apply({
      path: `${rbac}/namespaces/${ns}/roles`,
      body: { metadata: { name }, rules: [{ apiGroups: [""], resources, verbs }] },
    });
  const bind = (name: string, subject: Record<string, string>) =>
    apply({
      path: `${rbac}/namespaces/${ns}/rolebindings`,
      body: {
        metadata: { name },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
        subjects: [subject],
      },
    });
  await role("base-pods", ["pods"], ["list"]);
  await bind("base-pods", { kind: "ServiceAccount", name: "base", namespace: ns });
  await role("alice-configmaps", ["configmaps"], ["get", "list"]);
  await bind("alice-configmaps", { kind: "User", name: alice, apiGroup: "rbac.authorization.k8s.io" });
  await role("team-secrets", ["secrets"], ["list"]);
  await bind("team-secrets", { kind: "Group", name: team, apiGroup: "rbac.authorization.k8s.io" });
  // Impersonation is cluster-scoped RBAC: alice, the team, and the extra scopes=view only.
  await apply({
    path: `${rbac}/clusterroles`,
    body: {
      metadata: { name: `impersonate-${ns}` },
      rules: [
        { apiGroups: [""], resources: ["users"], verbs: ["impersonate"], resourceNames: [alice] },
        { apiGroups: [""], resources: ["groups"], verbs: ["impersonate"], resourceNames: [team] },
        {
          apiGroups: ["authentication.k8s.io"],
          resources: ["userextras/scopes"],
          verbs: ["impersonate"],
          resourceNames: ["view"],
        },
      ],
    },
  });
  await apply({
    path: `${rbac}/clusterrolebindings`,
    body: {
      metadata: { name: `impersonate-${ns}` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `impersonate-${ns}` },
      subjects: [{ kind: "ServiceAccount", name: "base", namespace: ns }],
    },
  });
  const token = await raw.call<{ status: { token: string } }>(
    "POST",
    `/api/v1/namespaces/${ns}/serviceaccounts/base/token`,
    { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600 } },
  );
  baseToken = token.status.token;
});

afterAll(async () => {
  for (const kind of ["clusterrolebindings", "clusterroles"])
    await raw.call("DELETE", `/apis/rbac.authorization.k8s.io/v1/${kind}/impersonate-${ns}`).catch(() => {});
  await raw.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("kubeconfig read as kubectl reads it", () => {
  const base = () => `system:serviceaccount:${ns}:base`;
  const cases: {
    reason: string;
    user: Record<string, unknown>;
    want: () => { user: RegExp; rules: RegExp[] };
  }[] = [
    {
      reason: "no impersonation: the ServiceAccount itself",
      user: {},
      want: () => ({ user: new RegExp(`^${base()}$`), rules: [/^list pods$/] }),
    },
    {
      reason: "as: the impersonated user, with none of the base identity's rights",
      user: { as: "ALICE" },
      want: () => ({ user: new RegExp(`^${alice}$`), rules: [/^get,list configmaps$/] }),
    },
    {
      reason: "as with as-groups: the user's and the group's rights",
      user: { as: "ALICE", "as-groups": ["TEAM"] },
      want: () => ({ user: new RegExp(`^${alice}$`), rules: [/^get,list configmaps$/, /^list secrets$/] }),
    },
    {
      reason: "as-user-extra that the base identity may impersonate",
      user: { as: "ALICE", "as-user-extra": { scopes: ["view"] } },
      want: () => ({ user: new RegExp(`^${alice}$`), rules: [/^get,list configmaps$/] }),
    },
    {
      reason: "as-user-extra it may not impersonate: refused, for both",
      user: { as: "ALICE", "as-user-extra": { scopes: ["admin"] } },
      want: () => ({ user: /cannot impersonate resource "userextras\/scopes"/, rules: [] }),
    },
    {
      reason: "a user it may not impersonate: refused, never the base identity",
      user: { as: "bob" },
      want: () => ({ user: /cannot impersonate resource "users"/, rules: [] }),
    },
  ];
  for (const c of cases)
    it(c.reason, async () => {
      const user = JSON.parse(JSON.stringify(c.user).replaceAll("ALICE", alice).replaceAll("TEAM", team));
      const path = single(`${c.reason.replace(/\W+/g, "-")}.yaml`, user);
      const byKubectl = await seenByKubectl(path);
      const byOperator = await seenByOperator(path);
      const want = c.want();
      expect(byKubectl.user).toMatch(want.user);
      for (const rule of want.rules) expect(byKubectl.rules.some((r) => rule.test(r))).toBe(true);
      if (want.rules.length === 0) expect(byKubectl.rules).toEqual([]);
      expect(byOperator).toEqual(byKubectl);
    });

  it("merges a multi-file KUBECONFIG as kubectl: first entry of a name wins whole, first current-context, paths per file, --context", async () => {
    const a = join(dir, "a");
    const b = join(dir, "b");
    mkdirSync(a, { recursive: true });
    mkdirSync(b, { recursive: true });
    writeFileSync(join(b, "ca.pem"), caPem);
    // First file: the user "base" impersonates alice, and current-context names a context defined later.
    const first = write(join(a, "config"), {
      users: [{ name: "base", user: { token: baseToken, as: alice } }],
      "current-context": "imp",
    });
    // Second: the cluster (CA relative to this file), a second "base" that must be ignored, the contexts.
    const second = write(join(b, "config"), {
      clusters: [{ name: "envtest", cluster: { server, "certificate-authority": "ca.pem" } }],
      users: [
        { name: "base", user: { token: baseToken } },
        { name: "plain", user: { token: baseToken } },
      ],
      contexts: [
        { name: "imp", context: { cluster: "envtest", user: "base" } },
        { name: "plain", context: { cluster: "envtest", user: "plain" } },
      ],
      "current-context": "plain",
    });
    const kubeconfig = [first, join(dir, "missing"), "", second].join(":");
    const current = { kubectl: await seenByKubectl(kubeconfig), operator: await seenByOperator(kubeconfig) };
    expect(current.kubectl.user).toBe(alice);
    expect(current.operator).toEqual(current.kubectl);
    const plain = {
      kubectl: await seenByKubectl(kubeconfig, "plain"),
      operator: await seenByOperator(kubeconfig, "plain"),
    };
    expect(plain.kubectl.user).toBe(base());
    expect(plain.operator).toEqual(plain.kubectl);
  });
});
