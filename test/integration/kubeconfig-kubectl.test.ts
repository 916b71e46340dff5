// The operator reads kubeconfigs as kubectl does: the same files, the real kubectl and the operator's
// loader against the same API server, and what the server says about who is asking must agree.
// Identity is read from a SelfSubjectRulesReview (no `auth whoami` before 1.26) and from the user a 403
// names; impersonation rights are granted to a ServiceAccount made for this file.
//
// Where the API server cannot tell what was sent (the User-Agent, which client certificate a TLS
// connection presented: this API server has no client CA), both clients talk to a recording HTTPS
// endpoint instead, whose certificates openssl makes here.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { dump } from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { version } from "../../src/cli/flags.js";
import { kubeUserAgent, loadKubeAccess } from "../../src/controller/kube-access.js";
import { KubeApiError, KubeHttp } from "../../src/controller/kube-http.js";
import { eventually } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor } from "../harness/kube.js";
import { startOperator } from "../harness/kubectl.js";
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
    await loadKubeAccess({ context, userAgent: kubeUserAgent(version()) }).finally(
      () => (process.env.KUBECONFIG = saved),
    ),
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

/**
 * One kubeconfig file with the test's cluster and one user whose token is the ServiceAccount's (a
 * `token: undefined` in `user` drops it); `cluster` adds to or replaces the cluster's fields.
 */
