// Scraping the operator's secure /metrics as Prometheus does (issue 25): over HTTPS without checking the
// self-signed certificate (the ServiceMonitor's insecureSkipVerify), with the bearer token of a
// ServiceAccount bound to deploy/'s ClusterRole dbfleet-metrics-reader.
import { Agent, request } from "undici";
import type { RawApi } from "./raw-api.js";

/** The ServiceMonitor's `tlsConfig: { insecureSkipVerify: true }`. */
const skipVerify = new Agent({ connect: { rejectUnauthorized: false } });

/**
 * A token of ServiceAccount `namespace/name`, made by the API server's TokenRequest; `reader` binds the
 * account to ClusterRole dbfleet-metrics-reader first (as deploy/monitoring binds Prometheus's).
 */
export async function serviceAccountToken(
  raw: RawApi,
  namespace: string,
  name: string,
  reader: boolean,
): Promise<string> {
  await raw.apply({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } });
  if (reader)
    await raw.apply({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: `dbfleet-metrics-reader-${namespace}-${name}` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "dbfleet-metrics-reader" },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    });
  const answer = await raw.call<{ status: { token: string } }>(
    "POST",
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600 } },
  );
  return answer.status.token;
}

/** GET `url` (https: certificate not checked), with `token` as a bearer token when given. */
export async function get(url: string, token?: string): Promise<{ status: number; text: string }> {
  const res = await request(url, {
    ...(url.startsWith("https:") ? { dispatcher: skipVerify } : {}),
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: res.statusCode, text: await res.body.text() };
}

/** The metrics text of `base` (the operator's metrics URL) as the metrics reader `token` sees it. */
export async function scrape(base: string, token: string): Promise<string> {
  const { status, text } = await get(`${base}/metrics`, token);
  if (status !== 200) throw new Error(`scrape of ${base}/metrics answered ${status}: ${text}`);
  return text;
}

/** The samples of `name` in a Prometheus text exposition whose labels include every `labels` pair, summed. */
export function total(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}
