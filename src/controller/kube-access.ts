// How to reach the API server: its URL, the auth headers and a TLS-configured pool. Kubeconfigs with
// tokens or client certificates, and in-cluster ServiceAccounts, are read here without
// @kubernetes/client-node, whose kubeconfig loader loads every generated model (~86 MiB of RSS).
// Exec plugins and auth providers fall back to client-node, loaded only then.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { load } from "js-yaml";
import { Agent, type Dispatcher } from "undici";
import { z } from "zod";
import { describeIssues } from "../api/parse.js";

export interface KubeAccess {
  server: string;
  /** Auth and impersonation headers for the next request (re-read as tokens rotate); a list repeats the header. */
  headers(): Promise<Record<string, string | string[]>>;
  dispatcher(): Promise<Dispatcher | undefined>;
  close(): Promise<void>;
}

const clusterSchema = z.looseObject({
  server: z.string().url(),
  "certificate-authority": z.string().optional(),
  "certificate-authority-data": z.string().optional(),
  "insecure-skip-tls-verify": z.boolean().optional(),
  "tls-server-name": z.string().optional(),
  "proxy-url": z.string().optional(),
});

const userSchema = z
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
    // Impersonation, as kubectl's --as, --as-uid, --as-group and the user's extra fields.
    as: z.string().optional(),
    "as-uid": z.string().optional(),
    "as-groups": z.array(z.string()).nullable().optional(),
    "as-user-extra": z.record(z.string(), z.array(z.string())).nullable().optional(),
  })
  .nullable()
  .optional();

const contextSchema = z.looseObject({ cluster: z.string(), user: z.string().optional() });

/** One kubeconfig file; each list may be absent, as in the files of a multi-file $KUBECONFIG. */
const kubeconfigSchema = z.looseObject({
  clusters: z
    .array(z.looseObject({ name: z.string().min(1), cluster: clusterSchema }))
    .nullable()
    .optional(),
  users: z
    .array(z.looseObject({ name: z.string().min(1), user: userSchema }))
    .nullable()
    .optional(),
  contexts: z
    .array(z.looseObject({ name: z.string().min(1), context: contextSchema }))
    .nullable()
    .optional(),
  "current-context": z.string().optional(),
});

type Cluster = z.output<typeof clusterSchema>;
type User = NonNullable<z.output<typeof userSchema>>;
type Context = z.output<typeof contextSchema>;

/** kubeconfig files merged as client-go's clientcmd does; relative paths already resolved against their own file. */
export interface MergedKubeconfig {
  files: string[];
  clusters: Map<string, Cluster>;
  users: Map<string, User>;
  contexts: Map<string, Context>;
  currentContext: string | undefined;
}

/**
 * Which kubeconfig files to read, as kubectl: an explicit path alone; else every file $KUBECONFIG lists
 * (empty entries skipped, duplicates once); else ~/.kube/config.
 */
export function kubeconfigFiles(explicit: string | undefined, env = process.env.KUBECONFIG): string[] {
  if (explicit) return [explicit];
  if (env) return [...new Set(env.split(delimiter).filter((p) => p !== ""))];
  return [join(homedir(), ".kube", "config")];
}

function resolvedCluster(cluster: Cluster, base: string): Cluster {
  const ca = cluster["certificate-authority"];
  return ca ? { ...cluster, "certificate-authority": resolve(base, ca) } : cluster;
}

function resolvedUser(user: User, base: string): User {
  const out = { ...user };
  for (const key of ["client-certificate", "client-key", "tokenFile"] as const) {
    const value = out[key];
    if (value) out[key] = resolve(base, value);
  }
  return out;
}

/**
 * clientcmd's merge (tools/clientcmd/loader.go): the first file to name a cluster, user or context wins
 * it whole (a later file's entry of the same name is ignored, even its other fields); the first file
 * that sets current-context sets it. A missing file is skipped, unless it was given explicitly; a file
 * that cannot be parsed fails the whole load, naming the file.
 */
