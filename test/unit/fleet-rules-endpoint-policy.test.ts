// The endpoint policy's link-local refusal (README, Security model: "link-local (169.254.0.0/16, fe80::/10,
// the cloud metadata address)") over every way an address can be written: the edges of both ranges, an IPv4
// address mapped into IPv6 (dotted and hex), URL spellings the WHATWG parser turns into 169.254.169.254, and
// names that resolve there. Wrong versions this is written against: a /24 or the metadata address alone,
// fe80::/16 instead of /10, an IPv4-mapped address checked only as IPv6, an allowlisted name lifting the
// refusal for the address behind it.
import { describe, expect, it } from "vitest";
import { EndpointPolicy } from "../../src/providers/endpoint-policy.js";

const policy = new EndpointPolicy();

describe("every link-local address is refused, its neighbours are not", () => {
  it.each([
    ["the first IPv4 link-local address", "169.254.0.0"],
    ["169.254.0.1", "169.254.0.1"],
    ["the cloud metadata address", "169.254.169.254"],
    ["the AWS IPv4 time/DNS address", "169.254.169.123"],
    ["an address past the first /24", "169.254.1.1"],
    ["the last IPv4 link-local address", "169.254.255.255"],
    ["fe80::", "fe80::"],
    ["fe80::1", "fe80::1"],
    ["fe80::1 in upper case", "FE80::1"],
    ["fe80::1 with a zone id", "fe80::1%eth0"],
    ["the last /16 of fe80::/10 (feb0::)", "febf::1"],
    ["the last fe80::/10 address", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
    ["fe90::, past fe80::/16", "fe90::1"],
    ["the metadata address mapped into IPv6 (dotted)", "::ffff:169.254.169.254"],
    ["an IPv4-mapped link-local address in upper case", "::FFFF:169.254.1.1"],
    ["the metadata address mapped into IPv6 (hex)", "::ffff:a9fe:a9fe"],
    ["the metadata address mapped into IPv6, written out", "0:0:0:0:0:ffff:a9fe:a9fe"],
    ["the last IPv4 link-local address mapped (hex)", "::ffff:a9fe:ffff"],
  ])("%s (%s)", (_, address) => {
    const verdict = policy.checkAddress(address, address);
    expect(verdict.ok, address).toBe(false);
    if (!verdict.ok) expect(verdict.message).toContain("link-local");
  });

  it.each([
    ["the address before 169.254.0.0", "169.253.255.255"],
    ["the address after 169.254.255.255", "169.255.0.0"],
    ["fe7f:ffff::1, before fe80::/10", "fe7f:ffff::1"],
    ["fec0::1, after fe80::/10", "fec0::1"],
    ["an IPv4-mapped public address", "::ffff:203.0.113.7"],
  ])("%s (%s) is not link-local", (_, address) => {
    expect(policy.checkAddress(address, address)).toEqual({ ok: true });
  });
});

describe("URL spellings that lead to the metadata address", () => {
  it.each([
    ["dotted", "http://169.254.169.254/"],
    ["one decimal number", "http://2852039166/"],
    ["hex octets", "http://0xa9.0xfe.0xa9.0xfe/"],
    ["octal octets", "http://0251.0376.0251.0376/"],
    ["a trailing dot", "http://169.254.169.254./"],
    ["IPv4-mapped IPv6", "http://[::ffff:169.254.169.254]/"],
    ["IPv4-mapped IPv6 with a port", "http://[::ffff:a9fe:a9fe]:80/"],
    ["IPv6 link-local", "http://[fe80::a9fe:a9fe]/"],
  ])("%s: %s is refused before any client exists", async (_, url) => {
    const verdict = await policy.check(url, { allowInsecureHTTP: true });
    expect(verdict.ok, url).toBe(false);
    if (!verdict.ok) expect(verdict.message).toContain("link-local");
  });
});

describe("names that resolve to link-local addresses", () => {
  const resolving = (addresses: string[], allowedEndpoints?: string) =>
    new EndpointPolicy({ lookup: async () => addresses, ...(allowedEndpoints ? { allowedEndpoints } : {}) });

  it.each([
    ["169.254.169.254", ["169.254.169.254"]],
    ["fe80::1", ["fe80::1"]],
    ["an IPv4-mapped metadata address", ["::ffff:169.254.169.254"]],
    [
      "a public address and a link-local one (the decoy is refused whole)",
      ["203.0.113.7", "169.254.169.254"],
    ],
  ])("a name resolving to %s is refused", async (_, addresses) => {
    const verdict = await resolving(addresses).check("https://dcs.example.test");
    expect(verdict.ok).toBe(false);
  });

  it("an allowlisted name does not lift the refusal of the link-local address behind it", async () => {
    const verdict = await resolving(["169.254.169.254"], "dcs.example.test,*.example.test").check(
      "https://dcs.example.test",
    );
    expect(verdict).toMatchObject({ ok: false, message: expect.stringContaining("link-local") });
  });

  it("an allowlisted CIDR does lift it, for the addresses it covers only", () => {
    const allowed = new EndpointPolicy({ allowedEndpoints: "169.254.10.0/24" });
    expect(allowed.checkAddress("169.254.10.7", "169.254.10.7")).toEqual({ ok: true });
    expect(allowed.checkAddress("::ffff:169.254.10.7", "::ffff:169.254.10.7")).toEqual({ ok: true });
    expect(allowed.checkAddress("169.254.169.254", "169.254.169.254").ok).toBe(false);
  });
});
