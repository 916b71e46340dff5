import { describe, expect, it } from "vitest";
import { EndpointPolicy, type EndpointPolicyOptions } from "../../src/connections/endpoint-policy.js";

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
