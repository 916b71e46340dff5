// What a bench run writes (bench/results/latest.json; kept as bench/baseline*.json), and how it is read back.
// The latency samples are kept raw, so two runs can be compared with an interval (bench/compare.ts): each
// side's samples as one string of milliseconds, 0.01 ms apart, which stays one line in a formatted file.
import { z } from "zod";

/** A figure the run could not take is NaN, which JSON writes as null. */
const figure = z
  .number()
  .nullable()
  .transform((v) => v ?? Number.NaN);

export const benchRow = z.object({
  metric: z.string(),
  value: figure,
  unit: z.string(),
  target: z.string().optional(),
  met: z.boolean().optional(),
  interval: z.tuple([figure, figure]).optional(),
});

/** One side's samples in the order taken: milliseconds with two decimals at most, one space apart. */
const storedSide = z
  .string()
  .regex(/^(\d+(\.\d{1,2})?( \d+(\.\d{1,2})?)*)?$/, "expected milliseconds (0.01 ms apart), one space apart")
  .transform((text) => (text === "" ? [] : text.split(" ").map(Number)));

export const latencySamples = z.record(
  z.string().regex(/^\d+$/, "a set count"),
  z.object({ operator: storedSide, minimum: storedSide }),
);

export const benchResults = z.object({
  date: z.string(),
  sets: z.int(),
  latencySizes: z.string(),
  memorySets: z.int(),
  samples: z.int(),
  cpuHog: z.boolean().optional(),
  rows: z.array(benchRow),
  phases: z.array(z.object({ phase: z.string(), load1: z.number() }).loose()).optional(),
  /** By set count. Runs before the samples were kept have none. */
  latencySamples: latencySamples.optional(),
});

export type BenchResults = z.infer<typeof benchResults>;

/** A side's samples as the results file keeps them. */
export function storeSamples(values: readonly number[]): string {
  return values.map((v) => v.toFixed(2)).join(" ");
}
