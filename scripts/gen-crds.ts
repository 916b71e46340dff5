// Writes crds/ from the zod schemas in src/api: the schemas are the single source.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderCrdFiles } from "../src/api/crd-yaml.js";

const dir = join(import.meta.dirname, "..", "crds");
mkdirSync(dir, { recursive: true });
const files = renderCrdFiles();
for (const stale of readdirSync(dir)) {
  if (stale.endsWith(".yaml") && !(stale in files)) rmSync(join(dir, stale));
}
for (const [file, text] of Object.entries(files)) {
  writeFileSync(join(dir, file), text);
  console.log(`wrote crds/${file}`);
}
