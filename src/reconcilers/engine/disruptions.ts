// status.disruptions: what a set started, recorded with its intent, that FleetDisruptionBudgets count
// (issue 26). Written in the same status write as the intent, so it survives restarts and leader changes
// and counts operations still in flight; a refusal gives back what was certainly not acted on.
import {
  type Disruption,
  type DisruptionUnit,
  disruption as disruptionSchema,
  MAX_BUDGET_WINDOW_MS,
} from "../../api/fleet-disruption-budget.js";

/**
 * Records kept per set (newest first); a budget's window is at most 24 h. Past this, the oldest record is
 * folded into the next newer one of the same unit and remote rather than dropped: a set that started more
 * operations in a day than this still has every one counted, some of them until a later start's window ends
 * (a budget counts them longer, never less).
 */
export const KEPT_DISRUPTIONS = 200;

/**
 * When a disruption started: to the millisecond (not metav1.Time's second), so the window never ends up to
 * a second before the call it counts could have been sent.
 */
export const disruptionTime = (now: Date): string => now.toISOString();

export interface WithDisruptions {
  disruptions?: Disruption[] | undefined;
}

function recent(list: readonly Disruption[], now: Date): Disruption[] {
  const kept = list.filter((d) => now.getTime() - Date.parse(d.startedAt) < MAX_BUDGET_WINDOW_MS);
  // Oldest first: each is folded into the nearest newer record of its unit and remote, if there is one.
  for (let oldest = kept.length - 1; oldest > 0 && kept.length > KEPT_DISRUPTIONS; oldest--) {
    const record = kept[oldest] as Disruption;
    for (let newer = oldest - 1; newer >= 0; newer--) {
      const into = kept[newer] as Disruption;
      if (into.unit !== record.unit || into.remote !== record.remote) continue;
      kept[newer] = { ...into, count: into.count + record.count };
      kept.splice(oldest, 1);
      break;
    }
  }
  return kept;
}

/** The intent's disruption, newest first; what is older than the longest window is dropped. */
export function spendBudget<S extends WithDisruptions>(
  s: S,
  spent: { unit: DisruptionUnit; count: number; remote: string },
  now: Date,
): S {
  const entry: Disruption = { startedAt: disruptionTime(now), ...spent };
  return { ...s, disruptions: recent([entry, ...(s.disruptions ?? [])], now) };
}

/** `count` of the intent recorded at `startedAt` were certainly not acted on (refused): given back. */
export function refundBudget<S extends WithDisruptions>(
  s: S,
  spent: { unit: DisruptionUnit; startedAt: string },
  count: number,
): S {
  if (count <= 0 || !s.disruptions) return s;
  const i = s.disruptions.findIndex((d) => d.startedAt === spent.startedAt && d.unit === spent.unit);
  if (i < 0) return s;
  const list = [...s.disruptions];
  const left = Math.max(0, (list[i]?.count ?? 0) - count);
  if (left === 0) list.splice(i, 1);
  else list[i] = { ...(list[i] as Disruption), count: left };
  const { disruptions: _, ...rest } = s;
  return (list.length > 0 ? { ...rest, disruptions: list } : rest) as S;
}

/** A set's recorded disruptions, each parsed (one that does not parse is not counted: it was not ours). */
export function disruptionsOf(status: unknown): Disruption[] {
  const list = (status as { disruptions?: unknown } | undefined)?.disruptions;
  if (!Array.isArray(list)) return [];
  const out: Disruption[] = [];
  for (const item of list) {
    const parsed = disruptionSchema.safeParse(item);
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}
