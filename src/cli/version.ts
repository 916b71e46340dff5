// The operator's version is package.json's: the Makefile tags the image with it and the Dockerfile labels it.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";

const packageManifest = z.object({ name: z.literal("dbfleet-operator"), version: z.string().min(1) });

/** The nearest package.json above `from`: src/cli/ under tsx, dist/src/cli/ when compiled (and in the image). */
export function operatorVersion(from: string = import.meta.dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (existsSync(file)) return packageManifest.parse(JSON.parse(readFileSync(file, "utf8"))).version;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}
