import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// Loaded here, before any test runs: the module load is CPU-bound (~0.5 s idle, several seconds on a loaded
// machine) and belongs to no test's deadline; the exec test below then measures only our hand-over.
import "@kubernetes/client-node";
import { dump } from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import {
  impersonationHeaders,
  kubeconfigFiles,
  loadKubeAccess,
  mergeKubeconfigs,
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
    expect(await access.headers()).toEqual({ authorization: "Bearer t0k3n" });
    await access.close();
  });

  it("reads a token file relative to the kubeconfig, and re-reads it as it rotates", async () => {
    writeFileSync(join(dir, "sa-token"), "first\n");
    const access = await loadKubeAccess({ path: kubeconfig("tokenfile.yaml", { tokenFile: "sa-token" }) });
    expect(await access.headers()).toEqual({ authorization: "Bearer first" });
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
      const access = await loadKubeAccess({ serviceAccountDir: sa });
      expect(access.server).toBe("https://10.0.0.1:443");
      expect(await access.headers()).toEqual({ authorization: "Bearer pod-token" });
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

  it("hands exec plugins to client-node", async () => {
    const access = await loadKubeAccess({
      path: kubeconfig("exec.yaml", {
        exec: { apiVersion: "client.authentication.k8s.io/v1", command: "true" },
      }),
    });
    expect(access.server).toBe("https://127.0.0.1:6443");
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

  it("sends the impersonation of the kubeconfig's user with every request", async () => {
    const access = await loadKubeAccess({
      path: kubeconfig("as.yaml", {
        token: "base",
        as: "alice",
        "as-groups": ["team-a", "team-b"],
        "as-user-extra": { scopes: ["view"] },
      }),
    });
    expect(await access.headers()).toEqual({
      authorization: "Bearer base",
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
