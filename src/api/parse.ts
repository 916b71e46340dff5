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
