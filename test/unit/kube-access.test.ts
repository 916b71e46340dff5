import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump } from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import {
  execPlugin,
  impersonationHeaders,
  kubeconfigFiles,
  kubeconfigProblems,
  kubeconfigServer,
  kubeUserAgent,
  loadKubeAccess,
  mergeKubeconfigs,
  tokenSource,
} from "../../src/controller/kube-access.js";

const dir = mkdtempSync(join(tmpdir(), "dbfleet-kubeconfig-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kubeconfig(
  name: string,
  user: Record<string, unknown>,
  cluster: Record<string, unknown> = {},
): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    dump({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:6443/", ...cluster } }],
      users: [{ name: "u", user }],
      contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
      "current-context": "ctx",
    }),
  );
  return path;
}

describe("loadKubeAccess", () => {
  it("reads a token user without client-node", async () => {
    const access = await loadKubeAccess({ path: kubeconfig("token.yaml", { token: "t0k3n" }) });
    expect(access.server).toBe("https://127.0.0.1:6443");
    expect(await access.headers()).toEqual({
      authorization: "Bearer t0k3n",
      "user-agent": kubeUserAgent(""),
    });
    await access.close();
  });

  it("reads a token file relative to the kubeconfig, and re-reads it as it rotates", async () => {
    writeFileSync(join(dir, "sa-token"), "first\n");
    const access = await loadKubeAccess({
      path: kubeconfig("tokenfile.yaml", { tokenFile: "sa-token" }),
      userAgent: "ua",
    });
    expect((await access.headers()).authorization).toBe("Bearer first");
    await access.close();
  });

  it("uses the in-cluster ServiceAccount when there is no kubeconfig", async () => {
    const sa = mkdtempSync(join(dir, "sa-"));
    writeFileSync(join(sa, "token"), "pod-token");
    writeFileSync(join(sa, "ca.crt"), "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
    const saved = {
      host: process.env.KUBERNETES_SERVICE_HOST,
      port: process.env.KUBERNETES_SERVICE_PORT,
      kubeconfig: process.env.KUBECONFIG,
    };
    process.env.KUBERNETES_SERVICE_HOST = "10.0.0.1";
    process.env.KUBERNETES_SERVICE_PORT = "443";
    process.env.KUBECONFIG = `${join(dir, "missing")}:${join(dir, "missing-too")}`;
    try {
      // An explicit --kubeconfig must exist, as kubectl's; missing $KUBECONFIG files are skipped.
      await expect(loadKubeAccess({ path: join(dir, "missing"), serviceAccountDir: sa })).rejects.toThrow(
        /kubeconfig .*missing: ENOENT/,
      );
      const access = await loadKubeAccess({ serviceAccountDir: sa, userAgent: "ua" });
      expect(access.server).toBe("https://10.0.0.1:443");
      expect(await access.headers()).toEqual({ authorization: "Bearer pod-token", "user-agent": "ua" });
      await access.close();
    } finally {
      if (saved.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
      else process.env.KUBERNETES_SERVICE_HOST = saved.host;
      if (saved.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
      else process.env.KUBERNETES_SERVICE_PORT = saved.port;
      if (saved.kubeconfig === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved.kubeconfig;
    }
  });

  it("runs an exec plugin itself, as client-go: KUBERNETES_EXEC_INFO in, an ExecCredential out", async () => {
    const plugin = join(dir, "plugin.sh");
    writeFileSync(
      plugin,
      `#!/bin/sh\nprintf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$(printf %s "$KUBERNETES_EXEC_INFO" | tr -d '"{}:,' )"\n`,
      { mode: 0o755 },
    );
    const access = await loadKubeAccess({
      path: kubeconfig("exec.yaml", {
        exec: {
          apiVersion: "client.authentication.k8s.io/v1",
          command: "./plugin.sh",
          interactiveMode: "Never",
        },
      }),
      userAgent: "ua",
    });
    expect(await access.headers()).toEqual({
      authorization: "Bearer kindExecCredentialapiVersionclient.authentication.k8s.io/v1specinteractivefalse",
      "user-agent": "ua",
    });
    await access.close();
  });

  it("refuses a broken kubeconfig with the field named, and a missing context", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, dump({ clusters: [{ name: "c", cluster: { server: "not a url" } }], contexts: [] }));
    await expect(loadKubeAccess({ path: bad })).rejects.toThrow(/clusters\[0\]\.cluster\.server/);
    await expect(
      loadKubeAccess({ path: kubeconfig("ctx.yaml", { token: "x" }), context: "nope" }),
    ).rejects.toThrow(/context "nope" not found/);
  });

  it("names the server synchronously as the access it loads does, and refuses what loading refuses", async () => {
    const path = kubeconfig("server.yaml", { token: "x" });
    const access = await loadKubeAccess({ path });
    expect(kubeconfigServer({ path })).toBe(access.server);
    await access.close();
    expect(kubeconfigServer({ path })).toBe("https://127.0.0.1:6443");
    expect(() => kubeconfigServer({ path, context: "nope" })).toThrow(/context "nope" not found/);
    const unreadable = kubeconfig(
      "server-ca.yaml",
      { token: "x" },
      { "certificate-authority": join(dir, "no-ca") },
    );
    expect(() => kubeconfigServer({ path: unreadable })).toThrow(/unable to read certificate-authority/);
    await expect(loadKubeAccess({ path: unreadable })).rejects.toThrow(
      /unable to read certificate-authority/,
    );
  });

  it("sends the impersonation of the kubeconfig's user with every request", async () => {
    const access = await loadKubeAccess({
      path: kubeconfig("as.yaml", {
        token: "base",
        as: "alice",
        "as-groups": ["team-a", "team-b"],
        "as-user-extra": { scopes: ["view"] },
      }),
      userAgent: "ua",
    });
    expect(await access.headers()).toEqual({
      authorization: "Bearer base",
      "user-agent": "ua",
      "impersonate-user": "alice",
      "impersonate-group": ["team-a", "team-b"],
      "impersonate-extra-scopes": ["view"],
    });
    await access.close();
  });
});

describe("impersonation headers (client-go's impersonating round tripper)", () => {
  const cases: {
    reason: string;
    user: Parameters<typeof impersonationHeaders>[0];
    want: Record<string, unknown>;
  }[] = [
    { reason: "no impersonation, no headers", user: { token: "t" }, want: {} },
    { reason: "a user", user: { as: "alice" }, want: { "impersonate-user": "alice" } },
    {
      reason: "uid and groups ride with the user",
      user: { as: "alice", "as-uid": "1234", "as-groups": ["a", "b"] },
      want: { "impersonate-user": "alice", "impersonate-uid": "1234", "impersonate-group": ["a", "b"] },
    },
    {
      reason: "groups without a user still send an empty user, so the server refuses as it does kubectl",
      user: { "as-groups": ["a"] },
      want: { "impersonate-user": "", "impersonate-group": ["a"] },
    },
    {
      reason: "extra keys outside the header token alphabet are %-encoded",
      user: { as: "alice", "as-user-extra": { "example.com/scopes": ["x", "y"], "a%b": ["z"] } },
      want: {
        "impersonate-user": "alice",
        "impersonate-extra-example.com%2Fscopes": ["x", "y"],
        "impersonate-extra-a%25b": ["z"],
      },
    },
  ];
  for (const c of cases) it(c.reason, () => expect(impersonationHeaders(c.user)).toEqual(c.want));
});

describe("kubeconfig files merged as clientcmd does", () => {
  const file = (name: string, doc: Record<string, unknown>) => {
    const path = join(dir, name);
    writeFileSync(path, dump(doc));
    return path;
  };

  it("reads $KUBECONFIG's files in order, skipping empty entries and repeats; an explicit path alone", () => {
    expect(kubeconfigFiles(undefined, "/a::/b:/a")).toEqual(["/a", "/b"]);
    expect(kubeconfigFiles("/x", "/a:/b")).toEqual(["/x"]);
  });

  it("lets the first file that names an entry win it whole, and the first current-context stand", () => {
    const first = file("m1.yaml", {
      users: [{ name: "u", user: { token: "first" } }],
      contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
    });
    const second = file("m2.yaml", {
      clusters: [
        { name: "c", cluster: { server: "https://second:6443", "certificate-authority": "ca.pem" } },
      ],
      users: [{ name: "u", user: { token: "second", as: "mallory" } }],
      "current-context": "ctx",
    });
    const third = file("m3.yaml", { "current-context": "other" });
    const merged = mergeKubeconfigs([first, join(dir, "absent.yaml"), second, third]);
    expect(merged.files).toEqual([first, second, third]);
    expect(merged.users.get("u")).toEqual({ token: "first" });
    expect(merged.clusters.get("c")).toEqual({
      server: "https://second:6443",
      "certificate-authority": join(dir, "ca.pem"),
    });
    expect(merged.currentContext).toBe("ctx");
  });

  it("fails on a file that cannot be parsed, naming it", () => {
    const bad = join(dir, "garbage.yaml");
    writeFileSync(bad, "clusters: [\n");
    expect(() => mergeKubeconfigs([bad])).toThrow(/kubeconfig .*garbage\.yaml/);
  });
});

describe("token and token file (client-go's bearerAuthRoundTripper and cachedFileTokenSource)", () => {
  it("a token file alone must be readable at load, with Go's open error", () => {
    expect(() => tokenSource(undefined, join(dir, "no-token"))).toThrow(
      `open ${join(dir, "no-token")}: no such file or directory`,
    );
  });

  it("a token with an unreadable token file falls back to the token; a readable one wins, re-read each minute", async () => {
    let t = 0;
    const file = join(dir, "rotating-token");
    const source = tokenSource("static", file, () => t);
    expect(await source()).toEqual({ authorization: "Bearer static" });
    writeFileSync(file, "from-file\n");
    t += 30_000;
    expect(await source()).toEqual({ authorization: "Bearer static" });
    t += 31_000;
    expect(await source()).toEqual({ authorization: "Bearer from-file" });
    rmSync(file);
    t += 61_000;
    expect(await source()).toEqual({ authorization: "Bearer from-file" });
  });
});

describe("kubeconfigs kubectl refuses (clientcmd validation.go, transport.go)", () => {
  const ca = join(dir, "ca-present.pem");
  writeFileSync(ca, "x");
  const cases: {
    reason: string;
    cluster: Record<string, unknown>;
    user: Record<string, unknown>;
    want: string[];
  }[] = [
    {
      reason: "a token and a CA: fine",
      cluster: { "certificate-authority": ca },
      user: { token: "t" },
      want: [],
    },
    {
      reason: "insecure-skip-tls-verify with a CA",
      cluster: { "certificate-authority-data": "eA==", "insecure-skip-tls-verify": true },
      user: {},
      want: ["specifying a root certificates file with the insecure flag is not allowed"],
    },
    {
      reason: "CA as data and as file",
      cluster: { "certificate-authority-data": "eA==", "certificate-authority": ca },
      user: {},
      want: [
        "certificate-authority-data and certificate-authority are both specified for c. certificate-authority-data will override.",
      ],
    },
    {
      reason: "client certificate as data and as file",
      cluster: {},
      user: { "client-certificate": ca, "client-certificate-data": "eA==", "client-key": ca },
      want: ["client-cert-data and client-cert are both specified for u. client-cert-data will override."],
    },
    {
      reason: "client key as data and as file",
      cluster: {},
      user: { "client-certificate": ca, "client-key": ca, "client-key-data": "eA==" },
      want: ["client-key-data and client-key are both specified for u; client-key-data will override"],
    },
    {
      reason: "an exec plugin of v1 without interactiveMode",
      cluster: {},
      user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "x" } },
      want: ["interactiveMode must be specified for u to use exec authentication plugin"],
    },
    {
      reason: "v1beta1 defaults interactiveMode to IfAvailable",
      cluster: {},
      user: { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "x" } },
      want: [],
    },
  ];
  for (const c of cases)
    it(c.reason, () =>
      expect(kubeconfigProblems("c", { server: "https://h", ...c.cluster }, "u", c.user)).toEqual(c.want),
    );
});

