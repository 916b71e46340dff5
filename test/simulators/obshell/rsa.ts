// RSA PKCS#1 v1.5 decryption for the simulated agent. The agent (Go's rsa.DecryptPKCS1v15) refuses a
// block whose padding is wrong; OpenSSL's PKCS#1 mode in Node 22+ answers such a block with implicit
// rejection (random-looking bytes, no error), and Node 20 refuses the mode outright (CVE-2023-46809).
// So OpenSSL does the raw exponentiation (RSA_NO_PADDING: C, about 100x faster than BigInt) and the
// padding is checked here, exactly as the agent checks it. A BigInt path covers an OpenSSL without
// raw mode. Simulator only.
import { constants, generateKeyPairSync, type KeyObject, privateDecrypt } from "node:crypto";

function toBigInt(b64url: string): bigint {
  return BigInt(`0x${Buffer.from(b64url, "base64url").toString("hex") || "0"}`);
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

type RawDecrypt = (block: Buffer) => Buffer;

/** c^d mod n by hand, with the Chinese remainder theorem as every RSA library does it. */
export function bigIntRawDecrypt(privateKey: KeyObject, k: number): RawDecrypt {
  const jwk = privateKey.export({ format: "jwk" });
  const p = toBigInt(jwk.p ?? "");
  const q = toBigInt(jwk.q ?? "");
  const dp = toBigInt(jwk.dp ?? "");
  const dq = toBigInt(jwk.dq ?? "");
  const qi = toBigInt(jwk.qi ?? "");
  return (block) => {
    const c = BigInt(`0x${block.toString("hex")}`);
    const m1 = modPow(c % p, dp, p);
    const m2 = modPow(c % q, dq, q);
    let h = (qi * (m1 - m2)) % p;
    if (h < 0n) h += p;
    return Buffer.from((m2 + h * q).toString(16).padStart(k * 2, "0"), "hex");
  };
}

export type RawRsa = "openssl" | "bigint";

/** OpenSSL's raw mode when it agrees with the BigInt path on a probe block, else the BigInt path. */
export function rawRsaFor(privateKey: KeyObject, k: number): { kind: RawRsa; decrypt: RawDecrypt } {
  const bigint = bigIntRawDecrypt(privateKey, k);
  const openssl: RawDecrypt = (block) =>
    privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, block);
  try {
    const probe = Buffer.alloc(k, 0);
    probe[k - 1] = 7;
    if (openssl(probe).equals(bigint(probe))) return { kind: "openssl", decrypt: openssl };
  } catch {
    // this OpenSSL build has no raw RSA: the BigInt path does the work
  }
  return { kind: "bigint", decrypt: bigint };
}

export interface AgentKeyPair {
  /** base64 of the DER PKCS#1 RSAPublicKey, as GET /api/v1/secret serves it. */
  publicKeyBase64: string;
  publicKey: KeyObject;
  decrypt(ciphertext: Buffer): Buffer;
  modulusBytes: number;
  /** Which raw RSA does the work (the benchmark prints it). */
  rawRsa: RawRsa;
}

/** EM = 0x00 || 0x02 || PS (>= 8 non-zero bytes) || 0x00 || M; anything else is refused, as Go refuses it. */
export function unpadPkcs1v15(em: Buffer): Buffer {
  if (em[0] !== 0 || em[1] !== 2) throw new Error("bad PKCS#1 v1.5 padding");
  const separator = em.indexOf(0, 2);
  if (separator < 10) throw new Error("bad PKCS#1 v1.5 padding");
  return em.subarray(separator + 1);
}

export function generateAgentKeyPair(bits: 512 | 1024 = 1024): AgentKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  const k = bits / 8;
  const raw = rawRsaFor(privateKey, k);
  return {
    publicKeyBase64: (publicKey.export({ type: "pkcs1", format: "der" }) as Buffer).toString("base64"),
    publicKey,
    modulusBytes: k,
    rawRsa: raw.kind,
    decrypt(ciphertext: Buffer): Buffer {
      if (ciphertext.length === 0 || ciphertext.length % k !== 0)
        throw new Error("ciphertext is not whole blocks");
      const parts: Buffer[] = [];
      for (let offset = 0; offset < ciphertext.length; offset += k)
        parts.push(unpadPkcs1v15(raw.decrypt(ciphertext.subarray(offset, offset + k))));
      return Buffer.concat(parts);
    },
  };
}
