// A self-signed serving certificate for the metrics endpoint, made at startup when no certificate is given,
// as controller-runtime's metrics server does (pkg/metrics/server/server.go: certutil's self-signed key pair
// for "localhost" and 127.0.0.1 when CertDir holds none). Node can make keys but not certificates, and the
// image carries no openssl: the few DER structures of RFC 5280 are written here.
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";

/** One year, as certutil.GenerateSelfSignedCertKeyWithFixtures. */
const VALIDITY_MS = 365 * 24 * 3600 * 1000;

function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length =
    n < 0x80
      ? Buffer.from([n])
      : n < 0x100
        ? Buffer.from([0x81, n])
        : n < 0x10000
          ? Buffer.from([0x82, n >> 8, n & 0xff])
          : Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

const seq = (...items: Buffer[]) => der(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => der(0x31, Buffer.concat(items));
const octets = (content: Buffer) => der(0x04, content);
const utf8 = (text: string) => der(0x0c, Buffer.from(text, "utf8"));

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split(".").map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const base128 = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) base128.unshift((v & 0x7f) | 0x80);
    bytes.push(...base128);
  }
  return der(0x06, Buffer.from(bytes));
}

/** UTCTime up to 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
function time(at: Date): Buffer {
  const iso = at.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return at.getUTCFullYear() < 2050
    ? der(0x17, Buffer.from(`${iso.slice(2)}Z`))
    : der(0x18, Buffer.from(`${iso}Z`));
}

function ipBytes(ip: string): Buffer {
  return Buffer.from(ip.split(".").map(Number));
}

export interface SelfSigned {
  cert: string;
  key: string;
}

/** A P-256 key and a certificate for `dnsNames` and IPv4 `ips`, valid from an hour ago for a year. */
export function selfSignedCertificate(
  dnsNames: readonly string[] = ["localhost"],
  ips: readonly string[] = ["127.0.0.1"],
  now = new Date(),
): SelfSigned {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const ecdsaWithSha256 = seq(oid("1.2.840.10045.4.3.2"));
  const name = seq(
    set(seq(oid("2.5.4.3"), utf8(`dbfleet-operator-metrics@${Math.floor(now.getTime() / 1000)}`))),
  );
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 1) & 0x7f) | 0x01; // positive and non-zero, as RFC 5280 4.1.2.2 asks
  const altNames = seq(
    ...dnsNames.map((n) => der(0x82, Buffer.from(n))),
    ...ips.map((ip) => der(0x87, ipBytes(ip))),
  );
  const extensions = der(
    0xa3,
    seq(
      // basicConstraints: not a CA.
      seq(oid("2.5.29.19"), der(0x01, Buffer.from([0xff])), octets(seq())),
      // keyUsage: digitalSignature.
      seq(oid("2.5.29.15"), der(0x01, Buffer.from([0xff])), octets(der(0x03, Buffer.from([0x07, 0x80])))),
      // extKeyUsage: serverAuth.
      seq(oid("2.5.29.37"), octets(seq(oid("1.3.6.1.5.5.7.3.1")))),
      seq(oid("2.5.29.17"), octets(altNames)),
    ),
  );
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))), // v3
    der(0x02, serial),
    ecdsaWithSha256,
    name,
    seq(time(new Date(now.getTime() - 3600_000)), time(new Date(now.getTime() + VALIDITY_MS))),
    name,
    publicKey.export({ type: "spki", format: "der" }),
    extensions,
  );
  const signature = sign("sha256", tbs, privateKey);
  const cert = seq(tbs, ecdsaWithSha256, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const pem = (label: string, body: Buffer) =>
    `-----BEGIN ${label}-----\n${body.toString("base64").replace(/.{64}/g, "$&\n").replace(/\n?$/, "\n")}-----END ${label}-----\n`;
  return {
    cert: pem("CERTIFICATE", cert),
    key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}
