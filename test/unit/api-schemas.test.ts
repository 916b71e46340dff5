import { describe, expect, it } from "vitest";
import { durationMs, parseWith, redisInstanceSet, tenantReplicaSet } from "../../src/api/index.js";
import { badManifests, brokenManifest, exampleOf } from "../fixtures/manifests.js";

const schemaOf = { TenantReplicaSet: tenantReplicaSet, RedisInstanceSet: redisInstanceSet } as const;

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
      expect(ris.value.spec.dcs.requestTimeout).toBe("30s");
    }
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
    });
  });

  it("accept an empty instance list only with allowEmpty", () => {
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

describe("durationMs", () => {
  it("reads Go-style durations", () => {
    expect(durationMs("30s")).toBe(30_000);
    expect(durationMs("1m30s")).toBe(90_000);
    expect(durationMs("500ms")).toBe(500);
    expect(durationMs("1.5h")).toBe(5_400_000);
  });
});
