// The simulated agent's RSA must refuse what the real agent (Go's rsa.DecryptPKCS1v15) refuses, whichever
// raw RSA does the exponentiation; OpenSSL's own PKCS#1 mode would answer garbage with implicit rejection.
import { constants, generateKeyPairSync, publicEncrypt } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  bigIntRawDecrypt,
  generateAgentKeyPair,
  rawRsaFor,
  unpadPkcs1v15,
} from "../simulators/obshell/rsa.js";

/** Encrypts a chosen encoded message with no padding, so a test can send exactly the block it means. */
function rawEncrypt(publicKey: Parameters<typeof publicEncrypt>[0], em: Buffer): Buffer {
  return publicEncrypt({ key: publicKey as never, padding: constants.RSA_NO_PADDING }, em);
}

describe("the simulated agent's RSA", () => {
  const pair = generateAgentKeyPair(1024);

  it("uses OpenSSL for the exponentiation on this Node", () => {
    expect(pair.rawRsa).toBe("openssl");
  });

  it("decrypts what a client encrypts with PKCS#1 v1.5, across several blocks", () => {
    const messages = ["a", "x".repeat(117)].map((m) => Buffer.from(m));
    const ciphertext = Buffer.concat(
      messages.map((m) => publicEncrypt({ key: pair.publicKey, padding: constants.RSA_PKCS1_PADDING }, m)),
    );
    expect(pair.decrypt(ciphertext).toString()).toBe(`a${"x".repeat(117)}`);
  });

  it.each([
    [
      "block type 1 (a signature's padding)",
      (em: Buffer) => {
        em[1] = 1;
      },
    ],
    [
      "a leading byte that is not zero",
      (em: Buffer) => {
        em[0] = 1;
      },
    ],
    [
      "fewer than 8 bytes of padding",
      (em: Buffer) => {
        em.fill(0, 5);
        em[em.length - 1] = 0x41;
      },
    ],
    [
      "no separator",
      (em: Buffer) => {
        em.fill(0xff, 2);
      },
    ],
  ])("refuses %s, as the agent does (DecryptFailed), where OpenSSL's PKCS#1 mode would not", (_, spoil) => {
    const em = Buffer.alloc(pair.modulusBytes, 0xab);
    em[0] = 0;
    em[1] = 2;
    em[20] = 0;
    spoil(em);
    expect(() => pair.decrypt(rawEncrypt(pair.publicKey, em))).toThrow(/padding/);
  });

  it("refuses ciphertext that is not whole blocks", () => {
    expect(() => pair.decrypt(Buffer.alloc(pair.modulusBytes + 1, 1))).toThrow(/whole blocks/);
  });

  it("gets the same raw result from OpenSSL and the BigInt path", () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 512 });
    const openssl = rawRsaFor(privateKey, 64);
    expect(openssl.kind).toBe("openssl");
    const em = Buffer.alloc(64, 0x5a);
    em[0] = 0;
    const block = publicEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, em);
    expect(openssl.decrypt(block)).toEqual(em);
    expect(bigIntRawDecrypt(privateKey, 64)(block)).toEqual(em);
    expect(unpadPkcs1v15(Buffer.from([0, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0x42]))).toEqual(Buffer.from([0x42]));
  });
});
