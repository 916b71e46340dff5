// Issue 25, item 5: /metrics was plain HTTP, readable by any pod the NetworkPolicy admits. `run` now serves
// it over HTTPS (a self-signed certificate) and checks each scrape as controller-runtime's
// filters.WithAuthenticationAndAuthorization does: a TokenReview of the bearer token, then a
// SubjectAccessReview of `get /metrics`. The process runs as deploy/'s identity (its ClusterRole grants the
// two reviews), on the real API server, with ServiceAccount tokens the API server issues.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { connect } from "node:tls";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SIMULATOR_FLAGS } from "../harness/connections.js";
import { eventually } from "../harness/engine.js";
import { createTestNamespace, kubeConfigFor, OPERATOR_NAMESPACE } from "../harness/kube.js";
import { forbiddenIn } from "../harness/log-capture.js";
import { get, serviceAccountToken } from "../harness/metrics-scrape.js";
import { RawApi } from "../harness/raw-api.js";

const kubeconfig = inject("kubeconfig");
const { server, caPem, adminToken } = inject("apiServer");
const raw = new RawApi(server, caPem, adminToken);
const main = join(import.meta.dirname, "..", "..", "src", "cli", "main.ts");
let ns = "";
const children: ChildProcess[] = [];

beforeAll(async () => {
  ns = await createTestNamespace(kubeConfigFor(kubeconfig), "metrics-auth");
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await raw.close();
});

/** `run` as deploy/'s identity, without leader election; its metrics URL and its output so far. */
async function startRun(extra: string[]): Promise<{ url: string; out: () => string }> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      main,
      "run",
      `--kubeconfig=${kubeconfig}`,
      "--context=operator",
      `--namespace=${ns}`,
      "--leader-elect=false",
      // Where deploy/'s Lease Role lets it keep credential health.
      `--lease-namespace=${OPERATOR_NAMESPACE}`,
      "--metrics-port=0",
      "--metrics-host=127.0.0.1",
      ...SIMULATOR_FLAGS,
      ...extra,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  children.push(child);
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const started = /"metrics":"(https?:[^"]+)"/;
  await eventually("the start log line", () => started.test(out), 30_000);
  return { url: started.exec(out)?.[1] ?? "", out: () => out };
}

/** The certificate the server at `url` presents. */
async function peerCertificate(
  url: string,
): Promise<{ subjectaltname?: string; issuer: unknown; subject: unknown }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate());
      socket.end();
    });
    socket.once("error", reject);
  });
}

describe("secure metrics (the default)", () => {
  it("answer 401 without a token, 403 to a token without the right, 200 to dbfleet-metrics-reader", async () => {
    const reader = await serviceAccountToken(raw, ns, "prometheus", true);
    const stranger = await serviceAccountToken(raw, ns, "stranger", false);
    const { url, out } = await startRun([]);
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const cert = await peerCertificate(url);
    expect(cert.subjectaltname).toBe("DNS:localhost, IP Address:127.0.0.1");
    expect(cert.issuer).toEqual(cert.subject);

    expect(await get(`${url}/metrics`)).toEqual({ status: 401, text: "Unauthorized\n" });
    expect((await get(`${url}/metrics`, "not-a-token")).status).toBe(401);
    expect(await get(`${url}/metrics`, stranger)).toEqual({
      status: 403,
      text: `Authorization denied for user system:serviceaccount:${ns}:stranger\n`,
    });
    const allowed = await get(`${url}/metrics`, reader);
    expect(allowed.status).toBe(200);
    expect(allowed.text).toContain('workqueue_depth{name="tenantreplicaset"');
    // The same answers again, now from the caches.
    expect((await get(`${url}/metrics`, stranger)).status).toBe(403);
    expect((await get(`${url}/metrics`, reader)).status).toBe(200);
    // The probes stay open: the kubelet presents no token.
    expect((await get(`${url}/healthz`)).status).toBe(200);
    // deploy/'s ClusterRole grants the reviews: nothing the operator asked was refused.
    expect(forbiddenIn(out())).toEqual([]);
  });
});

describe("--metrics-secure=false", () => {
  it("serves plain HTTP to anyone", async () => {
    const { url } = await startRun(["--metrics-secure=false"]);
    expect(url).toMatch(/^http:\/\//);
    const open = await get(`${url}/metrics`);
    expect(open.status).toBe(200);
    expect(open.text).toContain("workqueue_depth");
  });
});
