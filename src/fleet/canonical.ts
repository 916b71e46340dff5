// One serialization for everything that is hashed or compared: object keys sorted at every depth, so
// equal values give equal strings whatever order their fields were written in.

export type Canonical =
  | string
  | number
  | boolean
  | null
  | readonly Canonical[]
  | { [key: string]: Canonical };

export function canonicalJson(value: Canonical | undefined): string {
  if (value === undefined) return "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(",")}]`;
  const record = value as { [key: string]: Canonical };
  return `{${Object.keys(record)
    .sort()
    .filter((k) => record[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`)
    .join(",")}}`;
}
