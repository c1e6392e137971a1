import type { Box } from "../domain/index.js";

/**
 * Adaptive frame skipping. A fixed camera sees a vehicle for 1-3 s; while no plate is in view only every
 * `idleStride`-th frame is recognised (so a new plate is noticed within idleStride frames), and once a
 * plate is read confidently every `activeStride`-th frame is (every frame while the read is still uncertain),
 * until `holdMs` of capture time pass with no plate.
 * A read that has sat still for `staticAfterMs` (a sign, a parked car) stops counting as activity, so
 * static text in view cannot keep a camera at full rate for ever; it is still read every idleStride frames.
 * Chosen over pixel-difference motion gating because it needs no per-pixel work on the main thread, and a
 * plate (not motion: rain, headlights, shadows) is what makes a frame worth reading.
 */
export interface SkipOptions {
  idleStride: number;
  activeStride: number;
  holdMs: number;
  staticAfterMs: number;
  /** Reads below this confidence keep every frame recognised (stride 1) while they last (0: off). */
  confidentAt: number;
}

export const DEFAULT_SKIP: SkipOptions = {
  idleStride: 3,
  activeStride: 1,
  holdMs: 1000,
  staticAfterMs: 3000,
  // Off: at 0.9 on the synthetic clips nearly every read counted as uncertain and almost nothing was skipped.
  confidentAt: 0,
};

/** Recognise every frame: the baseline skipping is measured against. */
export const NO_SKIP: SkipOptions = {
  idleStride: 1,
  activeStride: 1,
  holdMs: 0,
  staticAfterMs: 0,
  confidentAt: 0,
};

interface Seen {
  box: Box;
  firstMs: number;
  lastMs: number;
}

const overlap = (a: Box, b: Box): number => {
  const iw = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / (a[2] * a[3] + b[2] * b[3] - inter);
};

export class FrameSkipper {
  private sinceLast = Number.POSITIVE_INFINITY;
  private activeUntilMs = Number.NEGATIVE_INFINITY;
  private uncertainUntilMs = Number.NEGATIVE_INFINITY;
  private seen: Seen[] = [];

  constructor(private readonly options: SkipOptions) {}

  /** Decides for the next decoded frame, in capture order. */
  take(captureTimeMs: number): boolean {
    const stride =
      captureTimeMs <= this.uncertainUntilMs
        ? 1
        : captureTimeMs <= this.activeUntilMs
          ? this.options.activeStride
          : this.options.idleStride;
    this.sinceLast++;
    if (this.sinceLast < stride) return false;
    this.sinceLast = 0;
    return true;
  }

  /**
   * Feeds back a recognised frame's reads. A confident read (≥ `confidentAt`) sets the active stride; a
   * plate read with less confidence sets stride 1, since that vehicle needs every vote it can get.
   */
  observe(captureTimeMs: number, reads: { box: Box; confidence: number }[]): void {
    const forgetMs = this.options.holdMs * 2 + 1000;
    this.seen = this.seen.filter((s) => captureTimeMs - s.lastMs <= forgetMs);
    for (const { box, confidence } of reads) {
      // a box that has stayed put (overlapping itself almost entirely) since firstMs
      let entry = this.seen.find((s) => overlap(s.box, box) > 0.8);
      if (entry) {
        entry.lastMs = captureTimeMs;
        entry.box = box;
      } else {
        entry = { box, firstMs: captureTimeMs, lastMs: captureTimeMs };
        this.seen.push(entry);
        if (this.seen.length > 32) this.seen.shift();
      }
      if (this.options.staticAfterMs <= 0 || captureTimeMs - entry.firstMs < this.options.staticAfterMs) {
        this.activeUntilMs = Math.max(this.activeUntilMs, captureTimeMs + this.options.holdMs);
        if (confidence < this.options.confidentAt) {
          this.uncertainUntilMs = Math.max(this.uncertainUntilMs, captureTimeMs + this.options.holdMs);
        }
      }
    }
  }

  /** Forget state across a stream gap (restart): the next frame is always recognised. */
  reset(): void {
    this.sinceLast = Number.POSITIVE_INFINITY;
    this.activeUntilMs = Number.NEGATIVE_INFINITY;
    this.uncertainUntilMs = Number.NEGATIVE_INFINITY;
    this.seen = [];
  }
}