function single(
  name: string,
  user: Record<string, unknown>,
  cluster: Record<string, unknown> = { "certificate-authority-data": Buffer.from(caPem).toString("base64") },
): string {
  return write(join(dir, name), {
    clusters: [{ name: "envtest", cluster: { server, ...cluster } }],
    users: [{ name: "base", user: JSON.parse(JSON.stringify({ token: baseToken, ...user })) }],
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

/** kubectl's or the operator's refusal, first line, without the CLI's prefixes; undefined when it ran. */
const refusal = (text: string) =>
  text
    .trim()
    .split("\n")[0]
    ?.replace(/^error: /, "")
    .replace(/^Unable to connect to the server: /, "")
    // The operator names the kubeconfig file first.
    .replace(/^kubeconfig \S+: /, "");

async function refusedByKubectl(kubeconfig: string): Promise<string | undefined> {
  const result = await kubectl(["get", "--raw", "/api"], { KUBECONFIG: kubeconfig });
  return result.code === 0 ? undefined : refusal(result.err);
}

async function refusedByOperator(kubeconfig: string): Promise<string | undefined> {
  try {
    const http = new KubeHttp(await loadKubeAccess({ path: kubeconfig }));
    try {
      await http.json("/api");
    } finally {
      await http.close();
    }
    return undefined;
  } catch (error) {
    return refusal(error instanceof Error ? error.message : String(error));
  }
}

describe("kubeconfig cases kubectl treats differently", () => {
  const caFile = () => {
    const path = join(dir, "ca.pem");
    writeFileSync(path, caPem);
    return path;
  };
  const caData = () => Buffer.from(caPem).toString("base64");

  const refused: {
    reason: string;
    user?: Record<string, unknown>;
    cluster?: () => Record<string, unknown>;
    want: RegExp;
  }[] = [
    {
      reason: "insecure-skip-tls-verify with certificate-authority-data",
      cluster: () => ({ "certificate-authority-data": caData(), "insecure-skip-tls-verify": true }),
      want: /^specifying a root certificates file with the insecure flag is not allowed$/,
    },
    {
      reason: "insecure-skip-tls-verify with a certificate-authority file",
      cluster: () => ({ "certificate-authority": caFile(), "insecure-skip-tls-verify": true }),
      want: /^specifying a root certificates file with the insecure flag is not allowed$/,
    },
    {
      reason: "the CA both as data and as a file",
      cluster: () => ({ "certificate-authority-data": caData(), "certificate-authority": caFile() }),
      want: /^certificate-authority-data and certificate-authority are both specified for envtest\. certificate-authority-data will override\.$/,
    },
    {
      reason: "the client certificate both as data and as a file",
      user: {
        token: undefined,
        "client-certificate": "ca.pem",
        "client-certificate-data": Buffer.from(caPem).toString("base64"),
        "client-key": "ca.pem",
      },
      want: /^client-cert-data and client-cert are both specified for base\. client-cert-data will override\.$/,
    },
    {
      reason: "the client key both as data and as a file",
      user: {
        token: undefined,
        "client-certificate": "ca.pem",
        "client-key": "ca.pem",
        "client-key-data": Buffer.from("key").toString("base64"),
      },
      want: /^client-key-data and client-key are both specified for base; client-key-data will override$/,
    },
    {
      reason: "a token file that cannot be read, with no token to fall back to",
      user: { token: undefined, tokenFile: "no-such-token" },
      want: /^open \/.*\/no-such-token: no such file or directory$/,
    },
    {
      reason:
        "an exec command without a path separator is looked up on PATH only, never in the kubeconfig's folder",
      user: {
        token: undefined,
        exec: {
          apiVersion: "client.authentication.k8s.io/v1",
          command: "dbfleet-test-cred",
          interactiveMode: "Never",
        },
      },
      want: /^getting credentials: exec: executable dbfleet-test-cred not found$/,
    },
  ];
  for (const c of refused)
    it(`refuses, as kubectl: ${c.reason}`, async () => {
      caFile();
      writeFileSync(join(dir, "dbfleet-test-cred"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
      const path = single(`refused-${c.reason.replace(/\W+/g, "-")}.yaml`, c.user ?? {}, c.cluster?.());
      const byKubectl = await refusedByKubectl(path);
      expect(byKubectl).toMatch(c.want);
      expect(await refusedByOperator(path)).toBe(byKubectl);
    });

  const accepted: { reason: string; user: () => Record<string, unknown>; file?: string }[] = [
    {
      reason: "a token with a token file that cannot be read: the token is sent",
      user: () => ({ tokenFile: "no-such-token" }),
    },
    {
      reason: "a token with a readable token file: the file's token is sent",
      user: () => {
        writeFileSync(join(dir, "good-token"), `${baseToken}\n`);
        return { token: "not-a-token", tokenFile: "good-token" };
      },
    },
    {
      reason: "a relative exec command, resolved against the kubeconfig's folder (not the working directory)",
      file: join("exec", "config"),
      user: () => {
        mkdirSync(join(dir, "exec", "bin"), { recursive: true });
        writeFileSync(
          join(dir, "exec", "bin", "cred"),
          `#!/bin/sh\ncat <<'EOF'\n${JSON.stringify({
            apiVersion: "client.authentication.k8s.io/v1",
            kind: "ExecCredential",
            status: { token: baseToken },
          })}\nEOF\n`,
          { mode: 0o755 },
        );
        return {
          token: undefined,
          exec: {
            apiVersion: "client.authentication.k8s.io/v1",
            command: "./bin/cred",
            interactiveMode: "Never",
          },
        };
      },
    },
  ];
  for (const c of accepted)
    it(`authenticates as kubectl: ${c.reason}`, async () => {
      const path = single(c.file ?? `accepted-${c.reason.replace(/\W+/g, "-")}.yaml`, c.user());
      const byKubectl = await seenByKubectl(path);
      expect(byKubectl.user).toBe(`system:serviceaccount:${ns}:base`);
      expect(await seenByOperator(path)).toEqual(byKubectl);
    });
});

interface Recorded {
  path: string;
  userAgent: string;
  /** The CN of the client certificate the TLS connection presented, "" for none. */
  clientCn: string;
}

/** An HTTPS endpoint that answers every request with a Kubernetes-like 200 and records what arrived. */
async function recorder(): Promise<{
  url: string;
  ca: string;
  seen: Recorded[];
  issue: (cn: string) => { cert: string; key: string };
  close: () => Promise<void>;
}> {
  const certs = mkdtempSync(join(dir, "recorder-"));
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: certs, stdio: "pipe" });
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=recorder-ca",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
  );
  writeFileSync(join(certs, "server.ext"), "subjectAltName=IP:127.0.0.1\n");
  const issue = (cn: string, ext?: string) => {
    openssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${cn}`,
      "-keyout",
      `${cn}.key`,
      "-out",
      `${cn}.csr`,
    );
    openssl(
      "x509",
      "-req",
      "-in",
      `${cn}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "1",
      "-out",
      `${cn}.crt`,
      ...(ext ? ["-extfile", ext] : []),
    );
    return {
      cert: readFileSync(join(certs, `${cn}.crt`), "utf8"),
      key: readFileSync(join(certs, `${cn}.key`), "utf8"),
    };
  };
  const serverPair = issue("127.0.0.1", "server.ext");
  const ca = readFileSync(join(certs, "ca.crt"), "utf8");
  const seen: Recorded[] = [];
  const server: Server = createServer(
    { ...serverPair, ca, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      seen.push({
        path: req.url ?? "",
        userAgent: req.headers["user-agent"] ?? "",
        clientCn: typeof peer?.subject?.CN === "string" ? peer.subject.CN : "",
      });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          kind: "APIVersions",
          versions: ["v1"],
          major: "1",
          minor: "32",
          gitVersion: "v1.32.0",
        }),
      );
    },
  );
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ca,
    seen,
    issue,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

