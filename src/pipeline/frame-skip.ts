import type { Box } from "../domain/index.js";
import { boxIou, editDistance } from "../domain/index.js";

/**
 * Adaptive frame skipping. A fixed camera sees a vehicle for 1-3 s, and the tracker needs a handful of
 * reads to vote, so not every frame needs recognising:
 * - No plate in view (idle): every `idleStride`-th frame, and with `motionGate` only if the picture has
 *   changed since the last recognised frame (a sparse pixel difference, below) or `idleRefreshMs` have
 *   passed: an empty road costs about one recognition a second.
 * - A plate read whose text has not been read `settleReads` times yet (a vehicle still being voted on):
 *   every `activeStride`-th frame (1: every frame) until `holdMs` pass without such a read.
 * - Only plates that are settled (read `settleReads` times with the same text) in view: every
 *   `settledStride`-th frame, until `holdMs` pass without a read.
 * A read that has sat still for `staticAfterMs` (a sign, a parked car) stops counting as a plate in view,
 * so static text cannot keep a camera at full rate for ever; it is still read every idleStride frames.
 */
export interface SkipOptions {
  idleStride: number;
  activeStride: number;
  /** Stride while every plate in view is settled (1: off). */
  settledStride: number;
  /** Reads of the same text that settle a plate. */
  settleReads: number;
  holdMs: number;
  staticAfterMs: number;
  /** Reads below this confidence keep every frame recognised (stride 1) while they last (0: off). */
  confidentAt: number;
  /** Idle frames with no change since the last recognised frame are skipped. */
  motionGate: boolean;
  /** With the motion gate, an unchanged picture is still recognised this often. */
  idleRefreshMs: number;
}

export const DEFAULT_SKIP: SkipOptions = {
  idleStride: 3,
  activeStride: 1,
  settledStride: 3,
  settleReads: 4,
  holdMs: 1000,
  staticAfterMs: 3000,
  // Off: at 0.9 on the synthetic clips nearly every read counted as uncertain and almost nothing was skipped.
  confidentAt: 0,
  motionGate: true,
  idleRefreshMs: 1000,
};

/** Recognise every frame: the baseline skipping is measured against. */
export const NO_SKIP: SkipOptions = {
  idleStride: 1,
  activeStride: 1,
  settledStride: 1,
  settleReads: 1,
  holdMs: 0,
  staticAfterMs: 0,
  confidentAt: 0,
  motionGate: false,
  idleRefreshMs: 0,
};

/** Motion gate sampling: one pixel every SAMPLE_STEP_PX in x and y (14,400 samples at 720p). */
const SAMPLE_STEP_PX = 8;
/** A sample has changed when its grey level moved more than this (sensor noise and coding stay below). */
const CHANGE_LEVELS = 16;
/** The picture has changed when at least this share of samples changed (a 720p car plate alone is ~60). */
const CHANGED_SHARE = 0.002;

interface Seen {
  box: Box;
  firstMs: number;
  lastMs: number;
}

/** One vehicle as the skipper sees it: reads whose boxes follow on from each other. */
interface Pass {
  box: Box;
  lastMs: number;
  reads: number;
  /** Reads per text: the pass is settled once one text has `settleReads` of them. */
  texts: Map<string, number>;
  /** The text that settled the pass. */
  settled: string | undefined;
}

/** A read continues a settled pass only if its text is this close to the settled text (misreads: O/0, B/8). */
const SAME_PLATE_EDITS = 2;

export class FrameSkipper {
  private sinceLast = Number.POSITIVE_INFINITY;
  private activeUntilMs = Number.NEGATIVE_INFINITY;
  private uncertainUntilMs = Number.NEGATIVE_INFINITY;
  private seen: Seen[] = [];
  private passes: Pass[] = [];
  /** Samples of the last recognised frame (motion gate reference) and its capture time. */
  private reference: Uint8Array | undefined;
  private referenceKey = "";
  private lastTakenMs = Number.NEGATIVE_INFINITY;
  /** Idle frames the motion gate skipped (for the bench). */
  gated = 0;

  constructor(private readonly options: SkipOptions) {}

  /**
   * Decides for the next decoded frame, in capture order. `pixels` (width × height grey) feeds the motion
   * gate; without it the gate is not applied.
   */
  take(captureTimeMs: number, pixels?: Uint8Array, widthPx = 0, heightPx = 0): boolean {
    const o = this.options;
    const idle = captureTimeMs > this.activeUntilMs && captureTimeMs > this.uncertainUntilMs;
    const unsettled = this.passes.some((p) => !p.settled && captureTimeMs - p.lastMs <= o.holdMs);
    const stride =
      captureTimeMs <= this.uncertainUntilMs
        ? 1
        : unsettled
          ? o.activeStride
          : captureTimeMs <= this.activeUntilMs
            ? o.settledStride
            : o.idleStride;
    this.sinceLast++;
    if (this.sinceLast < stride) return false;
    if (idle && o.motionGate && pixels && captureTimeMs - this.lastTakenMs < o.idleRefreshMs) {
      if (!this.changed(pixels, widthPx, heightPx)) {
        this.gated++;
        return false;
      }
    }
    this.sinceLast = 0;
    this.lastTakenMs = captureTimeMs;
    if (o.motionGate && pixels) this.sample(pixels, widthPx, heightPx);
    return true;
  }

