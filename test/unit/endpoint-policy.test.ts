import { describe, expect, it } from "vitest";
import { EndpointPolicy, type EndpointPolicyOptions } from "../../src/providers/endpoint-policy.js";

const cluster: EndpointPolicyOptions = {
  serviceCidrs: "10.96.0.0/12",
  podCidrs: "10.244.0.0/16,fd00:10:244::/56",
  apiServerAddresses: ["172.18.0.2"],
};

describe("EndpointPolicy.checkAddress", () => {
  it.each<{
    reason: string;
    options?: EndpointPolicyOptions;
    host: string;
    address: string;
    ok: boolean;
    says?: string;
  }>([
    {
      reason: "a public address, nothing allowlisted",
      host: "dcs.example",
      address: "203.0.113.10",
      ok: true,
    },
    { reason: "loopback", host: "ob.example", address: "127.0.0.1", ok: false, says: "loopback" },
    {
      reason: "loopback anywhere in 127/8",
      host: "127.3.2.1",
      address: "127.3.2.1",
      ok: false,
      says: "loopback",
    },
    { reason: "IPv6 loopback", host: "[::1]", address: "::1", ok: false, says: "loopback" },
    {
      reason: "IPv4-mapped loopback",
      host: "x.example",
      address: "::ffff:127.0.0.1",
      ok: false,
      says: "loopback",
    },
    {
      reason: "the cloud metadata address",
      host: "169.254.169.254",
      address: "169.254.169.254",
      ok: false,
      says: "link-local",
    },
    { reason: "IPv6 link-local", host: "x.example", address: "fe80::1", ok: false, says: "link-local" },
    {
      reason: "the unspecified address",
      host: "0.0.0.0",
      address: "0.0.0.0",
      ok: false,
      says: "unspecified",
    },
    {
      reason: "the cluster's service range",
      options: cluster,
      host: "kubernetes.default",
      address: "10.96.0.1",
      ok: false,
      says: "service range",
    },
    {
      reason: "the cluster's pod range",
      options: cluster,
      host: "p",
      address: "10.244.3.7",
      ok: false,
      says: "pod",
    },
    {
      reason: "the pod range, IPv6",
      options: cluster,
      host: "p",
      address: "fd00:10:244::9",
      ok: false,
      says: "pod",
    },
    {
      reason: "the API server",
      options: cluster,
      host: "172.18.0.2",
      address: "172.18.0.2",
      ok: false,
      says: "API server",
    },
    {
      reason: "an address outside the cluster ranges",
      options: cluster,
      host: "a",
      address: "10.1.2.3",
      ok: true,
    },
    {
      reason: "loopback that an allowlisted CIDR covers (the simulators in tests)",
      options: { allowedEndpoints: "127.0.0.1" },
      host: "127.0.0.1",
      address: "127.0.0.1",
      ok: true,
    },
    {
      reason: "loopback behind an allowlisted name: a name never lifts a refused range",
      options: { allowedEndpoints: "ob.example" },
      host: "ob.example",
      address: "127.0.0.1",
      ok: false,
      says: "loopback",
    },
    {
      reason: "a name outside a non-empty allowlist",
      options: { allowedEndpoints: "*.myhuaweicloud.com,10.0.0.0/8" },
      host: "evil.example",
      address: "203.0.113.9",
      ok: false,
      says: "not in --allowed-endpoints",
    },
    {
      reason: "a name under an allowlisted *.domain",
      options: { allowedEndpoints: "*.myhuaweicloud.com" },
      host: "dcs.ap-southeast-1.myhuaweicloud.com",
      address: "203.0.113.9",
      ok: true,
    },
    {
      reason: "the bare domain of a *.domain entry is not under it",
      options: { allowedEndpoints: "*.myhuaweicloud.com" },
      host: "myhuaweicloud.com",
      address: "203.0.113.9",
      ok: false,
    },
    {
      reason: "an address inside an allowlisted CIDR, whatever the name",
      options: { allowedEndpoints: "10.0.0.0/8" },
      host: "ob1.internal",
      address: "10.20.30.40",
      ok: true,
    },
    // Issue 25, L1: every cloud's metadata address, IPv4 inside IPv6, and wide allowlists.
    ...[
      ["AWS IMDS over IPv6", "fd00:ec2::254"],
      ["Alibaba Cloud metadata", "100.100.100.200"],
      ["Azure WireServer", "168.63.129.16"],
      ["Oracle Cloud's older metadata address", "192.0.0.192"],
      ["Tencent Cloud metadata", "169.254.0.23"],
      ["AWS/GCP/Azure/Huawei metadata", "169.254.169.254"],
    ].map(([what, address]) => ({
      reason: `${what} (${address})`,
      host: "x.example",
      address: address as string,
      ok: false,
      says: "metadata",
    })),
    ...["metadata.google.internal", "metadata.tencentyun.com", "METADATA.GOOGLE.INTERNAL."].map((host) => ({
      reason: `the metadata name ${host}, whatever it resolves to`,
      options: { allowedEndpoints: "0.0.0.0/0,::/0" },
      host,
      address: "203.0.113.7",
      ok: false,
      says: "cloud metadata service",
    })),
    ...[
      ["IPv4-mapped, hex form (what URL parsing makes of [::ffff:127.0.0.1])", "::ffff:7f00:1", "loopback"],
      ["IPv4-compatible", "::127.0.0.1", "loopback"],
      ["NAT64 well-known prefix", "64:ff9b::a9fe:a9fe", "169.254.169.254"],
      ["NAT64 local-use prefix", "64:ff9b:1::7f00:1", "loopback"],
      ["6to4", "2002:7f00:1::", "loopback"],
      ["6to4 of the metadata address", "2002:a9fe:a9fe::1", "169.254.169.254"],
      ["NAT64 of the service range", "64:ff9b::a60:1", "service range"],
    ].map(([what, address, says]) => ({
      reason: `IPv4 inside IPv6: ${what}`,
      options: cluster,
      host: "x.example",
      address: address as string,
      ok: false,
      says: says as string,
    })),
    {
      reason: "a public IPv4 inside 6to4 is as reachable as the IPv4",
      host: "x.example",
      address: "2002:cb00:710a::1",
      ok: true,
    },
    ...[
      ["0.0.0.0/0,::/0", "127.0.0.1", "loopback"],
      ["::/0", "::1", "loopback"],
      ["0.0.0.0/0", "169.254.169.254", "metadata"],
      ["169.254.0.0/16", "169.254.169.254", "metadata"],
      ["0.0.0.0/0,::/0", "fd00:ec2::254", "metadata"],
      ["100.64.0.0/10", "100.100.100.200", "metadata"],
      ["127.0.0.0/8", "127.0.0.1", "named exactly"],
      ["0.0.0.0/0", "0.0.0.0", "unspecified"],
      ["::/0", "::ffff:7f00:1", "loopback"],
    ].map(([allowed, address, says]) => ({
      reason: `${address} under the wide allowlist ${allowed}`,
      options: { allowedEndpoints: allowed as string },
      host: "x.example",
      address: address as string,
      ok: false,
      says: says as string,
    })),
    {
      reason: "the metadata address named exactly is allowed (an admin's explicit choice)",
      options: { allowedEndpoints: "100.100.100.200" },
      host: "100.100.100.200",
      address: "100.100.100.200",
      ok: true,
    },
    {
      reason: "a wide allowlist still lifts the cluster ranges it covers",
      options: { ...cluster, allowedEndpoints: "10.0.0.0/8" },
      host: "svc",
      address: "10.96.0.10",
      ok: true,
    },
  ])("$reason", ({ options, host, address, ok, says }) => {
    const verdict = new EndpointPolicy(options).checkAddress(host, address);
    expect(verdict.ok).toBe(ok);
    if (!verdict.ok && says) expect(verdict.message).toContain(says);
  });
});

