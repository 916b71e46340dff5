import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump } from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { loadKubeAccess } from "../../src/controller/kube-access.js";

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
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    process.env.KUBERNETES_SERVICE_HOST = "10.0.0.1";
    process.env.KUBERNETES_SERVICE_PORT = "443";
    try {
      const access = await loadKubeAccess({ path: join(dir, "missing"), serviceAccountDir: sa });
      expect(access.server).toBe("https://10.0.0.1:443");
      expect(await access.headers()).toEqual({ authorization: "Bearer pod-token" });
      await access.close();
    } finally {
      if (saved.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
      else process.env.KUBERNETES_SERVICE_HOST = saved.host;
      if (saved.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
      else process.env.KUBERNETES_SERVICE_PORT = saved.port;
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
});
