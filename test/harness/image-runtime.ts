// How the image runs the operator, read from the files that ship it: the Node flags of the Dockerfile's
// ENTRYPOINT (those Node refuses in NODE_OPTIONS) and the literal environment of deploy/'s container
// (NODE_OPTIONS, glibc's malloc settings). The bench and the production-tree test run the operator so.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { z } from "zod";

const repoRoot = join(import.meta.dirname, "..", "..");

/** The flags between the Node binary and the script in the Dockerfile's `ENTRYPOINT [...]`. */
export function imageNodeFlags(): string[] {
  const text = readFileSync(join(repoRoot, "Dockerfile"), "utf8");
  const line = /^ENTRYPOINT (\[.*\])$/m.exec(text)?.[1];
  if (!line) throw new Error("Dockerfile: no ENTRYPOINT [...] line");
  const entrypoint = z.array(z.string()).parse(JSON.parse(line));
  const script = entrypoint.findIndex((a) => a.endsWith("main.js"));
  if (script < 1) throw new Error("Dockerfile: the ENTRYPOINT names no main.js after the Node binary");
  return entrypoint.slice(1, script);
}

const deployment = z.object({
  spec: z.object({
    template: z.object({
      spec: z.object({
        containers: z.array(
          z.object({
            name: z.string(),
            env: z.array(z.object({ name: z.string(), value: z.string().optional() })).default([]),
          }),
        ),
      }),
    }),
  }),
});

/** The operator container's env entries with a literal value (not the ones taken from the Pod). */
export function deploymentEnv(): Record<string, string> {
  const path = join(repoRoot, "deploy", "operator", "manager", "deployment.yaml");
  const parsed = deployment.parse(load(readFileSync(path, "utf8")));
  const container = parsed.spec.template.spec.containers.find((c) => c.name === "operator");
  if (!container) throw new Error(`${path}: no container named operator`);
  return Object.fromEntries(
    container.env.flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value] as const])),
  );
}
