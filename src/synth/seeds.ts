/**
 * Seed ranges. Anything used to train (classifier crops, detector tuning) takes seeds from TRAIN_SEEDS;
 * anything used to measure (accuracy tests, benchmarks, the demo's reported numbers) takes them from
 * EVAL_SEEDS. The ranges do not overlap, so no measured image was ever seen in training.
 */
export interface SeedRange {
  /** First seed in the range. */
  start: number;
  /** One past the last seed. */
  end: number;
}

export const TRAIN_SEEDS: SeedRange = { start: 0, end: 1_000_000 };
export const EVAL_SEEDS: SeedRange = { start: 1_000_000, end: 2_000_000 };

export function inRange(seed: number, range: SeedRange): boolean {
  return Number.isInteger(seed) && seed >= range.start && seed < range.end;
}

/** The i-th seed of a range (i counts from 0), failing loudly rather than wrapping into the other range. */
export function seedAt(range: SeedRange, i: number): number {
  const seed = range.start + i;
  if (!Number.isInteger(i) || i < 0 || seed >= range.end) {
    throw new RangeError(`seed index ${i} is outside [0, ${range.end - range.start})`);
  }
  return seed;
}
