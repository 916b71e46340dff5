// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection: acquire or renew
// every retry period; a holder is alive while its record changed less than a lease duration ago (by our
// clock, so skew between replicas does not matter); renewals failing for the renew deadline lose the lease.
import type { Logger } from "pino";
import { describeError } from "../observability/logger.js";
import { KubeApiError, type KubeHttp } from "./kube-http.js";

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  logger: Logger;
  /** `leader_election_master_status{name}`: off from the start, on while leading (client-go's LeaderMetric). */
  metric?: LeaderMetric;
}

/** client-go tools/leaderelection/metrics.go: `name` is the lease name. */
export interface LeaderMetric {
  on(name: string): void;
  off(name: string): void;
}

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

const microTime = (d: Date) => d.toISOString().replace("Z", "000Z");

export class LeaderElector {
  private leading = false;
  private stopped = false;
  private observed: { record: string; at: number } | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private lastRenew = 0;
  /** Whether the last look found the lease held by someone else. */
  private holderIsOther = false;

  constructor(
    private readonly http: KubeHttp,
    private readonly options: LeaderElectionOptions,
  ) {
    // client-go's NewLeaderElector reports off at once, so a standby replica shows 0, not nothing.
    options.metric?.off(options.name);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  private get leaseMs(): number {
    return this.options.leaseDurationMs ?? 15_000;
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.options.namespace}/leases`;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops renewing; a leader gives the lease up so a successor takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    if (this.leading) {
      await this.release().catch((error: unknown) =>
        this.options.logger.warn(describeError(error), "could not release the lease"),
      );
      this.setLeading(false);
    }
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.options.logger.info(
      { lease: this.options.name, identity: this.options.identity },
      leading ? "became leader" : "stopped leading",
    );
    if (leading) this.options.metric?.on(this.options.name);
    else this.options.metric?.off(this.options.name);
    if (leading) this.options.onStartedLeading();
    else this.options.onStoppedLeading();
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    const retry = this.options.retryPeriodMs ?? 2_000;
    const renewDeadline = this.options.renewDeadlineMs ?? 10_000;
    while (!this.stopped) {
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew();
      } catch (error) {
        this.options.logger.warn(describeError(error), "lease acquire/renew failed");
      }
      if (this.stopped) return;
      if (ok) {
        this.lastRenew = Date.now();
        this.setLeading(true);
      } else if (this.leading && Date.now() - this.lastRenew > renewDeadline) {
        this.setLeading(false);
      } else if (this.leading && !ok && this.observed && this.holderIsOther) {
        this.setLeading(false);
      }
      await this.sleep(retry);
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    let lease: Lease | undefined;
    try {
      lease = await this.http.json<Lease>(`${this.path}/${this.options.name}`);
    } catch (error) {
      if (!(error instanceof KubeApiError) || error.status !== 404) throw error;
    }
    const mine: LeaseSpec = {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.ceil(this.leaseMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    if (!lease) {
      try {
        await this.http.json(this.path, {
          method: "POST",
          body: {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: { name: this.options.name, namespace: this.options.namespace },
            spec: mine,
          },
        });
        return true;
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 409) return false;
        throw error;
      }
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify(spec);
    if (!this.observed || this.observed.record !== record) this.observed = { record, at: Date.now() };
    const holder = spec.holderIdentity ?? "";
    const durationMs = (spec.leaseDurationSeconds ?? Math.ceil(this.leaseMs / 1000)) * 1000;
    this.holderIsOther = holder !== "" && holder !== this.options.identity;
    if (this.holderIsOther && this.observed.at + durationMs > Date.now()) return false;
    const next: LeaseSpec =
      holder === this.options.identity
        ? { ...spec, renewTime: microTime(now), leaseDurationSeconds: mine.leaseDurationSeconds ?? 15 }
        : { ...mine, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 };
    try {
      await this.http.json(`${this.path}/${this.options.name}`, {
        method: "PUT",
        body: { ...lease, spec: next },
      });
      this.holderIsOther = false;
      return true;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 409) return false;
      throw error;
    }
  }

  private async release(): Promise<void> {
    const lease = await this.http.json<Lease>(`${this.path}/${this.options.name}`);
    if (lease.spec?.holderIdentity !== this.options.identity) return;
    const now = microTime(new Date());
    await this.http.json(`${this.path}/${this.options.name}`, {
      method: "PUT",
      body: {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: "",
          leaseDurationSeconds: 1,
          renewTime: now,
          acquireTime: now,
        },
      },
    });
  }
}
