// Where credential health survives restarts: an annotation on a Lease in the operator's own namespace.
// Why a Lease: the operator's RBAC already allows get/create/update on Leases there and nowhere else
// (deploy/rbac.yaml), so no new permission is needed; Leases are small coordination objects that GitOps
// tools do not manage or prune; the state is shared by all sets (and every deployment of the operator
// pointed at the same Lease) across namespaces, which a set's status cannot be. Writes carry the
// resourceVersion read, so concurrent writers merge instead of overwriting (optimistic concurrency).
// Only digests are stored (see credential-health.ts); the annotation stays far below the 256 KiB limit
// because attempts older than 5 minutes and long-untried failures are pruned on every write.
import { z } from "zod";
import { GROUP } from "../api/group.js";
import { KubeApiError, type KubeHttp } from "../controller/kube-http.js";
import { emptyHealth, type HealthState, type HealthStore, healthState } from "./credential-health.js";

export const CREDENTIAL_HEALTH_ANNOTATION = `${GROUP}/credential-health`;
export const CREDENTIAL_HEALTH_LEASE = "dbfleet-operator-credential-health";

const leaseShape = z.looseObject({
  metadata: z.looseObject({
    resourceVersion: z.string(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
});

export class LeaseHealthStore implements HealthStore {
  /** Why the last read found no usable state (a hand-edited annotation), for the caller to log. */
  lastReadProblem: string | undefined;

  constructor(
    private readonly http: KubeHttp,
    private readonly namespace: string,
    private readonly name: string = CREDENTIAL_HEALTH_LEASE,
  ) {}

  private get collection(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases`;
  }

  async read(): Promise<{ state: HealthState; version: string } | undefined> {
    let raw: unknown;
    try {
      raw = await this.http.json(`${this.collection}/${this.name}`);
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined;
      throw error;
    }
    const lease = leaseShape.parse(raw);
    const version = lease.metadata.resourceVersion;
    const text = lease.metadata.annotations?.[CREDENTIAL_HEALTH_ANNOTATION];
    this.lastReadProblem = undefined;
    if (text === undefined) return { state: emptyHealth(), version };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = healthState.safeParse(json);
    if (!parsed.success) {
      // Replaced by the next write; until then nothing is remembered, as after a first start.
      this.lastReadProblem = `Lease ${this.namespace}/${this.name} annotation ${CREDENTIAL_HEALTH_ANNOTATION} is not valid credential-health state: ${parsed.error.issues[0]?.path.join(".") ?? ""} ${parsed.error.issues[0]?.message ?? ""}`;
      return { state: emptyHealth(), version };
    }
    return { state: parsed.data, version };
  }

  async write(state: HealthState, version: string | undefined): Promise<string | undefined> {
    const body = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: this.name,
        namespace: this.namespace,
        ...(version === undefined ? {} : { resourceVersion: version }),
        labels: {
          "app.kubernetes.io/name": "dbfleet-operator",
          "app.kubernetes.io/component": "credential-health",
        },
        annotations: { [CREDENTIAL_HEALTH_ANNOTATION]: JSON.stringify(state) },
      },
      spec: {},
    };
    try {
      const written = leaseShape.parse(
        version === undefined
          ? await this.http.json(this.collection, { method: "POST", body })
          : await this.http.json(`${this.collection}/${this.name}`, { method: "PUT", body }),
      );
      return written.metadata.resourceVersion;
    } catch (error) {
      // 409: written by someone else since we read (or created meanwhile): the caller re-reads and merges.
      if (error instanceof KubeApiError && error.status === 409) return undefined;
      throw error;
    }
  }
}
