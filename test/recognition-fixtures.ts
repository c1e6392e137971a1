// Frame-level fixtures for the recognition tests and benchmark: EVAL-range synthetic stills (never used
// for training), cached under .cache/recognition keyed by synth version, seed and size; the benchmark's
// clips; and TRAIN-range stills and clips for tuning rules without looking at the measured ones.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  EVAL_SEEDS,
  type GeneratedClip,
  generateClip,
  generateStill,
  type PlateTruth,
  SYNTH_VERSION,
  seedAt,
  TRAIN_SEEDS,
} from "../src/synth/index.js";

export interface StillFixture {
  seed: number;
  width: number;
  height: number;
  night: boolean;
  grey: Uint8Array;
  plates: PlateTruth[];
}

const CACHE = join(process.cwd(), ".cache", "recognition");

/** Reads of one still under the benchmark's rules: whole plates read exactly, and confident reads on no plate. */
export interface StillScore {
  plates: number;
  exact: number;
  /** Whole plates whose text no read gave. */
  missed: string[];
  /** Reads at confidence >= CONFIDENT_READ whose plate is on no plate of the still. */
  falseReads: string[];
}

/** A read this sure that is on no plate counts as a false read. */
export const CONFIDENT_READ = 0.6;

export function scoreStill(
  reads: readonly { plate: string; confidence: number }[],
  truth: readonly Pick<PlateTruth, "text" | "whole">[],
): StillScore {
  const whole = truth.filter((p) => p.whole);
  const missed = whole.filter((p) => !reads.some((r) => r.plate === p.text)).map((p) => p.text);
  const falseReads = reads
    .filter((r) => r.confidence >= CONFIDENT_READ && !truth.some((p) => p.text === r.plate))
    .map((r) => r.plate);
  return { plates: whole.length, exact: whole.length - missed.length, missed, falseReads };
}

/** The i-th EVAL still at widthPx × heightPx (generated once, then read from the cache). */
export function evalStill(i: number, widthPx = 1280, heightPx = 720): StillFixture {
  const seed = seedAt(EVAL_SEEDS, i);
  const base = join(CACHE, `still-v${SYNTH_VERSION}-${seed}-${widthPx}x${heightPx}`);
  if (existsSync(`${base}.json`) && existsSync(`${base}.grey`)) {
    const meta = JSON.parse(readFileSync(`${base}.json`, "utf8")) as Omit<StillFixture, "grey">;
    return { ...meta, grey: new Uint8Array(readFileSync(`${base}.grey`)) };
  }
  const s = generateStill(seed, { widthPx, heightPx });
  const fixture = { seed, width: s.width, height: s.height, night: Boolean(s.night), plates: s.plates };
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(`${base}.grey`, s.grey);
  writeFileSync(`${base}.json`, JSON.stringify(fixture));
  return { ...fixture, grey: s.grey };
}

/** The i-th UK still of TRAIN seeds 950,000 + i, 1280×720 (not cached: for tuning, never for measuring). */
export function trainStill(i: number): StillFixture {
  const seed = seedAt(TRAIN_SEEDS, 950_000 + i);
  const s = generateStill(seed, { widthPx: 1280, heightPx: 720 });
  return { seed, width: s.width, height: s.height, night: Boolean(s.night), grey: s.grey, plates: s.plates };
}

/**
 * The i-th clip of the recognition benchmark (EVAL seeds 500 + i; `train`: TRAIN seeds 900,000 + i): 6 s,
 * three vehicles, every third clip at night. Cached by the generator under .cache/synth.
 */
export function benchClip(i: number, train = false): Promise<GeneratedClip> {
  const seed = train ? seedAt(TRAIN_SEEDS, 900_000 + i) : seedAt(EVAL_SEEDS, 500 + i);
  return generateClip(seed, { durationS: 6, vehicles: 3, night: i % 3 === 2 });
}

/**
 * European day photographs (`region: "eu"`, src/synth/eu-plate.ts) take EVAL seeds from this offset on,
 * apart from the UK stills (0…) and clips (500…).
 */
export const EU_EVAL_OFFSET = 100_000;
/** Frame size and character heights of the EU photographs: close-up day shots like a phone's. */
export const EU_STILL = { widthPx: 800, heightPx: 600, charHeightPx: [11, 32] as [number, number] };

/** The i-th European EVAL still (cached like `evalStill`). */
export function evalEuStill(i: number): StillFixture {
  const seed = seedAt(EVAL_SEEDS, EU_EVAL_OFFSET + i);
  const { widthPx, heightPx, charHeightPx } = EU_STILL;
  const base = join(CACHE, `eu-still-v${SYNTH_VERSION}-${seed}-${widthPx}x${heightPx}`);
  if (existsSync(`${base}.json`) && existsSync(`${base}.grey`)) {
    const meta = JSON.parse(readFileSync(`${base}.json`, "utf8")) as Omit<StillFixture, "grey">;
    return { ...meta, grey: new Uint8Array(readFileSync(`${base}.grey`)) };
  }
  const s = generateStill(seed, { widthPx, heightPx, charHeightPx, night: false, region: "eu" });
  const fixture = { seed, width: s.width, height: s.height, night: false, plates: s.plates };
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(`${base}.grey`, s.grey);
  writeFileSync(`${base}.json`, JSON.stringify(fixture));
  return { ...fixture, grey: s.grey };
}

export const iou = (a: readonly number[], b: readonly number[]): number => {
  const iw = Math.min(a[0]! + a[2]!, b[0]! + b[2]!) - Math.max(a[0]!, b[0]!);
  const ih = Math.min(a[1]! + a[3]!, b[1]! + b[3]!) - Math.max(a[1]!, b[1]!);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / (a[2]! * a[3]! + b[2]! * b[3]! - inter);
};
