// Waiting on a set's condition through the API server, shared by the rule stories.
import { eventually } from "./engine.js";
import type { RawApi } from "./raw-api.js";

interface WithConditions {
  status?:
    | { conditions?: { type: string; status: string; reason: string; message?: string }[] | undefined }
    | undefined;
}

/**
 * Waits until the object at `path` has a condition True for `reason` (of `type`, when given), or `unless`
 * says the wrong call was sent; a timeout names the conditions it last had. Returns the object last read.
 */
export async function conditionTrue<T extends WithConditions>(
  raw: RawApi,
  path: string,
  want: { reason: string; type?: string | undefined },
  waitMs: number,
  unless: () => boolean = () => false,
): Promise<T> {
  let last: T | undefined;
  const has = () =>
    (last?.status?.conditions ?? []).some(
      (c) =>
        (want.type === undefined || c.type === want.type) && c.status === "True" && c.reason === want.reason,
    );
  await eventually(
    `${path} ${want.type ?? "a condition"}=True (${want.reason})`,
    async () => {
      last = await raw.call<T>("GET", path);
      return unless() || has();
    },
    waitMs,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}; its conditions: ${JSON.stringify(last?.status?.conditions)}`);
  });
  if (!last) throw new Error("unreachable");
  return last;
}
