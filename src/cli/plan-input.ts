// What `plan` reads, as `kubectl apply` reads it: -f files, folders (-R to recurse) and `-` (stdin), or
// -k a kustomization rendered by kubectl's own kustomize; namespaces resolved as kubectl resolves them.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { loadAll, YAMLException } from "js-yaml";
import { z } from "zod";
import { objectName } from "../api/common.js";
import { isSetKind, SET_KINDS, type SetKindName } from "../api/kinds.js";
import { describeIssues } from "../api/parse.js";
import { kubeconfigFiles, mergeKubeconfigs } from "../controller/kube-access.js";
import type { KubeObject } from "../controller/resource.js";
import { InputError, UsageError } from "./flags.js";

/** A namespace name: an RFC 1123 label (no dots, no slashes), as the API server requires. */
const NAMESPACE_NAME = "must be a namespace name (RFC 1123 label)";
export const namespaceName = z
  .string()
  .min(1, { message: NAMESPACE_NAME })
  .max(63, { message: NAMESPACE_NAME })
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: NAMESPACE_NAME });

/** Names read from a manifest or an object before they go into an API path. */
export function checkedName(kind: "namespace" | "name", value: string, where: string): string {
  const parsed = (kind === "namespace" ? namespaceName : objectName).safeParse(value);
  if (!parsed.success)
    throw new InputError(`${where}: ${JSON.stringify(value)} ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

export type { SetKindName };

export interface Manifest {
  kind: SetKindName;
  /** The set as it would be applied: metadata.namespace resolved, status dropped (apply never writes it). */
  object: KubeObject;
  /** Where it was read: `file (document n)`. */
  source: string;
}

/** kubectl's FileExtensions: the files of a folder it reads. */
const EXTENSIONS = new Set([".json", ".yaml", ".yml"]);

function folderFiles(dir: string, recursive: boolean): string[] {
  return readdirSync(dir, { recursive, encoding: "utf8" })
    .filter((f) => EXTENSIONS.has(extname(f)) && !statSync(join(dir, f)).isDirectory())
    .sort()
    .map((f) => join(dir, f));
}

export interface InputOptions {
  filename: string[];
  kustomize?: string | undefined;
  recursive: boolean;
  /** stdin's text, read once when `-f -` is given. */
  stdin: () => Promise<string>;
  /** The kubectl that renders `-k` (KUBECTL, else kubectl on the PATH). */
  kubectl?: string | undefined;
}

/** The texts to parse, each with the name errors cite. */
export async function readSources(options: InputOptions): Promise<{ label: string; text: string }[]> {
  if (options.kustomize !== undefined && options.filename.length > 0)
    throw new UsageError("only one of -f or -k can be specified");
  if (options.kustomize !== undefined)
    return [{ label: `kustomize ${options.kustomize}`, text: await renderKustomization(options) }];
  if (options.filename.length === 0)
    throw new UsageError("name at least one file or folder with -f, or -k DIR");
  const out: { label: string; text: string }[] = [];
  let stdinRead = false;
  for (const path of options.filename) {
    if (path === "-") {
      if (stdinRead) throw new UsageError("-f - may be given once");
      stdinRead = true;
      out.push({ label: "<stdin>", text: await options.stdin() });
      continue;
    }
    let files: string[];
    try {
      files = statSync(path).isDirectory() ? folderFiles(path, options.recursive) : [path];
    } catch (error) {
      throw new InputError(
        `${path}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or folder" : (error as Error).message}`,
      );
    }
    for (const file of files) out.push({ label: file, text: readFileSync(file, "utf8") });
  }
  return out;
}

/** `kubectl kustomize DIR`: the renderer `kubectl apply -k` uses, so the sets are those apply would send. */
async function renderKustomization(options: InputOptions): Promise<string> {
  const kubectl = options.kubectl ?? process.env.KUBECTL ?? "kubectl";
  const dir = options.kustomize ?? "";
  const child = spawn(kubectl, ["kustomize", dir], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT"
          ? new InputError(
              `-k needs kubectl (${kubectl} not found); or render elsewhere and pipe it: kustomize build ${dir} | dbfleet-operator plan -f -`,
            )
          : error,
      ),
    );
    child.once("close", resolve);
  });
  if (code !== 0) throw new InputError(`kubectl kustomize ${dir}: ${stderr.trim() || `exited ${code}`}`);
  return stdout;
}

