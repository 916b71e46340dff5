import { dump } from "js-yaml";
import { allCrds } from "./crd.js";

const HEADER = "# Generated from src/api by `npm run gen:crds`. Do not edit.\n";

/** The crds/ folder as file name -> YAML text; what gen:crds writes and the drift test compares. */
export function renderCrdFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [file, crd] of Object.entries(allCrds())) {
    files[file] = HEADER + dump(crd, { lineWidth: -1, noRefs: true });
  }
  // So deploy/ can list ../crds as a kustomize resource. Kustomize also reads a file named
  // `Kustomization`; `kubectl apply -f crds/` reads only .yaml/.yml/.json, so it skips this one.
  files.Kustomization =
    HEADER +
    dump({
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      resources: Object.keys(files).sort(),
    });
  return files;
}
