// How to reach the API server: its URL, the auth headers and a TLS-configured pool. Kubeconfigs with
// tokens, client certificates or exec plugins, and in-cluster ServiceAccounts, are read here as
// kubectl 1.32 (client-go) reads them, without @kubernetes/client-node, whose kubeconfig loader loads
// every generated model (README "Development notes" has the RSS figures). Auth providers, basic auth
// and proxy-url fall back to client-node, loaded only then.
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join, resolve, sep } from "node:path";
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
    exec: z
      .looseObject({
        apiVersion: z.string().optional(),
        command: z.string().optional(),
        args: z.array(z.string()).nullable().optional(),
        env: z
          .array(z.object({ name: z.string(), value: z.string() }))
          .nullable()
          .optional(),
        installHint: z.string().optional(),
        provideClusterInfo: z.boolean().optional(),
        interactiveMode: z.string().optional(),
      })
      .nullable()
      .optional(),
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

/**
 * Paths relative to the kubeconfig's folder, as clientcmd's GetAuthInfoFileReferences: the certificate,
 * key and token file; an exec command only when it contains a path separator (a bare name is looked up
 * on PATH).
 */
function resolvedUser(user: User, base: string): User {
  const out = { ...user };
  for (const key of ["client-certificate", "client-key", "tokenFile"] as const) {
    const value = out[key];
    if (value) out[key] = resolve(base, value);
  }
  const command = out.exec?.command;
  if (out.exec && command?.includes(sep)) out.exec = { ...out.exec, command: resolve(base, command) };
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

/** Reads a file; a failure says what Go's os.ReadFile says (`open <path>: no such file or directory`). */
function readGo(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(goOpenError(path, error));
  }
}

function goOpenError(path: string, error: unknown): string {
  // Node: "ENOENT: no such file or directory, open '/x'"; Go: "open /x: no such file or directory".
  const reason = /^[A-Z]+: ([^,]+),/.exec(error instanceof Error ? error.message : "")?.[1];
  return `open ${path}: ${reason ?? String(error)}`;
}

/** client-go's cachedFileTokenSource re-reads a token file once a minute. */
const TOKEN_REREAD_MS = 60_000;
const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * Bearer headers from a token and/or a token file, as client-go: a token file alone must be readable
 * at load (clientcmd's ReadFile; kubectl fails with the open error); then it is re-read each minute,
 * and a failed read keeps the last token (the file's previous content, else the kubeconfig's `token`)
 * instead of failing the request (transport's bearerAuthRoundTripper and cachingTokenSource).
 */
export function tokenSource(
  token: string | undefined,
  tokenFile: string | undefined,
  now: () => number = Date.now,
): () => Promise<Record<string, string>> {
  const read = (file: string) => readGo(file).trim();
  let cached = token || (tokenFile ? read(tokenFile) : undefined);
  let readAt = tokenFile && !token ? now() : Number.NEGATIVE_INFINITY;
  return async () => {
    if (tokenFile && now() - readAt > TOKEN_REREAD_MS) {
      try {
        cached = read(tokenFile);
      } catch {
        // kept: client-go logs "Unable to rotate token" and sends the last one
      }
      readAt = now();
    }
    return cached ? { authorization: `Bearer ${cached}` } : {};
  };
}

/**
 * The User-Agent, in client-go's form (rest.DefaultKubernetesUserAgent: `<command>/<version>
 * (<os>/<arch>) kubernetes/<commit>`), with this program's name and version and, in the last place where
 * client-go names the Kubernetes source it was built from, the runtime it runs on.
 */
export function kubeUserAgent(version: string): string {
  const arch = process.arch === "x64" ? "amd64" : process.arch === "ia32" ? "386" : process.arch;
  const v = version === "" ? "unknown" : version.startsWith("v") ? version : `v${version}`;
  return `dbfleet-operator/${v} (${process.platform}/${arch}) node/${process.version}`;
}

/**
 * HTTP/1.1 only. undici 8 negotiates HTTP/2 by default, and then every list and watch shares one TCP
 * connection: a watch aborted as silent (half-open path, frozen proxy) resets only its stream, and the
 * relist and the next watch go out on the same dead connection and hang. Over HTTP/1.1 each watch has
 * its own connection, which an abort or a timeout destroys.
 */
const POOL_OPTIONS = { keepAliveTimeout: 30_000, allowH2: false } as const;

type ConnectOptions = NonNullable<Agent.Options["connect"]>;

function staticAccess(
  server: string,
  headers: () => Promise<Record<string, string>>,
  connect: ConnectOptions,
): KubeAccess {
  const pool = new Agent({ connect, ...POOL_OPTIONS });
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
  return new Agent({ connect: options.connect as ConnectOptions, ...POOL_OPTIONS });
}

/** Auth through client-node's KubeConfig (auth providers, basic auth, proxy-url); one pool kept, headers refreshed. */
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

const EXEC_API_VERSIONS = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"];

/** What an exec plugin prints (client.authentication.k8s.io ExecCredential). */
const execCredentialSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.literal("ExecCredential"),
  status: z
    .looseObject({
      token: z.string().optional(),
      clientCertificateData: z.string().optional(),
      clientKeyData: z.string().optional(),
      expirationTimestamp: z.string().optional(),
    })
    .nullable()
    .optional(),
});

