import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { redisInstanceSetCrd, tenantReplicaSetCrd } from "../../src/api/crd.js";
import { renderCrdFiles } from "../../src/api/crd-yaml.js";

const crdsDir = join(import.meta.dirname, "..", "..", "crds");

function walk(
  node: unknown,
  visit: (schema: Record<string, unknown>, path: string) => void,
  path = "",
): void {
  if (node === null || typeof node !== "object" || Array.isArray(node)) return;
  const schema = node as Record<string, unknown>;
  visit(schema, path);
  const props = schema.properties as Record<string, unknown> | undefined;
  for (const [key, child] of Object.entries(props ?? {})) walk(child, visit, `${path}.${key}`);
  if (schema.items) walk(schema.items, visit, `${path}[]`);
  if (typeof schema.additionalProperties === "object") walk(schema.additionalProperties, visit, `${path}{}`);
}

describe("generated CRDs", () => {
  it("match crds/ byte for byte (run npm run gen:crds after changing src/api)", () => {
    const files = renderCrdFiles();
    expect(readdirSync(crdsDir).sort()).toEqual(Object.keys(files).sort());
    for (const [file, text] of Object.entries(files)) {
      expect(readFileSync(join(crdsDir, file), "utf8"), file).toBe(text);
    }
  });

  it.each([
    ["TenantReplicaSet", tenantReplicaSetCrd()],
    ["RedisInstanceSet", redisInstanceSetCrd()],
  ])(
    "%s is structural: typed everywhere, no additionalProperties beside properties, every field described",
    (_, crd) => {
      const version = crd.spec.versions[0];
      const root = version?.schema.openAPIV3Schema;
      const problems: string[] = [];
      for (const part of ["spec", "status"] as const) {
        walk(root?.properties[part], (schema, path) => {
          if (!schema.type) problems.push(`${part}${path}: no type`);
          if (schema.properties && schema.additionalProperties !== undefined)
            problems.push(`${part}${path}: additionalProperties beside properties`);
          if (
            part === "spec" &&
            path.split(".").length > 1 &&
            !schema.description &&
            !path.endsWith("[]") &&
            !path.endsWith("{}")
          )
            problems.push(`${part}${path}: no description`);
        });
      }
      expect(problems).toEqual([]);
      expect(version?.subresources).toEqual({ status: {} });
    },
  );

  it("mark set-like lists as x-kubernetes-list-type set", () => {
    const trsSpec = tenantReplicaSetCrd().spec.versions[0]?.schema.openAPIV3Schema.properties.spec as {
      properties: { zones: Record<string, unknown> };
    };
    expect(trsSpec.properties.zones["x-kubernetes-list-type"]).toBe("set");
    const risSpec = redisInstanceSetCrd().spec.versions[0]?.schema.openAPIV3Schema.properties.spec as {
      properties: { instances: Record<string, unknown> };
    };
    expect(risSpec.properties.instances["x-kubernetes-list-type"]).toBe("set");
  });
});
