import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  clusterDatabaseConnection,
  databaseConnection,
  durationMs,
  MAX_REQUEST_TIMEOUT_MS,
  MIN_POLL_INTERVAL_MS,
  parseWith,
  pollInterval,
  redisInstanceSet,
  requestTimeout,
  tenantReplicaSet,
} from "../../src/api/index.js";
import { badManifests, brokenManifest, exampleOf, inlineObshell } from "../fixtures/manifests.js";

const schemaOf = {
  TenantReplicaSet: tenantReplicaSet,
  RedisInstanceSet: redisInstanceSet,
  DatabaseConnection: databaseConnection,
  ClusterDatabaseConnection: clusterDatabaseConnection,
} as const;

describe("CR schemas", () => {
  it("accept the examples and fill in the documented defaults", () => {
    const trs = parseWith(tenantReplicaSet, exampleOf("TenantReplicaSet"));
    expect(trs.ok).toBe(true);
    if (trs.ok) {
      expect(trs.value.spec.zones).toEqual(["z1", "z2"]);
      expect(trs.value.spec.policy.maxDagRetries).toBe(3);
      expect(trs.value.spec.paused).toBe(false);
    }
    const ris = parseWith(redisInstanceSet, exampleOf("RedisInstanceSet"));
    expect(ris.ok).toBe(true);
    if (ris.ok) {
      expect(ris.value.spec.policy.allowEmpty).toBe(false);
      expect(ris.value.spec.connectionRef).toEqual({ kind: "DatabaseConnection", name: "dcs-eu-west" });
      expect(ris.value.spec.dcs).toBeUndefined();
    }
  });

  it("accept the example connections, defaulting TLS and HTTP to the safe side", () => {
    const obshell = parseWith(databaseConnection, exampleOf("DatabaseConnection", "obshell-prod"));
    expect(obshell.ok && obshell.value.spec.obshell).toMatchObject({
      allowInsecureHTTP: false,
      requestTimeout: "30s",
      tls: { insecureSkipVerify: false, caSecretRef: { name: "obshell-prod-ca", key: "ca.crt" } },
    });
    const cluster = parseWith(clusterDatabaseConnection, exampleOf("ClusterDatabaseConnection"));
    expect(cluster.ok && cluster.value.spec.allowedNamespaces).toEqual(["checkout", "payments"]);
  });

  it("accept an inline connection in place of connectionRef", () => {
    const manifest = structuredClone(exampleOf("TenantReplicaSet"));
    const spec = manifest.spec as Record<string, unknown>;
    delete spec.connectionRef;
    spec.obshell = inlineObshell();
    const parsed = parseWith(tenantReplicaSet, manifest);
    expect(parsed.ok && parsed.value.spec.obshell?.endpoint).toBe("https://ob1.db.example.internal:2886");
  });

  it("default a missing policy to the safe limits", () => {
    const manifest = structuredClone(exampleOf("TenantReplicaSet"));
    delete (manifest.spec as Record<string, unknown>).policy;
    const parsed = parseWith(tenantReplicaSet, manifest);
    expect(parsed.ok && parsed.value.spec.policy).toEqual({
      maxZonesPerOperation: 1,
      dryRun: false,
      onDagFailure: "Hold",
      maxDagRetries: 3,
      settleTime: "10s",
    });
  });

  it("accept an empty instance list with allowEmpty", () => {
    const manifest = structuredClone(exampleOf("RedisInstanceSet"));
    const spec = manifest.spec as { instances: string[]; policy: Record<string, unknown> };
    spec.instances = [];
    spec.policy.allowEmpty = true;
    expect(parseWith(redisInstanceSet, manifest).ok).toBe(true);
  });

  it.each(badManifests.map((bad, i) => [bad.title, bad, i] as const))(
    "refuse %s, naming the field",
    (_, bad, i) => {
      const parsed = parseWith(schemaOf[bad.kind], brokenManifest(bad, i));
      expect(parsed.ok).toBe(false);
      if (!parsed.ok)
        expect(parsed.message).toMatch(new RegExp(`(^|; )${bad.field.replaceAll(".", "\\.")}[.:\\[]`));
    },
  );
});

