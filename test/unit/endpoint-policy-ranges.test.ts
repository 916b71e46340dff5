// The endpoint policy's refusals a person reads, and the ranges endpoint-policy.test.ts does not table:
// multicast and broadcast, the unspecified IPv6 address, the Azure metadata name, the exact refusal
// message (which address, which label, how to lift it and whether a wider range can), the flag syntax,
// and the API server's addresses. Wrong versions this is written against: a range dropped from the list,
// a strict range lifted by a covering CIDR or a liftable one not lifted, a message naming the IPv6 form
// instead of the IPv4 the packets reach, a CIDR parser that takes "10.0.0.0/" or "/8x".
import { describe, expect, it } from "vitest";
import {
  allowedEndpointList,
  apiServerAddresses,
  cidrList,
  EndpointPolicy,
  EndpointRefusedError,
  isEndpointRefused,
} from "../../src/providers/endpoint-policy.js";

describe("refused ranges and their neighbours", () => {
  it.each<[string, string, string | undefined]>([
    ["multicast, first address", "224.0.0.1", "multicast or broadcast"],
    ["SSDP multicast", "239.255.255.250", "multicast or broadcast"],
    ["the limited broadcast address", "255.255.255.255", "multicast or broadcast"],
    ["IPv6 all-nodes multicast", "ff02::1", "multicast or broadcast"],
    ["the last unicast address before multicast", "223.255.255.255", undefined],
    ["the unspecified IPv6 address", "::", "unspecified"],
    ["0.x reaches the host itself", "0.1.2.3", "unspecified"],
    ["the address after the link-local range", "169.255.0.1", undefined],
    ["the address before loopback", "126.255.255.255", undefined],
    ["a unique-local IPv6 address that is not AWS's metadata", "fd00:ec2::253", undefined],
  ])("%s (%s)", (_, address, label) => {
    const verdict = new EndpointPolicy().checkAddress("x.example", address);
    expect(verdict).toEqual(
      label === undefined ? { ok: true } : { ok: false, message: expect.stringContaining(`is ${label}`) },
    );
  });

  it.each(["metadata.azure.internal", "Metadata.Azure.Internal.", "[metadata.google.internal]"])(
    "the metadata name %s is refused whatever it resolves to",
    (host) => {
      const policy = new EndpointPolicy({ allowedEndpoints: "0.0.0.0/0" });
      expect(policy.checkAddress(host, "203.0.113.7")).toEqual({
        ok: false,
        message: `${host
          .replace(/^\[|\]$/g, "")
          .toLowerCase()
          .replace(/\.$/, "")} is a cloud metadata service; it is never reached`,
      });
    },
  );

  it("multicast is lifted by an allowlisted CIDR that covers it (it is not a strict range); loopback is not", () => {
    const policy = new EndpointPolicy({ allowedEndpoints: "224.0.0.0/4,127.0.0.0/8" });
    expect(policy.checkAddress("x.example", "224.0.0.9")).toEqual({ ok: true });
    expect(policy.checkAddress("x.example", "127.0.0.9").ok).toBe(false);
  });
});

describe("the refusal message: the address the packets reach, the label, and how to lift it", () => {
  it.each<[string, string, string, string]>([
    [
      "a strict range reached by name",
      "ob.example",
      "127.0.0.1",
      "ob.example (127.0.0.1) is loopback; allow it with --allowed-endpoints=127.0.0.1 (named exactly: a wider range does not lift it)",
    ],
    [
      "a liftable range reached by address: the address once, no 'named exactly'",
      "169.254.10.10",
      "169.254.10.10",
      "169.254.10.10 is link-local (cloud metadata); allow it with --allowed-endpoints=169.254.10.10",
    ],
    [
      "IPv4 inside IPv6: the IPv4 is named",
      "x.example",
      "::ffff:127.0.0.1",
      "x.example (127.0.0.1) is loopback; allow it with --allowed-endpoints=127.0.0.1 (named exactly: a wider range does not lift it)",
    ],
  ])("%s", (_, host, address, message) => {
    expect(new EndpointPolicy().checkAddress(host, address)).toEqual({ ok: false, message });
  });

  it("outside a non-empty allowlist: the name and the address", () => {
    const policy = new EndpointPolicy({ allowedEndpoints: "dcs.example" });
    expect(policy.checkAddress("Other.Example", "203.0.113.1")).toEqual({
      ok: false,
      message: "other.example (203.0.113.1) is not in --allowed-endpoints",
    });
    expect(policy.checkAddress("203.0.113.1", "203.0.113.1")).toEqual({
      ok: false,
      message: "203.0.113.1 is not in --allowed-endpoints",
    });
    // Names compare lower-cased, a trailing dot dropped.
    expect(policy.checkAddress("DCS.example.", "203.0.113.1")).toEqual({ ok: true });
  });

  it("an allowlisted CIDR admits an IPv6 address by the IPv4 it carries", () => {
    const policy = new EndpointPolicy({ allowedEndpoints: "203.0.113.0/24" });
    expect(policy.checkAddress("x.example", "::ffff:203.0.113.5")).toEqual({ ok: true });
    expect(policy.checkAddress("x.example", "::ffff:198.51.100.5").ok).toBe(false);
  });
});