export interface ExecCredentials {
  token: string | undefined;
  cert: { cert: string; key: string } | undefined;
}

type ExecConfig = NonNullable<User["exec"]>;

/**
 * An exec credential plugin run as client-go's exec authenticator (plugin/pkg/client/auth/exec):
 * KUBERNETES_EXEC_INFO in its environment, stdout decoded as an ExecCredential of the configured
 * apiVersion, the result kept until its expirationTimestamp (forever without one), then the plugin is
 * run again: a client certificate it issues is rotated that way. The operator never has a terminal, so
 * the plugin is never interactive (interactiveMode Always is refused, as client-go does without one).
 */
export function execPlugin(
  exec: ExecConfig,
  cluster: Cluster,
  now: () => number = Date.now,
): () => Promise<ExecCredentials> {
  const apiVersion = exec.apiVersion ?? "";
  const command = exec.command ?? "";
  let cached: ExecCredentials | undefined;
  let expiresAt = Number.POSITIVE_INFINITY;
  let running: Promise<ExecCredentials> | undefined;
  const clusterInfo = () => {
    const ca = fileOrData(cluster["certificate-authority"], cluster["certificate-authority-data"]);
    return {
      server: cluster.server,
      ...(cluster["tls-server-name"] ? { "tls-server-name": cluster["tls-server-name"] } : {}),
      ...(cluster["insecure-skip-tls-verify"] ? { "insecure-skip-tls-verify": true } : {}),
      ...(ca ? { "certificate-authority-data": Buffer.from(ca).toString("base64") } : {}),
      ...(cluster["proxy-url"] ? { "proxy-url": cluster["proxy-url"] } : {}),
    };
  };
  const run = () =>
    new Promise<ExecCredentials>((done, fail) => {
      if (exec.interactiveMode === "Always")
        return fail(
          new Error("exec plugin cannot support interactive mode: standard input is not a terminal"),
        );
      const info = {
        kind: "ExecCredential",
        apiVersion,
        spec: { interactive: false, ...(exec.provideClusterInfo ? { cluster: clusterInfo() } : {}) },
      };
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const e of exec.env ?? []) env[e.name] = e.value;
      env.KUBERNETES_EXEC_INFO = JSON.stringify(info);
      const child = spawn(command, exec.args ?? [], { env, stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.once("error", (error: NodeJS.ErrnoException) =>
        fail(
          new Error(
            error.code === "ENOENT" || error.code === "EACCES"
              ? `getting credentials: exec: executable ${command} not found` +
                  "\n\nIt looks like you are trying to use a client-go credential plugin that is not installed." +
                  (exec.installHint ? `\n\n${exec.installHint}` : "")
              : `getting credentials: exec: ${error.message}`,
          ),
        ),
      );
      child.once("close", (code) => {
        if (code !== 0)
          return fail(
            new Error(`getting credentials: exec: executable ${command} failed with exit code ${code}`),
          );
        let doc: unknown;
        try {
          doc = JSON.parse(out);
        } catch (error) {
          return fail(new Error(`getting credentials: decoding stdout: ${(error as Error).message}`));
        }
        const parsed = execCredentialSchema.safeParse(doc);
        if (!parsed.success)
          return fail(new Error(`getting credentials: decoding stdout: ${describeIssues(parsed.error)}`));
        const cred = parsed.data;
        if (cred.apiVersion !== apiVersion)
          return fail(
            new Error(
              `getting credentials: exec plugin is configured to use API version ${apiVersion}, plugin returned version ${cred.apiVersion}`,
            ),
          );
        const status = cred.status;
        if (!status) return fail(new Error("getting credentials: exec plugin didn't return a status field"));
        const { token, clientCertificateData: cert, clientKeyData: key } = status;
        if (!token && !cert && !key)
          return fail(new Error("getting credentials: exec plugin didn't return a token or cert/key pair"));
        if (!cert !== !key)
          return fail(
            new Error("getting credentials: exec plugin returned only certificate or key, not both"),
          );
        expiresAt = status.expirationTimestamp
          ? Date.parse(status.expirationTimestamp)
          : Number.POSITIVE_INFINITY;
        done({ token: token || undefined, cert: cert && key ? { cert, key } : undefined });
      });
    });
  return async () => {
    if (cached && now() <= expiresAt) return cached;
    running ??= run().finally(() => {
      running = undefined;
    });
    cached = await running;
    return cached;
  };
}

/**
 * Access through an exec plugin: its token as the bearer, its client certificate in the pool. A new
 * certificate gets a new pool and the old one is closed (client-go closes every connection when the
 * certificate rotates), so no request goes out with an expired certificate on a kept-alive connection.
 */
function execAccess(
  server: string,
  credentials: () => Promise<ExecCredentials>,
  connect: ConnectOptions,
): KubeAccess {
  let pool: Agent | undefined;
  let poolCert: ExecCredentials["cert"];
  return {
    server: server.replace(/\/$/, ""),
    headers: async () => {
      const { token } = await credentials();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    dispatcher: async () => {
      const { cert } = await credentials();
      if (!pool || cert !== poolCert) {
        const old = pool;
        pool = new Agent({ connect: { ...connect, ...(cert ?? {}) }, ...POOL_OPTIONS });
        poolCert = cert;
        // Not awaited: close() waits for requests in flight (watches) on the old certificate to end.
        void old?.close();
      }
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
 * clientcmd's checks of the cluster and user in use (validation.go validateClusterInfo and
 * validateAuthInfo), with its messages, then transport's refusal of a CA with insecure-skip-tls-verify
 * (transport.go TLSConfigFor). kubectl refuses such a kubeconfig; so does the operator.
 */
export function kubeconfigProblems(
  clusterName: string,
  cluster: Cluster,
  userName: string,
  user: User,
): string[] {
  const problems: string[] = [];
  const unreadable = (path: string) => {
    try {
      closeSync(openSync(path, "r"));
      return undefined;
    } catch (error) {
      return goOpenError(path, error);
    }
  };
  const ca = cluster["certificate-authority"];
  if (ca && cluster["certificate-authority-data"])
    problems.push(
      `certificate-authority-data and certificate-authority are both specified for ${clusterName}. certificate-authority-data will override.`,
    );
  if (ca && unreadable(ca))
    problems.push(`unable to read certificate-authority ${ca} for ${clusterName} due to ${unreadable(ca)}`);
  const cert = user["client-certificate"];
  const key = user["client-key"];
  if (cert || user["client-certificate-data"]) {
    if (cert && user["client-certificate-data"])
      problems.push(
        `client-cert-data and client-cert are both specified for ${userName}. client-cert-data will override.`,
      );
    if (key && user["client-key-data"])
      problems.push(
        `client-key-data and client-key are both specified for ${userName}; client-key-data will override`,
      );
    if (!key && !user["client-key-data"])
      problems.push(
        `client-key-data or client-key must be specified for ${userName} to use the clientCert authentication method.`,
      );
    if (cert && unreadable(cert))
      problems.push(`unable to read client-cert ${cert} for ${userName} due to ${unreadable(cert)}`);
    if (key && unreadable(key))
      problems.push(`unable to read client-key ${key} for ${userName} due to ${unreadable(key)}`);
  }
  const exec = user.exec;
  if (exec) {
    if (user["auth-provider"] !== undefined)
      problems.push(`authProvider cannot be provided in combination with an exec plugin for ${userName}`);
    if (!exec.command)
      problems.push(`command must be specified for ${userName} to use exec authentication plugin`);
    if (!exec.apiVersion)
      problems.push(`apiVersion must be specified for ${userName} to use exec authentication plugin`);
    for (const e of exec.env ?? [])
      if (!e.name)
        problems.push(
          `env variable name must be specified for ${userName} to use exec authentication plugin`,
        );
    // clientcmd defaults an unset interactiveMode to IfAvailable for v1beta1 only.
    const mode = exec.interactiveMode || (exec.apiVersion === EXEC_API_VERSIONS[1] ? "IfAvailable" : "");
    if (mode === "")
      problems.push(`interactiveMode must be specified for ${userName} to use exec authentication plugin`);
    else if (!["Never", "IfAvailable", "Always"].includes(mode))
      problems.push(`invalid interactiveMode for ${userName}: "${mode}"`);
  }
  if (user.token && (user.username || (user as { password?: string }).password))
    problems.push(
      `more than one authentication method found for ${userName}; found [token basicAuth], only one is allowed`,
    );
  if (problems.length > 0) return problems;
  if ((ca || cluster["certificate-authority-data"]) && cluster["insecure-skip-tls-verify"])
    problems.push("specifying a root certificates file with the insecure flag is not allowed");
  return problems;
}

type KubeconfigOptions = {
  path?: string | undefined;
  context?: string | undefined;
  serviceAccountDir?: string;
};

/** What a kubeconfig names for `options`, checked as clientcmd checks it; the in-cluster env when there is no file. */
function resolveKubeconfig(options: KubeconfigOptions) {
  const files = kubeconfigFiles(options.path);
  const config = mergeKubeconfigs(files, { explicit: options.path !== undefined && options.path !== "" });
  if (config.files.length === 0) {
    const host = process.env.KUBERNETES_SERVICE_HOST;
    const port = process.env.KUBERNETES_SERVICE_PORT;
    if (!host || !port)
      throw new Error(`no kubeconfig at ${files.join(delimiter)} and not running in a cluster`);
    const server = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
    return { inCluster: true as const, server, dir: options.serviceAccountDir ?? SA_DIR };
  }
  const where = `kubeconfig ${config.files.join(delimiter)}`;
  const contextName = options.context || config.currentContext;
  if (!contextName) throw new Error(`${where}: no current-context; name one with --context`);
  const context = config.contexts.get(contextName);
  if (!context) throw new Error(`${where}: context "${contextName}" not found`);
  const cluster = config.clusters.get(context.cluster);
  if (!cluster) throw new Error(`${where}: cluster "${context.cluster}" not found`);
  const user: User = (context.user === undefined ? undefined : config.users.get(context.user)) ?? {};
  const problems = kubeconfigProblems(context.cluster, cluster, context.user ?? "", user);
  if (problems.length > 0)
    throw new Error(`${where}: ${problems.length === 1 ? problems[0] : `[${problems.join(", ")}]`}`);
  return { inCluster: false as const, server: cluster.server, where, contextName, context, cluster, user };
}

/**
 * The API server a kubeconfig's context (or the in-cluster env) names, without trailing slash, read as
 * `loadKubeAccess` reads it; synchronous, for a caller that must name the server before the access loads.
 */
export function kubeconfigServer(options: KubeconfigOptions): string {
  return resolveKubeconfig(options).server.replace(/\/$/, "");
}

/**
 * The access a kubeconfig describes, read as kubectl reads it: `path` alone if given (it must exist),
 * else $KUBECONFIG's files merged, else ~/.kube/config; `context`, else current-context. When no file
 * exists, the in-cluster ServiceAccount if the pod environment says so. Impersonation (`as`, `as-uid`,
 * `as-groups`, `as-user-extra`) is honoured: every request carries it, so the API server authorizes
 * the impersonated identity, never the base one. Every request carries `userAgent`.
 */
export async function loadKubeAccess(
  options: KubeconfigOptions & { userAgent?: string } = {},
): Promise<KubeAccess> {
  const agent = { "user-agent": options.userAgent ?? kubeUserAgent("") };
  const resolved = resolveKubeconfig(options);
  if (resolved.inCluster)
    return withHeaders(
      staticAccess(resolved.server, tokenSource(undefined, join(resolved.dir, "token")), {
        ca: readFileSync(join(resolved.dir, "ca.crt"), "utf8"),
      }),
      agent,
    );
  const { where, contextName, context, cluster, user } = resolved;
  const extra = { ...impersonationHeaders(user), ...agent };
  if (user["auth-provider"] !== undefined || user.username !== undefined || cluster["proxy-url"]) {
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
    return withHeaders(clientNodeAccess(kc), extra);
  }
  const ca = fileOrData(cluster["certificate-authority"], cluster["certificate-authority-data"]);
  const cert = fileOrData(user["client-certificate"], user["client-certificate-data"]);
  const key = fileOrData(user["client-key"], user["client-key-data"]);
  const connect: ConnectOptions = {
    ...(ca ? { ca } : {}),
    ...(cluster["insecure-skip-tls-verify"] ? { rejectUnauthorized: false } : {}),
    ...(cluster["tls-server-name"] ? { servername: cluster["tls-server-name"] } : {}),
  };
  // The exec plugin is skipped when the user has a token or a certificate (exec.go UpdateTransportConfig).
  if (user.exec && !user.token && !user.tokenFile && !cert) {
    if (!EXEC_API_VERSIONS.includes(user.exec.apiVersion ?? ""))
      throw new Error(`${where}: exec plugin: invalid apiVersion "${user.exec.apiVersion}"`);
    return withHeaders(execAccess(cluster.server, execPlugin(user.exec, cluster), connect), extra);
  }
  return withHeaders(
    staticAccess(cluster.server, tokenSource(user.token, user.tokenFile), {
      ...connect,
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
    }),
    extra,
  );
}

function withHeaders(access: KubeAccess, extra: Record<string, string | string[]>): KubeAccess {
  if (Object.keys(extra).length === 0) return access;
  return { ...access, headers: async () => ({ ...(await access.headers()), ...extra }) };
}
