// How to reach the API server: its URL, the auth headers and a TLS-configured pool. Kubeconfigs with
// tokens or client certificates, and in-cluster ServiceAccounts, are read here without
// @kubernetes/client-node, whose kubeconfig loader loads every generated model (~86 MiB of RSS).
// Exec plugins and auth providers fall back to client-node, loaded only then.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { Agent, type Dispatcher } from "undici";
import { z } from "zod";
import { describeIssues } from "../api/parse.js";

export interface KubeAccess {
  server: string;
  /** Auth headers for the next request (re-read as tokens rotate). */
  headers(): Promise<Record<string, string>>;
  dispatcher(): Promise<Dispatcher | undefined>;
  close(): Promise<void>;
}

const kubeconfigSchema = z.looseObject({
  clusters: z.array(
    z.looseObject({
      name: z.string(),
      cluster: z.looseObject({
        server: z.string().url(),
        "certificate-authority": z.string().optional(),
        "certificate-authority-data": z.string().optional(),
        "insecure-skip-tls-verify": z.boolean().optional(),
        "tls-server-name": z.string().optional(),
        "proxy-url": z.string().optional(),
      }),
    }),
  ),
  users: z
    .array(
      z.looseObject({
        name: z.string(),
        user: z
          .looseObject({
            token: z.string().optional(),
            tokenFile: z.string().optional(),
            "client-certificate": z.string().optional(),
            "client-certificate-data": z.string().optional(),
            "client-key": z.string().optional(),
            "client-key-data": z.string().optional(),
            username: z.string().optional(),
            exec: z.unknown().optional(),
            "auth-provider": z.unknown().optional(),
          })
          .nullable()
          .optional(),
      }),
    )
    .nullable()
    .optional(),
  contexts: z.array(
    z.looseObject({
      name: z.string(),
      context: z.looseObject({ cluster: z.string(), user: z.string().optional() }),
    }),
  ),
  "current-context": z.string().optional(),
});

const TOKEN_REREAD_MS = 60_000;
const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

function tokenSource(
  token: string | undefined,
  tokenFile: string | undefined,
): () => Promise<Record<string, string>> {
  let cached = token;
  let readAt = 0;
  return async () => {
    if (tokenFile && Date.now() - readAt > TOKEN_REREAD_MS) {
      cached = readFileSync(tokenFile, "utf8").trim();
      readAt = Date.now();
    }
    return cached ? { authorization: `Bearer ${cached}` } : {};
  };
}

function staticAccess(
  server: string,
  headers: () => Promise<Record<string, string>>,
  connect: ConstructorParameters<typeof Agent>[0],
): KubeAccess {
  const pool = new Agent({ ...connect, keepAliveTimeout: 30_000 });
  return {
    server: server.replace(/\/$/, ""),
    headers,
    dispatcher: async () => pool,
    close: () => pool.close(),
  };
}

/** Auth through client-node's KubeConfig (exec plugins, auth providers); one pool kept, headers refreshed. */
export function clientNodeAccess(kc: KubeConfig): KubeAccess {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("kubeconfig has no current cluster");
  const server = cluster.server.replace(/\/$/, "");
  let pool: Dispatcher | undefined;
  let headers: Record<string, string> = {};
  let at = 0;
  const refresh = async () => {
    if (at !== 0 && Date.now() - at < TOKEN_REREAD_MS) return;
    const { RequestContext, HttpMethod } = await import("@kubernetes/client-node");
    const ctx = new RequestContext(server, HttpMethod.GET);
    await kc.applySecurityAuthentication(ctx);
    headers = { ...(ctx.getHeaders() as Record<string, string>) };
    const fresh = ctx.getDispatcher();
    if (!pool && fresh) pool = fresh;
    else if (fresh && fresh !== pool) await fresh.close();
    at = Date.now();
  };
  return {
    server,
    headers: async () => {
      await refresh();
      return headers;
    },
    dispatcher: async () => {
      await refresh();
      return pool;
    },
    close: async () => {
      await pool?.close();
    },
  };
}

const fileOrData = (file: string | undefined, data: string | undefined, base: string): string | undefined =>
  data
    ? Buffer.from(data, "base64").toString("utf8")
    : file
      ? readFileSync(resolve(base, file), "utf8")
      : undefined;

/**
 * The access described by a kubeconfig file (`path`, else $KUBECONFIG's first file, else ~/.kube/config),
 * or the in-cluster ServiceAccount when none exists and the pod environment says so.
 */
export async function loadKubeAccess(
  options: { path?: string | undefined; context?: string | undefined; serviceAccountDir?: string } = {},
): Promise<KubeAccess> {
  const path =
    options.path ??
    process.env.KUBECONFIG?.split(":").find((p) => p !== "") ??
    join(homedir(), ".kube", "config");
  let text: string | undefined;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    const host = process.env.KUBERNETES_SERVICE_HOST;
    const port = process.env.KUBERNETES_SERVICE_PORT;
    if (!host || !port) throw new Error(`no kubeconfig at ${path} and not running in a cluster`);
    const dir = options.serviceAccountDir ?? SA_DIR;
    return staticAccess(
      `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
      tokenSource(undefined, join(dir, "token")),
      {
        connect: { ca: readFileSync(join(dir, "ca.crt"), "utf8") },
      },
    );
  }
  const { load } = await import("js-yaml");
  const parsed = kubeconfigSchema.safeParse(load(text));
  if (!parsed.success) throw new Error(`kubeconfig ${path}: ${describeIssues(parsed.error)}`);
  const config = parsed.data;
  const contextName = options.context ?? config["current-context"];
  const context = config.contexts.find((c) => c.name === contextName)?.context;
  if (!context) throw new Error(`kubeconfig ${path}: context "${contextName}" not found`);
  const cluster = config.clusters.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster) throw new Error(`kubeconfig ${path}: cluster "${context.cluster}" not found`);
  const user = config.users?.find((u) => u.name === context.user)?.user ?? {};
  if (
    user.exec !== undefined ||
    user["auth-provider"] !== undefined ||
    user.username !== undefined ||
    cluster["proxy-url"]
  ) {
    const { KubeConfig } = await import("@kubernetes/client-node");
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    if (contextName) kc.setCurrentContext(contextName);
    return clientNodeAccess(kc);
  }
  const base = join(path, "..");
  const ca = fileOrData(cluster["certificate-authority"], cluster["certificate-authority-data"], base);
  const cert = fileOrData(user["client-certificate"], user["client-certificate-data"], base);
  const key = fileOrData(user["client-key"], user["client-key-data"], base);
  return staticAccess(
    cluster.server,
    tokenSource(user.token, user.tokenFile ? resolve(base, user.tokenFile) : undefined),
    {
      connect: {
        ...(ca ? { ca } : {}),
        ...(cert ? { cert } : {}),
        ...(key ? { key } : {}),
        ...(cluster["insecure-skip-tls-verify"] ? { rejectUnauthorized: false } : {}),
        ...(cluster["tls-server-name"] ? { servername: cluster["tls-server-name"] } : {}),
      },
    },
  );
}
