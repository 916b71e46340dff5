// RSS of a fresh Node process after reading one token kubeconfig with each loader, from the compiled
// tree as the image runs it (README "Development notes"). `npm run build` first, then:
//   npx tsx bench/kubeconfig-rss.ts
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const root = join(import.meta.dirname, "..");
const lean = join(root, "dist", "src", "controller", "kube-access.js");
if (!existsSync(lean)) throw new Error(`${lean} is missing: run npm run build first`);

const dir = mkdtempSync(join(tmpdir(), "dbfleet-rss-"));
const path = join(dir, "config");
writeFileSync(
  path,
  JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:6443" } }],
    users: [{ name: "u", user: { token: "t" } }],
    contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
    "current-context": "x",
  }),
);

// Each loader reads the file and builds its auth and TLS options, in its own process.
const programs: Record<string, string> = {
  "no loader": "",
  "lean (src/controller/kube-access.ts)": `
    const { loadKubeAccess } = await import(${JSON.stringify(pathToFileURL(lean).href)});
    const access = await loadKubeAccess({ path: ${JSON.stringify(path)} });
    await access.headers(); await access.dispatcher();`,
  "@kubernetes/client-node KubeConfig": `
    const { KubeConfig } = await import("@kubernetes/client-node");
    const kc = new KubeConfig(); kc.loadFromFile(${JSON.stringify(path)});
    await kc.applyToHTTPSOptions({});`,
};
// What client-node adds to a process that already holds the lean loader's modules (zod, undici, js-yaml),
// as the operator does: what an auth-provider kubeconfig costs it.
programs["lean, then client-node's loader too"] = `${programs["lean (src/controller/kube-access.ts)"]}
  ${programs["@kubernetes/client-node KubeConfig"]}`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const mib = (n: number) => (n / 1024 / 1024).toFixed(1);
const results: number[] = [];
for (const [name, body] of Object.entries(programs)) {
  const runs = Array.from({ length: 5 }, () =>
    Number(
      execFileSync(
        process.execPath,
        [
          "--expose-gc",
          "--input-type=module",
          "-e",
          `${body}\nglobalThis.gc(); console.log(process.memoryUsage().rss);`,
        ],
        { cwd: root, encoding: "utf8" },
      ).trim(),
    ),
  );
  results.push(median(runs));
  console.log(`${name.padEnd(38)} RSS ${mib(median(runs))} MiB (median of 5: ${runs.map(mib).join(", ")})`);
}
console.log(`client-node's loader: +${mib((results[2] ?? 0) - (results[1] ?? 0))} MiB over the lean one`);
console.log(`client-node's loader added to the lean one: +${mib((results[3] ?? 0) - (results[1] ?? 0))} MiB`);
rmSync(dir, { recursive: true, force: true });