describe("EndpointPolicy flags", () => {
  it.each([
    [{ allowedEndpoints: "10.0.0.0/33" }, "--allowed-endpoints"],
    [{ allowedEndpoints: "http://x" }, "--allowed-endpoints"],
    [{ serviceCidrs: "ten.0.0.0/8" }, "--service-cidrs"],
    [{ podCidrs: "10.0.0.0/8,nonsense" }, "--pod-cidrs"],
  ])("refuse %j, naming the flag", (options, flag) => {
    expect(() => new EndpointPolicy(options)).toThrow(flag);
  });
});

describe("EndpointPolicy.check (the early check before a client is made)", () => {
  it("refuses http:// unless the connection allows it", async () => {
    const policy = new EndpointPolicy({ lookup: async () => ["203.0.113.5"] });
    expect((await policy.check("http://ob.example:2886")).ok).toBe(false);
    expect((await policy.check("http://ob.example:2886", { allowInsecureHTTP: true })).ok).toBe(true);
  });

  it("refuses a name when any of its addresses is refused", async () => {
    const policy = new EndpointPolicy({ lookup: async () => ["203.0.113.5", "169.254.169.254"] });
    const verdict = await policy.check("https://ob.example");
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.message).toContain("ob.example (169.254.169.254) is link-local");
  });

  it("refuses a name that does not resolve", async () => {
    const policy = new EndpointPolicy({ lookup: async () => [] });
    expect((await policy.check("https://nowhere.example")).ok).toBe(false);
  });
});