describe("flag syntax", () => {
  it.each([
    ["10.0.0.0/8", true],
    ["10.0.0.1", true],
    ["fd00::/8", true],
    ["fd00::/128", true],
    ["10.0.0.0/32", true],
    ["10.0.0.0/0", true],
    ["10.0.0.0/", false],
    ["10.0.0.0/8x", false],
    ["10.0.0.0/-1", false],
    ["10.0.0.0/33", false],
    ["fd00::/129", false],
    ["10.0.0", false],
  ])("cidrList %s: %s", (text, ok) => {
    expect(cidrList.safeParse(text).success).toBe(ok);
  });

  it("cidrList: comma-separated, spaces and empty items ignored, each item's prefix and family kept", () => {
    expect(cidrList.parse(" 10.0.0.0/8, ,fd00::1 ,")).toEqual([
      { address: "10.0.0.0", prefix: 8, family: "ipv4" },
      { address: "fd00::1", prefix: 128, family: "ipv6" },
    ]);
  });

  it.each([
    ["dcs.example", { cidrs: [], hosts: ["dcs.example"] }],
    ["*.MyHuaweiCloud.com", { cidrs: [], hosts: ["*.myhuaweicloud.com"] }],
    [
      "a-b.example,10.0.0.1",
      { cidrs: [{ address: "10.0.0.1", prefix: 32, family: "ipv4" }], hosts: ["a-b.example"] },
    ],
  ])("allowedEndpointList %s", (text, want) => {
    expect(allowedEndpointList.parse(text)).toEqual(want);
  });

  it.each([
    "-a.example",
    "a-.example",
    "a..example",
    "x.*.example",
    "*",
    "https://dcs.example",
    "dcs.example/x",
    "a_b.example",
  ])("allowedEndpointList refuses %s, naming it", (text) => {
    const parsed = allowedEndpointList.safeParse(text);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe(`"${text}" is not a host name, *.domain, address or CIDR`);
  });

  it("a flag that does not parse stops the operator, naming the flag and the item", () => {
    expect(() => new EndpointPolicy({ podCidrs: "10.0.0.0/8,nonsense" })).toThrow(
      '--pod-cidrs: "nonsense" is not an address or CIDR',
    );
  });
});

describe("the API server's addresses, resolved once at start", () => {
  it("an address is itself, no lookup; a name is resolved", async () => {
    const never = async (): Promise<string[]> => {
      throw new Error("looked up");
    };
    expect(await apiServerAddresses("https://172.18.0.2:6443", never)).toEqual(["172.18.0.2"]);
    expect(await apiServerAddresses("https://[fd00::2]:6443", never)).toEqual(["fd00::2"]);
    expect(
      await apiServerAddresses("https://api.cluster.example:6443", async (h) => [`${h}-resolved`]),
    ).toEqual(["api.cluster.example-resolved"]);
  });

  it("refused like loopback, but an allowlisted CIDR covering it lifts it", () => {
    const refused = new EndpointPolicy({ apiServerAddresses: ["172.18.0.2"] });
    expect(refused.checkAddress("x.example", "172.18.0.2")).toEqual({
      ok: false,
      message:
        "x.example (172.18.0.2) is the Kubernetes API server; allow it with --allowed-endpoints=172.18.0.2",
    });
    expect(refused.checkAddress("x.example", "172.18.0.3")).toEqual({ ok: true });
    expect(
      new EndpointPolicy({
        apiServerAddresses: ["172.18.0.2"],
        allowedEndpoints: "172.16.0.0/12",
      }).checkAddress("x.example", "172.18.0.2"),
    ).toEqual({ ok: true });
  });
});

describe("isEndpointRefused: the policy's refusal, however deep undici wraps it", () => {
  const wrap = (error: Error, times: number): Error => {
    let e = error;
    for (let i = 0; i < times; i++) e = new Error(`wrapped ${i}`, { cause: e });
    return e;
  };
  it.each([
    ["the refusal itself", new EndpointRefusedError("no"), true],
    ["wrapped four times", wrap(new EndpointRefusedError("no"), 4), true],
    ["wrapped five times: too deep to be the policy's", wrap(new EndpointRefusedError("no"), 5), false],
    ["another error", wrap(new Error("ECONNREFUSED"), 2), false],
    ["not an error", "refused", false],
  ])("%s: %s", (_, error, want) => {
    expect(isEndpointRefused(error)).toBe(want);
  });

  it("carries a code a log can be searched for", () => {
    const e = new EndpointRefusedError("no");
    expect([e.code, e.name, e.message]).toEqual(["DBFLEET_ENDPOINT_REFUSED", "EndpointRefusedError", "no"]);
  });
});