  /** True when enough samples differ from the last recognised frame's. */
  private changed(pixels: Uint8Array, widthPx: number, heightPx: number): boolean {
    const ref = this.reference;
    if (!ref || this.referenceKey !== `${widthPx}x${heightPx}`) return true;
    const need = Math.max(1, Math.ceil(ref.length * CHANGED_SHARE));
    let changed = 0;
    let i = 0;
    for (let y = SAMPLE_STEP_PX >> 1; y < heightPx; y += SAMPLE_STEP_PX) {
      const row = y * widthPx;
      for (let x = SAMPLE_STEP_PX >> 1; x < widthPx; x += SAMPLE_STEP_PX) {
        const d = pixels[row + x]! - ref[i++]!;
        if (d > CHANGE_LEVELS || d < -CHANGE_LEVELS) {
          if (++changed >= need) return true;
        }
      }
    }
    return false;
  }

  private sample(pixels: Uint8Array, widthPx: number, heightPx: number): void {
    const key = `${widthPx}x${heightPx}`;
    const n =
      Math.ceil((widthPx - (SAMPLE_STEP_PX >> 1)) / SAMPLE_STEP_PX) *
      Math.ceil((heightPx - (SAMPLE_STEP_PX >> 1)) / SAMPLE_STEP_PX);
    if (this.referenceKey !== key || !this.reference || this.reference.length !== n) {
      this.reference = new Uint8Array(n);
      this.referenceKey = key;
    }
    const ref = this.reference;
    let i = 0;
    for (let y = SAMPLE_STEP_PX >> 1; y < heightPx; y += SAMPLE_STEP_PX) {
      const row = y * widthPx;
      for (let x = SAMPLE_STEP_PX >> 1; x < widthPx; x += SAMPLE_STEP_PX) ref[i++] = pixels[row + x]!;
    }
  }

  /**
   * Feeds back a recognised frame's reads. A plate in view sets the settled stride, one whose text is not
   * settled yet the active stride, and (with `confidentAt`) an unsure read stride 1.
   */
  observe(captureTimeMs: number, reads: { plate?: string; box: Box; confidence: number }[]): void {
    const o = this.options;
    const forgetMs = o.holdMs * 2 + 1000;
    this.seen = this.seen.filter((s) => captureTimeMs - s.lastMs <= forgetMs);
    this.passes = this.passes.filter((p) => captureTimeMs - p.lastMs <= o.holdMs);
    for (const { plate, box, confidence } of reads) {
      // a box that has stayed put (overlapping itself almost entirely) since firstMs
      let entry = this.seen.find((s) => boxIou(s.box, box) > 0.8);
      if (entry) {
        entry.lastMs = captureTimeMs;
        entry.box = box;
      } else {
        entry = { box, firstMs: captureTimeMs, lastMs: captureTimeMs };
        this.seen.push(entry);
        if (this.seen.length > 32) this.seen.shift();
      }
      if (o.staticAfterMs > 0 && captureTimeMs - entry.firstMs >= o.staticAfterMs) continue;
      this.activeUntilMs = Math.max(this.activeUntilMs, captureTimeMs + o.holdMs);
      const pass = this.passFor(box, plate, captureTimeMs);
      pass.reads++;
      if (plate !== undefined) {
        const n = (pass.texts.get(plate) ?? 0) + 1;
        pass.texts.set(plate, n);
        if (n >= o.settleReads) pass.settled ??= plate;
      }
      if (confidence < o.confidentAt) {
        this.uncertainUntilMs = Math.max(this.uncertainUntilMs, captureTimeMs + o.holdMs);
      }
    }
  }

  /**
   * The pass a read continues (its box centre within 1.5 box widths of the pass's last box and, once the
   * pass is settled, its text close to the settled text), or a new one: another vehicle's plate next to a
   * settled one starts its own, unsettled pass.
   */
  private passFor(box: Box, plate: string | undefined, captureTimeMs: number): Pass {
    const cx = box[0] + box[2] / 2;
    const cy = box[1] + box[3] / 2;
    let best: Pass | undefined;
    let bestDist = Number.POSITIVE_INFINITY;
    for (const p of this.passes) {
      const d = Math.hypot(p.box[0] + p.box[2] / 2 - cx, p.box[1] + p.box[3] / 2 - cy);
      if (p.settled && plate !== undefined && editDistance(p.settled, plate) > SAME_PLATE_EDITS) continue;
      if (d < 1.5 * Math.max(p.box[2], box[2], 1) && d < bestDist) {
        best = p;
        bestDist = d;
      }
    }
    if (!best) {
      best = { box, lastMs: captureTimeMs, reads: 0, texts: new Map(), settled: undefined };
      this.passes.push(best);
      if (this.passes.length > 16) this.passes.shift();
    }
    best.box = box;
    best.lastMs = captureTimeMs;
    return best;
  }

  /** Forget state across a stream gap (restart): the next frame is always recognised. */
  reset(): void {
    this.sinceLast = Number.POSITIVE_INFINITY;
    this.activeUntilMs = Number.NEGATIVE_INFINITY;
    this.uncertainUntilMs = Number.NEGATIVE_INFINITY;
    this.seen = [];
    this.passes = [];
    this.reference = undefined;
    this.lastTakenMs = Number.NEGATIVE_INFINITY;
  }
}