/** The documents of one source; a YAML syntax error names the source and the line. */
function documentsOf(label: string, text: string): unknown[] {
  let docs: unknown[];
  try {
    docs = loadAll(text);
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    const at = error.mark ? `:${error.mark.line + 1}:${error.mark.column + 1}` : "";
    throw new InputError(`${label}${at}: YAML syntax error: ${error.reason}`);
  }
  // A `kind: List` (kubectl get -o yaml) is its items, as kubectl apply reads it.
  return docs.flatMap((doc) => {
    const list = z.object({ kind: z.literal("List"), items: z.array(z.unknown()) }).safeParse(doc);
    return list.success ? list.data.items : [doc];
  });
}

/** Where kubectl apply would put a namespaced object, or why it refuses (an --namespace that disagrees). */
export function resolveNamespace(
  manifest: string | undefined,
  flag: string | undefined,
  context: string | undefined,
): { ok: true; namespace: string } | { ok: false; message: string } {
  // kubectl: the flag enforces; the context's namespace (and `default`) only fill in.
  if (manifest) {
    if (flag !== undefined && manifest !== flag)
      return {
        ok: false,
        message: `the namespace from the provided object "${manifest}" does not match the namespace "${flag}". You must pass '--namespace=${manifest}' to perform this operation.`,
      };
    return { ok: true, namespace: manifest };
  }
  return { ok: true, namespace: flag ?? context ?? "default" };
}

const metadataShape = z.looseObject({ namespace: z.string().optional() });

/** The sets in the sources, validated; a bad one names the source, the document and the field. */
export function readSets(
  sources: { label: string; text: string }[],
  namespaces: { flag: string | undefined; context: string | undefined },
): Manifest[] {
  const sets: Manifest[] = [];
  for (const { label, text } of sources) {
    documentsOf(label, text).forEach((doc, index) => {
      const kind = (doc as { kind?: unknown } | null)?.kind;
      if (!isSetKind(kind)) return;
      const where = `${label} (document ${index + 1}, ${kind})`;
      const parsed = SET_KINDS[kind].schema.safeParse(doc);
      if (!parsed.success) throw new InputError(`${where}: ${describeIssues(parsed.error)}`);
      // kubectl apply never writes status (a subresource): only the cluster's status is ever read.
      const { status: _status, ...rest } = structuredClone(doc) as KubeObject;
      const object = rest as KubeObject;
      const declared = metadataShape.parse(object.metadata).namespace;
      const resolved = resolveNamespace(declared || undefined, namespaces.flag, namespaces.context);
      if (!resolved.ok) throw new InputError(`${where}: ${resolved.message}`);
      object.metadata.namespace = checkedName(
        "namespace",
        resolved.namespace,
        `${where}: metadata.namespace`,
      );
      checkedName("name", object.metadata.name, `${where}: metadata.name`);
      sets.push({ kind, object, source: where });
    });
  }
  return sets;
}

const contextNamespace = z.looseObject({ namespace: z.string().optional() });

/**
 * The namespace of the kubeconfig context plan uses (`--context`, else current-context), as kubectl's
 * default for objects that name none; undefined without a kubeconfig or when the context sets none.
 */
export function kubeconfigNamespace(
  path: string | undefined,
  context: string | undefined,
): string | undefined {
  const config = mergeKubeconfigs(kubeconfigFiles(path), { explicit: path !== undefined && path !== "" });
  const name = context || config.currentContext;
  const found = name === undefined ? undefined : config.contexts.get(name);
  const namespace = contextNamespace.safeParse(found).data?.namespace;
  return namespace === "" ? undefined : namespace;
}
