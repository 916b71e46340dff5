// What one remote reply may cost before it is parsed (issue 25, M1). A reply just under the byte cap made of
// deeply nested or many tiny JSON values grew the process by 240-330 MiB inside JSON.parse, and one agent's
// reply killed an operator with deploy/'s 192 MiB heap. So every reply is counted while it streams in, and
// refused before any object is built when it passes its route's bytes, depth, values or containers.
import { z } from "zod";

/** The limits of one route's reply; each provider sets them from its protocol's real sizes. */
export interface ReplyBudget {
  /** Body bytes. */
  bytes: number;
  /** Nesting of objects and arrays. */
  depth: number;
  /** JSON values and object keys: what JSON.parse allocates one by one. */
  values: number;
  /** Objects and arrays, the costly values (an empty object is ~56 bytes of heap for 3 bytes of text). */
  containers: number;
}

/** A route's budget: the first entry whose method and path match. */
export interface RouteBudget {
  method: string;
  path: RegExp;
  budget: ReplyBudget;
}

export function budgetFor(
  routes: readonly RouteBudget[],
  fallback: ReplyBudget,
  method: string,
  path: string,
): ReplyBudget {
  return routes.find((r) => r.method === method && r.path.test(path))?.budget ?? fallback;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** Bytes that make up a JSON number, true, false or null. */
const SCALAR = new Uint8Array(256);
for (const c of "0123456789-+.eEtrufalsn") SCALAR[c.charCodeAt(0)] = 1;

/**
 * Counts a JSON text byte by byte as it arrives, without building anything: UTF-8 continuation bytes never
 * look like JSON's ASCII structure, so chunks may split anywhere. Not a validator: JSON.parse still
 * rejects what is malformed, but only after this has bounded what it could allocate.
 */
export class JsonBudgetMeter {
  private inString = false;
  private escaped = false;
  private inScalar = false;
  private depth = 0;
  private values = 0;
  private containers = 0;

  constructor(private readonly budget: ReplyBudget) {}

  /** Counts `chunk`; returns what the reply passed, or undefined while within the budget. */
  feed(chunk: Uint8Array): string | undefined {
    const { budget } = this;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.inString = false;
        continue;
      }
      if (SCALAR[b] === 1) {
        if (!this.inScalar) {
          this.inScalar = true;
          if (++this.values > budget.values) return `holds more than ${budget.values} values`;
        }
        continue;
      }
      this.inScalar = false;
      if (b === QUOTE) {
        this.inString = true;
        if (++this.values > budget.values) return `holds more than ${budget.values} values`;
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        if (++this.depth > budget.depth) return `nests deeper than ${budget.depth} levels`;
        if (++this.containers > budget.containers)
          return `holds more than ${budget.containers} objects and arrays`;
        if (++this.values > budget.values) return `holds more than ${budget.values} values`;
      } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) this.depth--;
    }
    return undefined;
  }
}

/**
 * `z.array(item)` for replies, checked item by item up to the first that fails. zod reports every failing
 * item, and 300,000 bad items within the value budget made 347,000 issues and 300 MiB; this makes at most
 * the first bad item's.
 */
export function replyArray<T extends z.ZodType>(item: T) {
  return z.array(z.unknown()).transform((items, ctx): z.output<T>[] => {
    const out: z.output<T>[] = [];
    for (const [index, value] of items.entries()) {
      const parsed = item.safeParse(value);
      if (!parsed.success) {
        for (const issue of parsed.error.issues.slice(0, 3))
          ctx.addIssue({ code: "custom", message: issue.message, path: [index, ...issue.path] });
        return z.NEVER;
      }
      out.push(parsed.data);
    }
    return out;
  });
}
