// RSA PKCS#1 v1.5 decryption done by hand: Node 20 refuses RSA_PKCS1_PADDING in privateDecrypt
// (CVE-2023-46809), and the agent's protocol needs exactly that padding. Simulator only.
import { generateKeyPairSync, type KeyObject } from "node:crypto";

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

export interface AgentKeyPair {
  /** base64 of the DER PKCS#1 RSAPublicKey, as GET /api/v1/secret serves it. */
  publicKeyBase64: string;
  publicKey: KeyObject;
  decrypt(ciphertext: Buffer): Buffer;
  modulusBytes: number;
}

export function generateAgentKeyPair(bits: 512 | 1024 = 1024): AgentKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  const jwk = privateKey.export({ format: "jwk" });
  const p = toBigInt(jwk.p ?? "");
  const q = toBigInt(jwk.q ?? "");
  const dp = toBigInt(jwk.dp ?? "");
  const dq = toBigInt(jwk.dq ?? "");
  const qi = toBigInt(jwk.qi ?? "");
  const k = bits / 8;
  // Chinese remainder theorem: two half-size exponentiations, as every RSA library does it.
  const rsaDecrypt = (c: bigint): bigint => {
    const m1 = modPow(c % p, dp, p);
    const m2 = modPow(c % q, dq, q);
    let h = (qi * (m1 - m2)) % p;
    if (h < 0n) h += p;
    return m2 + h * q;
  };
  const decryptBlock = (block: Buffer): Buffer => {
    const m = rsaDecrypt(BigInt(`0x${block.toString("hex")}`));
    const em = Buffer.from(m.toString(16).padStart(k * 2, "0"), "hex");
    // EM = 0x00 || 0x02 || PS (>= 8 non-zero bytes) || 0x00 || M
    if (em[0] !== 0 || em[1] !== 2) throw new Error("bad PKCS#1 v1.5 padding");
    const separator = em.indexOf(0, 2);
    if (separator < 10) throw new Error("bad PKCS#1 v1.5 padding");
    return em.subarray(separator + 1);
  };
  return {
    publicKeyBase64: (publicKey.export({ type: "pkcs1", format: "der" }) as Buffer).toString("base64"),
    publicKey,
    modulusBytes: k,
    decrypt(ciphertext: Buffer): Buffer {
      if (ciphertext.length === 0 || ciphertext.length % k !== 0)
        throw new Error("ciphertext is not whole blocks");
      const parts: Buffer[] = [];
      for (let offset = 0; offset < ciphertext.length; offset += k)
        parts.push(decryptBlock(ciphertext.subarray(offset, offset + k)));
      return Buffer.concat(parts);
    },
  };
}