// Whole h/m/s/ms parts in Go's order: every string the bounded patterns can be asked about.
const durationText = fc
  .tuple(
    fc.option(fc.nat(3), { nil: undefined }),
    fc.option(fc.nat(400), { nil: undefined }),
    fc.option(fc.nat(400), { nil: undefined }),
    fc.option(fc.nat(400_000), { nil: undefined }),
  )
  .map(([h, m, s, ms]) =>
    [h === undefined ? "" : `${h}h`, m === undefined ? "" : `${m}m`, s === undefined ? "" : `${s}s`]
      .join("")
      .concat(ms === undefined ? "" : `${ms}ms`),
  )
  .filter((text) => text !== "");

describe("duration bounds the CRD patterns enforce (1.20 has no CEL)", () => {
  it("pollInterval accepts a duration of whole h/m/s exactly when it is at least 1s", () => {
    fc.assert(
      fc.property(durationText, (text) => {
        const wholeSeconds = !text.includes("ms");
        const expected = wholeSeconds && durationMs(text) >= MIN_POLL_INTERVAL_MS;
        expect(pollInterval.safeParse(text).success, text).toBe(expected);
      }),
      { numRuns: 2000 },
    );
    for (const [text, ok] of [
      ["30s", true],
      ["1m30s", true],
      ["5m", true],
      ["0s", false],
      ["0m0s", false],
      ["500ms", false],
      ["1.5s", false],
    ] as const)
      expect(pollInterval.safeParse(text).success, text).toBe(ok);
  });

  it("requestTimeout accepts one unit (or m+s), without leading zeros, exactly when 0 < it <= 5m", () => {
    const canonical = /^([1-9][0-9]*ms|[1-9][0-9]*s|[1-9][0-9]*m|[1-9][0-9]*m[1-9][0-9]?s)$/;
    fc.assert(
      fc.property(durationText, (text) => {
        const ms = durationMs(text);
        const mPlusS = /^[0-9]+m[0-9]+s$/.test(text);
        const secondsPart = Number(/m([0-9]+)s$/.exec(text)?.[1] ?? "0");
        const expected =
          canonical.test(text) && ms > 0 && ms <= MAX_REQUEST_TIMEOUT_MS && (!mPlusS || secondsPart < 60);
        expect(requestTimeout.safeParse(text).success, text).toBe(expected);
      }),
      { numRuns: 2000 },
    );
    for (const [text, ok] of [
      ["30s", true],
      ["300s", true],
      ["301s", false],
      ["5m", true],
      ["5m1s", false],
      ["4m59s", true],
      ["300000ms", true],
      ["300001ms", false],
      ["0s", false],
      ["1h", false],
    ] as const)
      expect(requestTimeout.safeParse(text).success, text).toBe(ok);
  });
});

describe("durationMs", () => {
  it("reads Go-style durations", () => {
    expect(durationMs("30s")).toBe(30_000);
    expect(durationMs("1m30s")).toBe(90_000);
    expect(durationMs("500ms")).toBe(500);
    expect(durationMs("1.5h")).toBe(5_400_000);
  });
});

describe("an empty RedisInstanceSet.spec.instances", () => {
  it("parses: the planner is the one home of the rule and names it (Stalled EmptyWithoutAllowEmpty)", () => {
    const manifest = structuredClone(exampleOf("RedisInstanceSet"));
    (manifest.spec as { instances: string[] }).instances = [];
    const parsed = redisInstanceSet.safeParse(manifest);
    expect(parsed.success).toBe(true);
    expect(parsed.data?.spec.policy.allowEmpty).toBe(false);
  });
});
