// Credentials read from Secrets in the informer cache; values are decoded here and go nowhere else.
import { z } from "zod";
import type { SecretReader } from "../controller/manager.js";

const secretShape = z.looseObject({
  data: z.record(z.string(), z.string()).optional(),
  stringData: z.record(z.string(), z.string()).optional(),
});

export type SecretLookup = { ok: true; values: Record<string, string> } | { ok: false; message: string };

/** The decoded values of `keys` in Secret `namespace/name`; a message naming what is missing otherwise. */
export function readSecret(
  secrets: SecretReader,
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
