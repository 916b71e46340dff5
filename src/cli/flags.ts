// Command-line flags: node's parseArgs for the syntax, zod for the meaning; errors name the flag.
import { type ParseArgsConfig, parseArgs } from "node:util";
import type { z } from "zod";
import { describeIssues } from "../api/parse.js";

export class UsageError extends Error {}

export function parseFlags<S extends z.ZodType>(
  argv: string[],
  schema: S,
  options: NonNullable<ParseArgsConfig["options"]>,
): z.output<S> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: argv, options, allowPositionals: false, strict: true }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success)
    throw new UsageError(describeIssues(parsed.error).replace(/(^|; )([\w-]+):/g, "$1--$2:"));
  return parsed.data;
}
