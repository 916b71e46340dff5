// Which addresses the operator may open a connection to (issue 17): without it, whoever may create a
// connection could point the operator at loopback, the cloud metadata address or the API server.
// Checked after DNS resolution on every new socket, in undici's connector, so a name that is
// re-pointed (DNS rebinding) between a check and a connect is caught: the socket goes to the address
// that was checked, never to a second resolution.
import { lookup as dnsLookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { buildConnector } from "undici";
import { z } from "zod";

/**
 * Cloud metadata services, as the clouds document them (issue 25, L1): AWS 169.254.169.254 and
 * fd00:ec2::254 (IMDS IPv6 endpoint); GCP metadata.google.internal = 169.254.169.254; Azure
 * 169.254.169.254 (IMDS) and 168.63.129.16 (WireServer); Alibaba Cloud 100.100.100.200; Oracle Cloud
 * 169.254.169.254 and the older 192.0.0.192; Tencent Cloud 169.254.0.23 / metadata.tencentyun.com;
 * Huawei Cloud 169.254.169.254. The rest of 169.254.0.0/16 is link-local, refused too but liftable.
 */
const METADATA_CIDRS = [
  "169.254.169.254/32",
  "169.254.0.23/32",
  "fd00:ec2::254/128",
  "100.100.100.200/32",
  "168.63.129.16/32",
  "192.0.0.192/32",
];
/** The metadata services' names: refused by name too, whatever they resolve to where the check runs. */
const METADATA_HOSTS = ["metadata.google.internal", "metadata.tencentyun.com", "metadata.azure.internal"];

/**
 * Refused unless allowlisted. `strict` ranges (loopback, metadata, unspecified) are lifted
 * only by an allowlist entry naming the very address: `--allowed-endpoints=::/0` or `0.0.0.0/0` must not
 * open the metadata service. The others are lifted by any allowlisted CIDR that covers the address.
 */
const ALWAYS_DENIED: { label: string; cidrs: string[]; strict: boolean }[] = [
  { label: "loopback", cidrs: ["127.0.0.0/8", "::1/128"], strict: true },
  { label: "link-local (cloud metadata)", cidrs: ["169.254.0.0/16", "fe80::/10"], strict: false },
  { label: "a cloud metadata service", cidrs: METADATA_CIDRS, strict: true },
  // 0.0.0.0 reaches the host itself on Linux.
  { label: "unspecified", cidrs: ["0.0.0.0/8", "::/128"], strict: true },
  { label: "multicast or broadcast", cidrs: ["224.0.0.0/3", "ff00::/8"], strict: false },
];

const HOST_NAME =
  /^(\*\.)?[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/;

interface Cidr {
  address: string;
  prefix: number;
  family: "ipv4" | "ipv6";
}

function parseCidr(text: string): Cidr | undefined {
  const [address = "", prefixText] = text.split("/");
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? String(max)) || prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}

/** One comma-separated flag value: CIDRs and single addresses. */
export const cidrList = z.string().transform((text, ctx) => {
  const out: Cidr[] = [];
  for (const item of text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")) {
    const cidr = parseCidr(item);
    if (!cidr) ctx.addIssue({ code: "custom", message: `"${item}" is not an address or CIDR` });
    else out.push(cidr);
  }
  return out;
});

/** `--allowed-endpoints`: CIDRs, addresses, host names and `*.suffix` names, comma-separated. */
export const allowedEndpointList = z.string().transform((text, ctx) => {
  const cidrs: Cidr[] = [];
  const hosts: string[] = [];
  for (const item of text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")) {
    const cidr = parseCidr(item);
    if (cidr) cidrs.push(cidr);
    else if (HOST_NAME.test(item) && !item.includes("/")) hosts.push(item.toLowerCase());
    else ctx.addIssue({ code: "custom", message: `"${item}" is not a host name, *.domain, address or CIDR` });
  }
  return { cidrs, hosts };
});

export interface EndpointPolicyOptions {
  /** `--allowed-endpoints` as given. When set, only these hosts and CIDRs are reached. */
  allowedEndpoints?: string;
  /** `--service-cidrs` and `--pod-cidrs`: the cluster's own ranges, refused like loopback. */
  serviceCidrs?: string;
  podCidrs?: string;
  /** The API server's addresses (IPs), refused like loopback. */
  apiServerAddresses?: readonly string[];
  /** Name resolution; the system resolver by default. Tests inject one to play DNS rebinding. */
  lookup?: (hostname: string) => Promise<string[]>;
}

export type Verdict = { ok: true } | { ok: false; message: string };

/** Thrown through undici when the policy refuses a connection: no byte was sent. */
export class EndpointRefusedError extends Error {
  readonly code = "DBFLEET_ENDPOINT_REFUSED";
  constructor(message: string) {
    super(message);
    this.name = "EndpointRefusedError";
  }
}

/** Whether `error` (or a cause of it) is the policy refusing a connection: a Stalled set, not a retry. */
export function isEndpointRefused(error: unknown): error is Error {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    if (e instanceof EndpointRefusedError) return true;
  return false;
}

/** The 16 bytes of an IPv6 address (as node:net accepts it), or undefined. */
function ipv6Bytes(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  if (groups.length !== 8) return undefined;
  return groups.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

/**
 * The IPv4 address an IPv6 one carries, where the network delivers to it (issue 25, L1): IPv4-mapped
 * ::ffff:0:0/96, IPv4-compatible ::/96, NAT64 64:ff9b::/96 and 64:ff9b:1::/48 (RFC 6052, RFC 8215), and
 * 6to4 2002::/16 (RFC 3056). Teredo (2001::/32) hides its server address, not a target: not unwrapped.
 */
function embeddedIPv4(address: string): string | undefined {
  const b = ipv6Bytes(address);
  if (!b) return undefined;
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const v4 = (at: number) => b.slice(at, at + 4).join(".");
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4(12);
  if (zero(0, 12) && !zero(12, 15)) return v4(12);
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b) {
    if (zero(4, 12)) return v4(12);
    if (b[4] === 0x00 && b[5] === 0x01) return v4(12);
  }
  if (b[0] === 0x20 && b[1] === 0x02) return v4(2);
  return undefined;
}

/** An address and, for IPv6 that carries an IPv4 address, that one too: each is checked. */
function forms(address: string): { address: string; family: "ipv4" | "ipv6" }[] {
  const family = isIP(address) === 4 ? "ipv4" : "ipv6";
  const inner = family === "ipv6" ? embeddedIPv4(address) : undefined;
  // The carried IPv4 comes first: a refusal names the address the packets reach.
  return inner
    ? [
        { address: inner, family: "ipv4" },
        { address, family },
      ]
    : [{ address, family }];
}

function blockList(cidrs: readonly Cidr[]): BlockList {
  const list = new BlockList();
  for (const c of cidrs) list.addSubnet(c.address, c.prefix, c.family);
  return list;
}

async function systemLookup(hostname: string): Promise<string[]> {
  const found = await dnsLookup(hostname, { all: true, verbatim: true });
  return found.map((a) => a.address);
}

function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

export interface ConnectorOptions {
  /** PEM bundle to trust instead of the system roots. */
  ca?: string | undefined;
  /** Name the certificate must carry; the URL's host when unset. */
  serverName?: string | undefined;
  insecureSkipVerify?: boolean | undefined;
  /** Without it, a plain http:// connection is refused here too, whatever the caller checked. */
  allowInsecureHTTP?: boolean | undefined;
  /** TCP+TLS handshake deadline. */
  timeoutMs?: number | undefined;
}

export class EndpointPolicy {
  private readonly allowedCidrs: BlockList;
  /** Single addresses named in --allowed-endpoints: the only entries that lift a strict refusal. */
  private readonly allowedExactly: BlockList;
  private readonly allowedHosts: string[];
  private readonly restricted: boolean;
  private readonly denied: { label: string; list: BlockList; strict: boolean }[];
  private readonly lookup: (hostname: string) => Promise<string[]>;

  /** Throws a message naming the flag when one does not parse: the operator refuses to start. */
  constructor(options: EndpointPolicyOptions = {}) {
    const allowed = parseFlag("--allowed-endpoints", allowedEndpointList, options.allowedEndpoints ?? "");
    this.allowedCidrs = blockList(allowed.cidrs);
    this.allowedExactly = blockList(
      allowed.cidrs.filter((c) => c.prefix === (c.family === "ipv4" ? 32 : 128)),
    );
    this.allowedHosts = allowed.hosts;
    this.restricted = allowed.cidrs.length + allowed.hosts.length > 0;
    const cluster: { label: string; cidrs: Cidr[] }[] = [
      {
        label: "the cluster's service range",
        cidrs: parseFlag("--service-cidrs", cidrList, options.serviceCidrs ?? ""),
      },
      { label: "the cluster's pod range", cidrs: parseFlag("--pod-cidrs", cidrList, options.podCidrs ?? "") },
      {
        label: "the Kubernetes API server",
        cidrs: parseFlag("API server address", cidrList, (options.apiServerAddresses ?? []).join(",")),
      },
    ];
    this.denied = [
      ...ALWAYS_DENIED.map((d) => ({
        label: d.label,
        list: blockList(d.cidrs.map((c) => parseCidr(c) as Cidr)),
        strict: d.strict,
      })),
      ...cluster
        .filter((c) => c.cidrs.length > 0)
        .map((c) => ({ label: c.label, list: blockList(c.cidrs), strict: false })),
    ];
    this.lookup = options.lookup ?? systemLookup;
  }

  /** Whether `address`, reached as `hostname`, may be connected to. */
  checkAddress(hostname: string, address: string): Verdict {
    const name = stripBrackets(hostname).toLowerCase().replace(/\.$/, "");
    if (METADATA_HOSTS.includes(name))
      return { ok: false, message: `${name} is a cloud metadata service; it is never reached` };
    for (const ip of forms(address)) {
      const verdict = this.checkForm(name, ip);
      if (verdict) return verdict;
    }
    if (this.restricted && !this.hostAllowed(name) && !this.inAllowedCidr(address))
      return { ok: false, message: `${this.shown(name, address)} is not in --allowed-endpoints` };
    return { ok: true };
  }

  private shown(name: string, address: string): string {
    return name === address ? address : `${name} (${address})`;
  }

  private inAllowedCidr(address: string): boolean {
    return forms(address).some((ip) => this.allowedCidrs.check(ip.address, ip.family));
  }

  /** A refusal of one form of the address, or undefined. */
  private checkForm(name: string, ip: { address: string; family: "ipv4" | "ipv6" }): Verdict | undefined {
    for (const { label, list, strict } of this.denied) {
      if (!list.check(ip.address, ip.family)) continue;
      const lifted = strict
        ? this.allowedExactly.check(ip.address, ip.family)
        : this.allowedCidrs.check(ip.address, ip.family);
      if (lifted) continue;
      return {
        ok: false,
        message: `${this.shown(name, ip.address)} is ${label}; allow it with --allowed-endpoints=${ip.address}${strict ? " (named exactly: a wider range does not lift it)" : ""}`,
      };
    }
    return undefined;
  }

  private hostAllowed(name: string): boolean {
    return this.allowedHosts.some((h) => (h.startsWith("*.") ? name.endsWith(h.slice(1)) : name === h));
  }

  /** Resolves `url`'s host and checks every address: the engine's early, clear refusal before any client. */
  async check(url: string, options: { allowInsecureHTTP?: boolean } = {}): Promise<Verdict> {
    const parsed = new URL(url);
    if (parsed.protocol === "http:" && !options.allowInsecureHTTP)
      return {
        ok: false,
        message: `${parsed.host}: http:// is refused unless the connection sets allowInsecureHTTP`,
      };
    try {
      return this.checkAll(parsed.hostname, await this.addressesOf(parsed.hostname));
    } catch (error) {
      return { ok: false, message: `${parsed.hostname} does not resolve (${(error as Error).message})` };
    }
  }

  private async addressesOf(hostname: string): Promise<string[]> {
    const host = stripBrackets(hostname);
    if (isIP(host)) return [host];
    const addresses = await this.lookup(host);
    if (addresses.length === 0) throw new Error("no address");
    return addresses;
  }

  /** A name with one refused address is refused whole: its other addresses may be the decoy. */
  private checkAll(hostname: string, addresses: readonly string[]): Verdict {
    for (const address of addresses) {
      const verdict = this.checkAddress(hostname, address);
      if (!verdict.ok) return verdict;
    }
    return { ok: true };
  }

  /**
   * undici's `connect` option: resolves, checks every address, then opens the socket to the checked
   * address (TLS still verifies the certificate against the name). Refusals reach the request as
   * EndpointRefusedError before any byte is written.
   */
  connector(options: ConnectorOptions = {}): buildConnector.connector {
    const base = buildConnector({
      rejectUnauthorized: !options.insecureSkipVerify,
      ...(options.ca ? { ca: options.ca } : {}),
      ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
    });
    return (connectOptions, callback) => {
      const host = stripBrackets(connectOptions.hostname);
      if (connectOptions.protocol === "http:" && !options.allowInsecureHTTP) {
        callback(
          new EndpointRefusedError(
            `${host}: http:// is refused unless the connection sets allowInsecureHTTP`,
          ),
          null,
        );
        return;
      }
      this.addressesOf(host).then(
        (addresses) => {
          const verdict = this.checkAll(host, addresses);
          const [address] = addresses;
          if (!verdict.ok || address === undefined) {
            callback(new EndpointRefusedError(verdict.ok ? `${host} has no address` : verdict.message), null);
            return;
          }
          const servername = options.serverName ?? (isIP(host) ? undefined : host);
          base({ ...connectOptions, hostname: address, ...(servername ? { servername } : {}) }, callback);
        },
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
      );
    };
  }
}

function parseFlag<T>(flag: string, schema: z.ZodType<T, string>, text: string): T {
  const parsed = schema.safeParse(text);
  if (!parsed.success) throw new Error(`${flag}: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  return parsed.data;
}

/**
 * The addresses of the API server the operator talks to (its kubeconfig's or in-cluster server URL),
 * for `apiServerAddresses`: resolved once at start. In a pod, KUBERNETES_SERVICE_HOST is also inside
 * the service range; the endpoint address behind it (host network or a load balancer) is not.
 */
export async function apiServerAddresses(
  serverUrl: string,
  lookup: (hostname: string) => Promise<string[]> = systemLookup,
): Promise<string[]> {
  const host = stripBrackets(new URL(serverUrl).hostname);
  return isIP(host) ? [host] : lookup(host);
}
