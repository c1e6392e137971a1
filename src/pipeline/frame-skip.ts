/**
 * Adaptive frame skipping. A fixed camera sees a vehicle for 1-3 s; while no plate is in view only every
 * `idleStride`-th frame is recognised (so a new plate is noticed within idleStride frames), and once any
 * plate candidate is read every `activeStride`-th frame is, until `holdMs` of capture time pass with no
 * plate. Chosen over pixel-difference motion gating because it needs no per-pixel work on the main thread,
 * and a plate read (not motion: rain, headlights, shadows) is what makes a frame worth reading.
 */
export interface SkipOptions {
  idleStride: number;
  activeStride: number;
  holdMs: number;
}

export const DEFAULT_SKIP: SkipOptions = { idleStride: 3, activeStride: 1, holdMs: 1000 };

/** Recognise every frame: the baseline skipping is measured against. */
export const NO_SKIP: SkipOptions = { idleStride: 1, activeStride: 1, holdMs: 0 };

export class FrameSkipper {
  private sinceLast = Number.POSITIVE_INFINITY;
  private activeUntilMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: SkipOptions) {}

  /** Decides for the next decoded frame, in capture order. */
  take(captureTimeMs: number): boolean {
    const stride = captureTimeMs <= this.activeUntilMs ? this.options.activeStride : this.options.idleStride;
    this.sinceLast++;
    if (this.sinceLast < stride) return false;
    this.sinceLast = 0;
    return true;
  }

  /** Feeds back a recognised frame's outcome. */
  observe(captureTimeMs: number, plates: number): void {
    if (plates > 0) this.activeUntilMs = Math.max(this.activeUntilMs, captureTimeMs + this.options.holdMs);
  }

  /** Forget state across a stream gap (restart): the next frame is always recognised. */
  reset(): void {
    this.sinceLast = Number.POSITIVE_INFINITY;
    this.activeUntilMs = Number.NEGATIVE_INFINITY;
  }
}
