// A real etcd and kube-apiserver as local processes, the envtest way.

import type { ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "undici";
import { freePort, removeOnExit, startProcess, stopProcess } from "./processes.js";

const repoRoot = join(import.meta.dirname, "..", "..");

export interface Identity {
  user: string;
  token: string;
  groups: string[];
}

export interface ControlPlane {
  server: string;
  caPem: string;
  admin: Identity;
  /** A non-admin identity the operator's ClusterRole is bound to. */
  operator: Identity;
  kubeconfigPath: string;
  dir: string;
  /** Kill the apiserver and etcd and remove every temporary file. */
  stop(): Promise<void>;
  /** Restart only the apiserver process (same etcd, same port): cuts every watch. */
  restartApiServer(): Promise<void>;
  /** The kube-apiserver's process id now (the benchmark reads its CPU time from /proc). */
  apiServerPid(): number | undefined;
}

/** The folder holding etcd and kube-apiserver: KUBEBUILDER_ASSETS, or built/found by scripts/envtest-bin.sh. */
export function envtestAssets(): string {
  return execFileSync("bash", [join(repoRoot, "scripts", "envtest-bin.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  logFile: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  let tail = "";
  try {
    tail = readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n");
  } catch {}
  throw new Error(`${what} did not become ready within ${timeoutMs} ms; last log lines:\n${tail}`);
}

function kubeconfig(server: string, caPem: string, identities: Record<string, Identity>): string {
  const ca = Buffer.from(caPem).toString("base64");
  const users = Object.entries(identities).map(([name, id]) => ({ name, user: { token: id.token } }));
  const contexts = Object.keys(identities).map((name) => ({
    name,
    context: { cluster: "envtest", user: name },
  }));
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "envtest", cluster: { server, "certificate-authority-data": ca } }],
    users,
    contexts,
    "current-context": "admin",
  });
}

export async function startControlPlane(options: { assets?: string } = {}): Promise<ControlPlane> {
  const assets = options.assets ?? envtestAssets();
  const dir = mkdtempSync(join(process.env.DBFLEET_ENVTEST_TMP ?? tmpdir(), "dbfleet-envtest-"));
  const children: ChildProcess[] = [];
  const forget = removeOnExit(dir);
  const cleanup = async () => {
    for (const child of children.reverse()) await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
    forget();
  };
  try {
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const etcdLog = join(dir, "etcd.log");
    children.push(
      startProcess(
        join(assets, "etcd"),
        [
          `--data-dir=${join(dir, "etcd")}`,
          "--name=envtest",
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
          `--initial-cluster=envtest=http://127.0.0.1:${peerPort}`,
          "--log-level=warn",
        ],
        etcdLog,
      ),
    );
    await waitFor(
      "etcd",
      async () => (await request(`${etcdUrl}/health`)).statusCode === 200,
      30_000,
      etcdLog,
    );

    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(join(dir, "sa.key"), privateKey.export({ type: "pkcs1", format: "pem" }));
    writeFileSync(join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
    const admin: Identity = {
      user: "envtest-admin",
      token: randomBytes(24).toString("hex"),
      groups: ["system:masters"],
    };
    const operator: Identity = {
      user: "dbfleet-operator",
      token: randomBytes(24).toString("hex"),
      groups: ["system:authenticated"],
    };
    writeFileSync(
      join(dir, "tokens.csv"),
      [admin, operator].map((id) => `${id.token},${id.user},${id.user},"${id.groups.join(",")}"`).join("\n"),
    );

    const server = `https://127.0.0.1:${apiPort}`;
    const certDir = join(dir, "certs");
    const apiLog = join(dir, "kube-apiserver.log");
    const apiArgs = [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      "--insecure-port=0",
      `--cert-dir=${certDir}`,
      "--service-cluster-ip-range=10.0.0.0/24",
      `--service-account-key-file=${join(dir, "sa.pub")}`,
      `--service-account-signing-key-file=${join(dir, "sa.key")}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--token-auth-file=${join(dir, "tokens.csv")}`,
      "--authorization-mode=RBAC",
      "--allow-privileged=true",
      "--disable-admission-plugins=ServiceAccount",
      "--enable-priority-and-fairness=false",
      "--v=1",
    ];
    const startApi = () => {
      const child = startProcess(join(assets, "kube-apiserver"), apiArgs, apiLog);
      children.push(child);
      return child;
    };
    let apiserver = startApi();
    const ready = async (): Promise<boolean> => {
      const caPem = readFileSync(join(certDir, "apiserver.crt"), "utf8");
      const dispatcher = new Agent({ connect: { ca: caPem } });
      try {
        const res = await request(`${server}/readyz`, {
          dispatcher,
          headers: { authorization: `Bearer ${admin.token}` },
        });
        await res.body.dump();
        return res.statusCode === 200;
      } finally {
        await dispatcher.close();
      }
    };
    await waitFor("kube-apiserver", ready, 90_000, apiLog);
    const caPem = readFileSync(join(certDir, "apiserver.crt"), "utf8");
    const kubeconfigPath = join(dir, "kubeconfig");
    writeFileSync(kubeconfigPath, kubeconfig(server, caPem, { admin, operator }));

    return {
      server,
      caPem,
      admin,
      operator,
      kubeconfigPath,
      dir,
      stop: cleanup,
      apiServerPid: () => apiserver.pid,
      async restartApiServer() {
        await stopProcess(apiserver);
        children.splice(children.indexOf(apiserver), 1);
        apiserver = startApi();
        await waitFor("kube-apiserver (restart)", ready, 90_000, apiLog);
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