// Cases written against the mutants Stryker left alive (mutation/baseline.json): each a plausible wrong
// version of the policy, asserted through what the operator then reaches or refuses, or what it says.
describe("EndpointPolicy: IPv6 is unwrapped only in the forms that deliver to the IPv4 inside", () => {
  const open = new EndpointPolicy();
  // Each look-alike differs from a real form (mapped, NAT64, local NAT64, 6to4) by one byte: it is the
  // IPv6 address it is, and refusing it would refuse a real endpoint for a metadata address it never reaches.
  it.each([
    ["2001:db8::ffff:a9fe:a9fe", "::ffff:0:0/96 marker without the zero prefix"],
    ["::ff:a9fe:a9fe", "half the ::ffff marker"],
    ["164:ff9b::a9fe:a9fe", "NAT64 prefix, first byte wrong"],
    ["0:ff9b::a9fe:a9fe", "NAT64 prefix, second byte wrong"],
    ["64:9b::a9fe:a9fe", "NAT64 prefix, third byte wrong"],
    ["64:ff00::a9fe:a9fe", "NAT64 prefix, fourth byte wrong"],
    ["2001:db8::a9fe:a9fe", "zeros in the middle, no NAT64 prefix"],
    ["64:ff9b:2::a9fe:a9fe", "local NAT64 64:ff9b:1::/48 off by one"],
    ["2001:a9fe:a9fe::1", "Teredo (2001::/32), not 6to4 (2002::/16)"],
  ])("%s (%s) is not the metadata address", (address) => {
    expect(open.checkAddress(address, address)).toEqual({ ok: true });
  });
  it.each([
    "::ffff:169.254.169.254",
    "::a9fe:a9fe",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::a9fe:a9fe",
    "2002:a9fe:a9fe::1",
  ])("%s carries 169.254.169.254 and is refused", (address) => {
    expect(open.checkAddress(address, address)).toMatchObject({ ok: false });
  });
  it("an allowlisted IPv4 range admits that range's addresses reached as mapped or NAT64 IPv6 too", () => {
    const policy = new EndpointPolicy({ allowedEndpoints: "203.0.113.0/24" });
    expect(policy.checkAddress("dcs.example", "::ffff:203.0.113.5")).toEqual({ ok: true });
    // Through NAT64 the packets reach 203.0.113.5: the IPv6 form itself is in no allowlisted range.
    expect(policy.checkAddress("dcs.example", "64:ff9b::203.0.113.5")).toEqual({ ok: true });
    expect(policy.checkAddress("dcs.example", "::ffff:198.51.100.5")).toMatchObject({ ok: false });
  });
});

