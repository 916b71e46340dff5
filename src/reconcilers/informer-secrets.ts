// Credentials read from Secrets in the informer cache; values are decoded here and go nowhere else.
import { z } from "zod";
import type { KubeObject } from "../controller/resource.js";
import type { SecretLookup, SecretSource } from "./connect.js";

const secretShape = z.looseObject({
  data: z.record(z.string(), z.string()).optional(),
  stringData: z.record(z.string(), z.string()).optional(),
});

/** The controller's SecretSource: the Secrets its informer holds. */
export function informerSecrets(secrets: () => { get(key: string): KubeObject | undefined }): SecretSource {
  return { read: async (namespace, name, keys) => readSecret(secrets(), namespace, name, keys) };
}

/** The decoded values of `keys` in Secret `namespace/name`; a message naming what is missing otherwise. */
export function readSecret(
  secrets: { get(key: string): unknown },
  namespace: string,
  name: string,
  keys: readonly string[],
): SecretLookup {
  const secret = secrets.get(`${namespace}/${name}`);
  if (!secret) return { ok: false, message: `Secret ${namespace}/${name} not found` };
  const parsed = secretShape.safeParse(secret);
  if (!parsed.success) return { ok: false, message: `Secret ${namespace}/${name} has no readable data` };
  const values: Record<string, string> = {};
  for (const key of keys) {
    const encoded = parsed.data.data?.[key];
    const value =
      encoded !== undefined ? Buffer.from(encoded, "base64").toString("utf8") : parsed.data.stringData?.[key];
    if (value === undefined || value === "")
      return { ok: false, message: `Secret ${namespace}/${name} has no key "${key}"` };
    values[key] = value;
  }
  return { ok: true, values };
}
