// obshell auth v2 (docs/protocols/obshell.md "Authentication v2"): an RSA-encrypted X-OCS-Header and an AES-encrypted body.
import {
  constants,
  createCipheriv,
  createPublicKey,
  type KeyObject,
  publicEncrypt,
  randomBytes,
} from "node:crypto";

/** What the SDKs put in one RSA block: valid for 512- and 1024-bit agent keys. */
export const RSA_CHUNK_BYTES = 53;
export const AUTH_LIFETIME_SECONDS = 60;

/** The agent's key: base64 of a DER PKCS#1 RSAPublicKey. */
export function parseAgentPublicKey(base64Der: string): KeyObject {
  return createPublicKey({ key: Buffer.from(base64Der, "base64"), format: "der", type: "pkcs1" });
}

export function rsaEncryptChunked(key: KeyObject, plain: Buffer): Buffer {
  const blocks: Buffer[] = [];
  for (let offset = 0; offset < plain.length; offset += RSA_CHUNK_BYTES) {
    blocks.push(
      publicEncrypt(
        { key, padding: constants.RSA_PKCS1_PADDING },
        plain.subarray(offset, offset + RSA_CHUNK_BYTES),
      ),
    );
  }
  return Buffer.concat(blocks);
}

export interface SessionKeys {
  key: Buffer;
  iv: Buffer;
}

export function newSessionKeys(): SessionKeys {
  return { key: randomBytes(16), iv: randomBytes(16) };
}

/** The X-OCS-Header value: `uri` must be the request-target byte for byte (path plus ?query). */
export function authHeader(options: {
  publicKey: KeyObject;
  password: string;
  uri: string;
  keys: SessionKeys;
  nowSeconds: number;
}): string {
  const payload = JSON.stringify({
    auth: options.password,
    ts: String(Math.floor(options.nowSeconds) + AUTH_LIFETIME_SECONDS),
    uri: options.uri,
    keys: Buffer.concat([options.keys.key, options.keys.iv]).toString("base64"),
  });
  return rsaEncryptChunked(options.publicKey, Buffer.from(payload, "utf8")).toString("base64");
}

/** The body sent instead of the JSON: base64 of AES-128-CBC over the PKCS#7-padded JSON bytes. */
export function encryptBody(json: string, keys: SessionKeys): string {
  const cipher = createCipheriv("aes-128-cbc", keys.key, keys.iv);
  return Buffer.concat([cipher.update(json, "utf8"), cipher.final()]).toString("base64");
}