describe("EndpointPolicy: what an allowlist entry lifts", () => {
  it("an IPv6 address named exactly lifts its strict refusal; a /32 around the metadata address does not", () => {
    expect(new EndpointPolicy({ allowedEndpoints: "::1" }).checkAddress("::1", "::1")).toEqual({ ok: true });
    expect(
      new EndpointPolicy({ allowedEndpoints: "fd00:ec2::/32" }).checkAddress(
        "fd00:ec2::254",
        "fd00:ec2::254",
      ),
    ).toMatchObject({ ok: false, message: expect.stringContaining("a cloud metadata service") });
  });
  it("an exact host name admits that host only, not a longer name ending in it", () => {
    const policy = new EndpointPolicy({ allowedEndpoints: "dcs.example.test" });
    expect(policy.checkAddress("dcs.example.test", "203.0.113.7")).toEqual({ ok: true });
    expect(policy.checkAddress("mydcs.example.test", "203.0.113.7")).toMatchObject({ ok: false });
  });
  it("single-letter labels are host names; entries may be spaced after their commas", () => {
    const policy = new EndpointPolicy({ allowedEndpoints: "x.example.test, a.b.c ,  10.9.0.0/16" });
    expect(policy.checkAddress("x.example.test", "203.0.113.7")).toEqual({ ok: true });
    expect(policy.checkAddress("a.b.c", "203.0.113.8")).toEqual({ ok: true });
    expect(policy.checkAddress("db.internal", "10.9.1.1")).toEqual({ ok: true });
  });
  it("a flag with two bad entries names both", () => {
    expect(() => new EndpointPolicy({ allowedEndpoints: "a b,c/d/e" })).toThrow(
      '--allowed-endpoints: "a b" is not a host name, *.domain, address or CIDR; "c/d/e" is not a host name, *.domain, address or CIDR',
    );
  });
  it("every API server address is refused; one that does not parse is named as such", () => {
    const policy = new EndpointPolicy({ apiServerAddresses: ["172.18.0.2", "172.18.0.3"] });
    expect(policy.checkAddress("k8s", "172.18.0.2")).toMatchObject({ ok: false });
    expect(policy.checkAddress("k8s", "172.18.0.3")).toMatchObject({
      ok: false,
      message: expect.stringContaining("the Kubernetes API server"),
    });
    expect(() => new EndpointPolicy({ apiServerAddresses: ["kube.local"] })).toThrow(
      'API server address: "kube.local" is not an address or CIDR',
    );
  });
});

describe("EndpointPolicy.check: what the set's status says", () => {
  it("plain http:// names the host and the setting that allows it", async () => {
    expect(await new EndpointPolicy().check("http://dcs.example.test:8080/v2")).toEqual({
      ok: false,
      message: "dcs.example.test:8080: http:// is refused unless the connection sets allowInsecureHTTP",
    });
  });
  it("a name that does not resolve says so, with the resolver's reason or that it had no address", async () => {
    const failing = new EndpointPolicy({
      lookup: async () => {
        throw new Error("ENOTFOUND");
      },
    });
    expect(await failing.check("https://gone.example.test")).toEqual({
      ok: false,
      message: "gone.example.test does not resolve (ENOTFOUND)",
    });
    const empty = new EndpointPolicy({ lookup: async () => [] });
    expect(await empty.check("https://none.example.test")).toEqual({
      ok: false,
      message: "none.example.test does not resolve (no address)",
    });
  });
  it("an IP literal is checked as it is, without asking DNS", async () => {
    const policy = new EndpointPolicy({
      lookup: async () => {
        throw new Error("DNS asked");
      },
    });
    expect(await policy.check("https://203.0.113.9:8443")).toEqual({ ok: true });
    expect(await policy.check("https://[2001:db8::9]:8443")).toEqual({ ok: true });
  });
});