describe("exec plugin credentials (client-go's exec authenticator)", () => {
  it("re-runs the plugin once its credential expires, and not before", async () => {
    const counter = join(dir, "exec-count");
    writeFileSync(counter, "");
    const plugin = join(dir, "expiring.sh");
    writeFileSync(
      plugin,
      `#!/bin/sh\necho x >> ${counter}\nn=$(wc -l < ${counter} | tr -d ' ')\nprintf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"gen-%s","expirationTimestamp":"2030-01-01T00:00:00Z"}}' "$n"\n`,
      { mode: 0o755 },
    );
    let t = Date.parse("2029-12-31T23:59:00Z");
    const creds = execPlugin(
      { apiVersion: "client.authentication.k8s.io/v1", command: plugin, interactiveMode: "Never" },
      { server: "https://h" },
      () => t,
    );
    expect((await creds()).token).toBe("gen-1");
    expect((await creds()).token).toBe("gen-1");
    t = Date.parse("2030-01-01T00:00:01Z");
    expect((await creds()).token).toBe("gen-2");
  });

  const bad: { reason: string; out: string; want: RegExp }[] = [
    {
      reason: "another apiVersion than configured",
      out: '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"t"}}',
      want: /configured to use API version client.authentication.k8s.io\/v1, plugin returned version client.authentication.k8s.io\/v1beta1/,
    },
    {
      reason: "no status",
      out: '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential"}',
      want: /didn't return a status field/,
    },
    {
      reason: "a certificate without its key",
      out: '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientCertificateData":"c"}}',
      want: /only certificate or key, not both/,
    },
  ];
  for (const c of bad)
    it(`refuses ${c.reason}`, async () => {
      const plugin = join(dir, `bad-${c.reason.replace(/\W+/g, "-")}.sh`);
      writeFileSync(plugin, `#!/bin/sh\ncat <<'EOF'\n${c.out}\nEOF\n`, { mode: 0o755 });
      const creds = execPlugin(
        { apiVersion: "client.authentication.k8s.io/v1", command: plugin, interactiveMode: "Never" },
        { server: "https://h" },
      );
      await expect(creds()).rejects.toThrow(c.want);
    });

  it("names a missing plugin as client-go does, with the install hint", async () => {
    const creds = execPlugin(
      {
        apiVersion: "client.authentication.k8s.io/v1",
        command: "dbfleet-no-such-plugin",
        interactiveMode: "Never",
        installHint: "install it",
      },
      { server: "https://h" },
    );
    await expect(creds()).rejects.toThrow(/executable dbfleet-no-such-plugin not found[\s\S]*install it/);
  });
});

describe("User-Agent", () => {
  it("has client-go's shape: <command>/<version> (<os>/<arch>) <name>/<build>", () => {
    expect(kubeUserAgent("0.1.0")).toMatch(
      /^dbfleet-operator\/v0\.1\.0 \(linux\/(amd64|arm64)\) node\/v\d+\.\d+\.\d+$/,
    );
    expect(kubeUserAgent("")).toMatch(/^dbfleet-operator\/unknown /);
  });
});