export function mergeKubeconfigs(paths: string[], options: { explicit?: boolean } = {}): MergedKubeconfig {
  const merged: MergedKubeconfig = {
    files: [],
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
    currentContext: undefined,
  };
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      if (!options.explicit && (error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw new Error(`kubeconfig ${path}: ${(error as Error).message}`);
    }
    let doc: unknown;
    try {
      doc = text.trim() === "" ? {} : load(text);
    } catch (error) {
      throw new Error(
        `kubeconfig ${path}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
      );
    }
    const parsed = kubeconfigSchema.safeParse(doc ?? {});
    if (!parsed.success) throw new Error(`kubeconfig ${path}: ${describeIssues(parsed.error)}`);
    const config = parsed.data;
    const base = dirname(resolve(path));
    merged.files.push(path);
    for (const c of config.clusters ?? [])
      if (!merged.clusters.has(c.name)) merged.clusters.set(c.name, resolvedCluster(c.cluster, base));
    for (const u of config.users ?? [])
      if (!merged.users.has(u.name)) merged.users.set(u.name, resolvedUser(u.user ?? {}, base));
    for (const c of config.contexts ?? [])
      if (!merged.contexts.has(c.name)) merged.contexts.set(c.name, c.context);
    if (merged.currentContext === undefined && config["current-context"])
      merged.currentContext = config["current-context"];
  }
  return merged;
}

/** RFC 7230 token characters; anything else in an extra's key is %-encoded, as client-go's headerKeyEscape. */
const HEADER_TOKEN = /^[!#$&'*+\-.^_`|~0-9A-Za-z]$/;

function headerKeyEscape(key: string): string {
  let out = "";
  for (const byte of Buffer.from(key, "utf8")) {
    const c = String.fromCharCode(byte);
    out += HEADER_TOKEN.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * The impersonation headers of a kubeconfig user, as client-go's impersonating round tripper sends them;
 * none when the user impersonates no one. The API server checks the base identity may `impersonate`.
 */
export function impersonationHeaders(user: User): Record<string, string | string[]> {
  const groups = user["as-groups"] ?? [];
  const extra = Object.entries(user["as-user-extra"] ?? {});
  if (!user.as && !user["as-uid"] && groups.length === 0 && extra.length === 0) return {};
  const headers: Record<string, string | string[]> = { "impersonate-user": user.as ?? "" };
  if (user["as-uid"]) headers["impersonate-uid"] = user["as-uid"];
  if (groups.length > 0) headers["impersonate-group"] = groups;
  for (const [key, values] of extra)
    if (values.length > 0) headers[`impersonate-extra-${headerKeyEscape(key)}`] = values;
  return headers;
}

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

/**
 * HTTP/1.1 only. undici 8 negotiates HTTP/2 by default, and then every list and watch shares one TCP
 * connection: a watch aborted as silent (half-open path, frozen proxy) resets only its stream, and the
 * relist and the next watch go out on the same dead connection and hang. Over HTTP/1.1 each watch has
 * its own connection, which an abort or a timeout destroys.
 */
const POOL_OPTIONS = { keepAliveTimeout: 30_000, allowH2: false } as const;

function staticAccess(
  server: string,
  headers: () => Promise<Record<string, string>>,
  connect: ConstructorParameters<typeof Agent>[0],
): KubeAccess {
  const pool = new Agent({ ...connect, ...POOL_OPTIONS });
  return {
    server: server.replace(/\/$/, ""),
    headers,
    dispatcher: async () => pool,
    close: () => pool.close(),
  };
}

/** client-node's direct (no proxy) pool rebuilt with our POOL_OPTIONS; a proxy's dispatcher is kept as is. */
async function http1Pool(kc: KubeConfig, fresh: Dispatcher): Promise<Dispatcher> {
  const tlsOptions: import("node:https").AgentOptions = {};
  await kc.applyToHTTPSOptions(tlsOptions as import("node:https").RequestOptions);
  const options = kc.createDispatcherOptions(kc.getCurrentCluster(), tlsOptions);
  if (options.type !== "agent") return fresh;
  await fresh.close();
  // client-node's connect options are TLS options; undici's type differs only in optional-property strictness.
  return new Agent({ connect: options.connect as NonNullable<Agent.Options["connect"]>, ...POOL_OPTIONS });
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
    if (!pool && fresh) pool = await http1Pool(kc, fresh);
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

const fileOrData = (file: string | undefined, data: string | undefined): string | undefined =>
  data ? Buffer.from(data, "base64").toString("utf8") : file ? readFileSync(file, "utf8") : undefined;

/**
 * The access a kubeconfig describes, read as kubectl reads it: `path` alone if given (it must exist),
 * else $KUBECONFIG's files merged, else ~/.kube/config; `context`, else current-context. When no file
 * exists, the in-cluster ServiceAccount if the pod environment says so. Impersonation (`as`, `as-uid`,
 * `as-groups`, `as-user-extra`) is honoured: every request carries it, so the API server authorizes
 * the impersonated identity, never the base one.
 */
export async function loadKubeAccess(
  options: { path?: string | undefined; context?: string | undefined; serviceAccountDir?: string } = {},
): Promise<KubeAccess> {
  const files = kubeconfigFiles(options.path);
  const config = mergeKubeconfigs(files, { explicit: options.path !== undefined && options.path !== "" });
  if (config.files.length === 0) {
    const host = process.env.KUBERNETES_SERVICE_HOST;
    const port = process.env.KUBERNETES_SERVICE_PORT;
    if (!host || !port)
      throw new Error(`no kubeconfig at ${files.join(delimiter)} and not running in a cluster`);
    const dir = options.serviceAccountDir ?? SA_DIR;
    return staticAccess(
      `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
      tokenSource(undefined, join(dir, "token")),
      {
        connect: { ca: readFileSync(join(dir, "ca.crt"), "utf8") },
      },
    );
  }
  const where = `kubeconfig ${config.files.join(delimiter)}`;
  const contextName = options.context || config.currentContext;
  if (!contextName) throw new Error(`${where}: no current-context; name one with --context`);
  const context = config.contexts.get(contextName);
  if (!context) throw new Error(`${where}: context "${contextName}" not found`);
  const cluster = config.clusters.get(context.cluster);
  if (!cluster) throw new Error(`${where}: cluster "${context.cluster}" not found`);
  const user: User = (context.user === undefined ? undefined : config.users.get(context.user)) ?? {};
  const impersonation = impersonationHeaders(user);
  if (
    user.exec !== undefined ||
    user["auth-provider"] !== undefined ||
    user.username !== undefined ||
    cluster["proxy-url"]
  ) {
    const { KubeConfig } = await import("@kubernetes/client-node");
    const kc = new KubeConfig();
    // The merged view with absolute paths, so client-node reads what kubectl would.
    kc.loadFromString(
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: context.cluster, cluster }],
        users: [{ name: context.user ?? "", user }],
        contexts: [{ name: contextName, context }],
        "current-context": contextName,
      }),
    );
    return withHeaders(clientNodeAccess(kc), impersonation);
  }
  const ca = fileOrData(cluster["certificate-authority"], cluster["certificate-authority-data"]);
  const cert = fileOrData(user["client-certificate"], user["client-certificate-data"]);
  const key = fileOrData(user["client-key"], user["client-key-data"]);
  return withHeaders(
    staticAccess(cluster.server, tokenSource(user.token, user.tokenFile), {
      connect: {
        ...(ca ? { ca } : {}),
        ...(cert ? { cert } : {}),
        ...(key ? { key } : {}),
        ...(cluster["insecure-skip-tls-verify"] ? { rejectUnauthorized: false } : {}),
        ...(cluster["tls-server-name"] ? { servername: cluster["tls-server-name"] } : {}),
      },
    }),
    impersonation,
  );
}

function withHeaders(access: KubeAccess, extra: Record<string, string | string[]>): KubeAccess {
  if (Object.keys(extra).length === 0) return access;
  return { ...access, headers: async () => ({ ...(await access.headers()), ...extra }) };
}