describe("what is sent, as a recording endpoint sees it", () => {
  let rec: Awaited<ReturnType<typeof recorder>>;
  beforeAll(async () => {
    rec = await recorder();
  });
  afterAll(() => rec.close());

  const kubeconfigFor = (name: string, user: Record<string, unknown>) =>
    write(join(dir, name), {
      clusters: [
        {
          name: "rec",
          cluster: { server: rec.url, "certificate-authority-data": Buffer.from(rec.ca).toString("base64") },
        },
      ],
      users: [{ name: "u", user }],
      contexts: [{ name: "rec", context: { cluster: "rec", user: "u" } }],
      "current-context": "rec",
    });
  const seenAt = (path: string) => rec.seen.filter((r) => r.path === path);
  // client-go's rest.DefaultKubernetesUserAgent: <command>/<version> (<os>/<arch>) kubernetes/<commit>.
  const USER_AGENT = /^([\w.-]+)\/(v\d+\.\d+\.\d+|unknown) \((\w+)\/(\w+)\) ([\w.-]+)\/(\S+)$/;

  it("sends a User-Agent of kubectl's shape: the same OS and architecture, its own name and package.json's version", async () => {
    const path = kubeconfigFor("ua.yaml", { token: "t" });
    expect((await kubectl(["get", "--raw", "/ua-kubectl"], { KUBECONFIG: path })).code).toBe(0);
    const http = new KubeHttp(await loadKubeAccess({ path, userAgent: kubeUserAgent(version()) }));
    await http.json("/ua-operator").finally(() => http.close());
    const byKubectl = USER_AGENT.exec(seenAt("/ua-kubectl")[0]?.userAgent ?? "");
    const byOperator = USER_AGENT.exec(seenAt("/ua-operator")[0]?.userAgent ?? "");
    expect(byKubectl?.[1]).toBe("kubectl");
    expect(byOperator?.[1]).toBe("dbfleet-operator");
    expect(byOperator?.[2]).toBe(`v${version()}`);
    expect(byOperator?.slice(3, 5)).toEqual(byKubectl?.slice(3, 5));
  });

  it("the run process sends it on its first request", async () => {
    const path = kubeconfigFor("ua-run.yaml", { token: "t" });
    const before = rec.seen.length;
    const operator = startOperator(
      ["run", `--kubeconfig=${path}`, "--metrics-port=0", "--metrics-host=127.0.0.1", "--leader-elect=false"],
      {},
    );
    try {
      await eventually("a request from the run process", () => rec.seen.length > before, 30_000);
    } finally {
      await operator.stop();
    }
    expect(rec.seen[before]?.userAgent).toBe(kubeUserAgent(version()));
  });

  it("rotates a client certificate from an exec plugin when it expires, on a new connection; kubectl presents the plugin's certificate too", async () => {
    // Each run of the plugin issues the next certificate (gen-1, gen-2, ...), valid for 4 to 5 s by its
    // expirationTimestamp (whole seconds).
    const pairs = [1, 2, 3].map((n) => rec.issue(`gen-${n}`));
    const pluginDir = mkdtempSync(join(dir, "certplugin-"));
    for (const [i, p] of pairs.entries())
      writeFileSync(
        join(pluginDir, `cred-${i + 1}.json`),
        JSON.stringify({ clientCertificateData: p.cert, clientKeyData: p.key }),
      );
    const script = [
      "#!/bin/sh",
      'cd "$(dirname "$0")"',
      "echo run >> runs",
      "n=$(wc -l < runs | tr -d ' ')",
      "exp=$(date -u -d '+5 seconds' +%Y-%m-%dT%H:%M:%SZ)",
      `printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":%s}' "$(sed "s/}$/,\\"expirationTimestamp\\":\\"$exp\\"}/" cred-$n.json)"`,
      "",
    ].join("\n");
    writeFileSync(join(pluginDir, "cred"), script, { mode: 0o755 });
    const path = kubeconfigFor("exec-cert.yaml", {
      exec: {
        apiVersion: "client.authentication.k8s.io/v1",
        command: join(pluginDir, "cred"),
        interactiveMode: "Never",
      },
    });
    const runs = () => readFileSync(join(pluginDir, "runs"), "utf8").split("\n").filter(Boolean).length;

    expect((await kubectl(["get", "--raw", "/cert-kubectl"], { KUBECONFIG: path })).code).toBe(0);
    expect(seenAt("/cert-kubectl").map((r) => r.clientCn)).toEqual(["gen-1"]);

    const http = new KubeHttp(await loadKubeAccess({ path }));
    try {
      // Kept until its expiration passes (one plugin run however many requests), then the plugin runs again.
      await eventually(
        "a request with the rotated certificate",
        async () => {
          await http.json("/cert-operator");
          return seenAt("/cert-operator").some((r) => r.clientCn === "gen-3");
        },
        30_000,
      );
      const cns = seenAt("/cert-operator").map((r) => r.clientCn);
      const rotated = cns.indexOf("gen-3");
      expect(rotated).toBeGreaterThanOrEqual(2);
      expect(cns.slice(0, rotated)).toEqual(cns.slice(0, rotated).map(() => "gen-2"));
      expect(cns.slice(rotated)).toEqual(["gen-3"]);
      expect(runs()).toBe(3);
    } finally {
      await http.close();
    }
  });
});
