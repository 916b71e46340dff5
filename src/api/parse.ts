import type { z } from "zod";

/** `spec.zones[1]`-style path of a zod issue, the same notation the API server uses. */
export function issuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(root)" : out;
}

/** One line per problem, each naming the field: what users see in conditions, events and CLI errors. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issuePath(issue.path)}: ${issue.message}`).join("; ");
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** Parses outside input without throwing: a failure is a message naming every bad field. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown): Parsed<z.output<S>> {
  const result = schema.safeParse(input);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, message: describeIssues(result.error) };
}

/**
 * Parses of objects the API server sent, kept beside the object (dropped with it). A cached object is
 * replaced on every change and never changed, so the informer's indexes, the wiring and the reconciler
 * share one parse per object version instead of parsing it again each (issue 29). Keyed by identity and
 * checked against metadata.resourceVersion, so an object changed in place is parsed again.
 */
const parses = new WeakMap<
  z.ZodType,
  WeakMap<object, { version: string; result: z.ZodSafeParseResult<unknown> }>
>();

/** How many parses `parseCached` ran (not answered from memory): for tests. */
export const parseCounter = { parsed: 0 };

/**
 * `schema` applied to `select(object)` (the whole object by default), once per version of `object`. Only
 * objects with a resourceVersion are remembered (a manifest read from a file is parsed every time). The
 * result is frozen: it is shared, and a change to it would be seen by every later reader. One `select` per
 * schema.
 */
export function parseCached<S extends z.ZodType>(
  schema: S,
  object: unknown,
  select: (object: never) => unknown = (o) => o,
): z.ZodSafeParseResult<z.output<S>> {
  const version = versionOf(object);
  const hit = version === undefined ? undefined : parses.get(schema)?.get(object as object);
  if (hit && hit.version === version) return hit.result as z.ZodSafeParseResult<z.output<S>>;
  parseCounter.parsed++;
  const result = schema.safeParse((select as (o: unknown) => unknown)(object));
  if (result.success) deepFreeze(result.data);
  if (version !== undefined) remember(schema, object as object, version, result);
  return result;
}

/** What `parseCached` holds for this version of `object`, without parsing it; undefined when never parsed. */
export function parsedBefore<S extends z.ZodType>(
  schema: S,
  object: unknown,
): z.ZodSafeParseResult<z.output<S>> | undefined {
  const version = versionOf(object);
  const hit = version === undefined ? undefined : parses.get(schema)?.get(object as object);
  return hit?.version === version ? (hit?.result as z.ZodSafeParseResult<z.output<S>>) : undefined;
}

function versionOf(object: unknown): string | undefined {
  if (typeof object !== "object" || object === null || !("metadata" in object)) return undefined;
  const metadata = object.metadata;
  if (typeof metadata !== "object" || metadata === null || !("resourceVersion" in metadata)) return undefined;
  return typeof metadata.resourceVersion === "string" ? metadata.resourceVersion : undefined;
}

/**
 * Fields whose text many cached objects repeat (the kind, the namespace, a condition's reason and message,
 * a second's timestamp, the remote): JSON.parse gives every object its own copy of each string longer than
 * a few characters, about half a KiB per set, 5 MiB at 10,000 (issue 29). A name, uid or resourceVersion is
 * one object's own and is not looked up.
 */
const SHARED_TEXT = new Set([
  "apiVersion",
  "kind",
  "namespace",
  "creationTimestamp",
  "type",
  "status",
  "reason",
  "message",
  "phase",
  "lastTransitionTime",
  "observedAt",
  "endpoint",
  "identity",
  "remote",
  "unit",
  "pollInterval",
  "settleTime",
  "onDagFailure",
]);
/** Distinct texts held for sharing; past this the table starts again (what was shared stays shared). */
const SHARED_TEXT_MAX = 8192;
const sharedTexts = new Map<string, string>();

/** The one copy of `text` the cache shares. */
function shared(text: string): string {
  const known = sharedTexts.get(text);
  if (known !== undefined) return known;
  if (sharedTexts.size >= SHARED_TEXT_MAX) sharedTexts.clear();
  sharedTexts.set(text, text);
  return text;
}

/** Freezes `value` and everything in it, sharing the repeated texts of SHARED_TEXT fields first. */
function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== "object" || Object.isFrozen(value)) return;
  if (!Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const child = record[key];
      if (typeof child === "string" && SHARED_TEXT.has(key)) record[key] = shared(child);
    }
  }
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}

/**
 * An informer transform (InformerOptions.transform) for objects of `schema`: the cache keeps the frozen
 * parse in place of the object the API server sent, so a set is held once rather than raw and parsed, and
 * its status once rather than three times (issue 29: at 10,000 sets the copies were most of the heap). The
 * parse is remembered for itself, so `parseCached(schema, kept)` answers without parsing, and its status
 * for `statusSchema` (which must be the schema `schema` parses `status` with, applied to `o.status ?? {}`).
 * An object that does not parse is kept as sent: the reconciler reports what is wrong with it.
 */
export function keepParsed<S extends z.ZodType>(
  schema: S,
  statusSchema?: z.ZodType,
): <T extends object>(object: T) => T {
  return <T extends object>(object: T): T => {
    const result = parseCached(schema, object);
    const version = versionOf(object);
    if (!result.success || version === undefined) return object;
    const kept = result.data as T;
    remember(schema, kept, version, result);
    const status = (kept as { status?: unknown }).status;
    if (statusSchema && status !== undefined)
      remember(statusSchema, kept, version, { success: true, data: status } as z.ZodSafeParseResult<unknown>);
    return kept;
  };
}

function remember(
  schema: z.ZodType,
  object: object,
  version: string,
  result: z.ZodSafeParseResult<unknown>,
): void {
  let byObject = parses.get(schema);
  if (!byObject) {
    byObject = new WeakMap();
    parses.set(schema, byObject);
  }
  byObject.set(object, { version, result });
}
