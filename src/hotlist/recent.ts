import type { FinalRead } from "../domain/index.js";
import { hotlistPassesForgotten, hotlistRecentReadsDropped } from "./metrics.js";

/** Vehicle passes remembered for once-per-pass alerting; the oldest is forgotten beyond this. */
export const MAX_ALERT_PASSES = 20_000;
/** Final reads kept for the past-read recheck, whatever the window. */
export const MAX_RECENT_READS = 50_000;

/**
 * Remembers which (pass, entry) pairs have alerted, so a vehicle pass raises one alert per hot-list entry
 * however many frames, provisional and final reads it produces. Bounded: the oldest passes are forgotten
 * first (counted).
 */
export class AlertMemory {
  private readonly passes = new Map<string, Set<string>>();

  constructor(private readonly maxPasses = MAX_ALERT_PASSES) {}

  /** Records the pair; true when it is new (an alert should be raised). */
  claim(passId: string, entryKey: string): boolean {
    let seen = this.passes.get(passId);
    if (!seen) {
      seen = new Set();
      this.passes.set(passId, seen);
      if (this.passes.size > this.maxPasses) {
        const oldest = this.passes.keys().next().value as string;
        this.passes.delete(oldest);
        hotlistPassesForgotten.inc();
      }
    }
    if (seen.has(entryKey)) return false;
    seen.add(entryKey);
    return true;
  }
}

/**
 * Final reads of the last `windowMs` of capture time (measured back from the newest read seen), bounded by
 * `maxReads`, for re-checking when an entry is added. A ring: the oldest reads fall out first (counted).
 */
export class RecentReads {
  private readonly ring: (FinalRead | undefined)[];
  private head = 0;
  private size = 0;
  private newestMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly windowMs: number,
    readonly maxReads = MAX_RECENT_READS,
  ) {
    this.ring = new Array(maxReads);
  }

  add(read: FinalRead): void {
    if (this.windowMs <= 0) return;
    this.newestMs = Math.max(this.newestMs, read.captureTimeMs);
    if (this.size === this.maxReads) {
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.maxReads;
      this.size--;
      hotlistRecentReadsDropped.inc({ reason: "capacity" });
    }
    this.ring[(this.head + this.size) % this.maxReads] = read;
    this.size++;
    this.expire();
  }

  private expire(): void {
    const cutoff = this.newestMs - this.windowMs;
    while (this.size > 0) {
      const oldest = this.ring[this.head]!;
      if (oldest.captureTimeMs >= cutoff) break;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.maxReads;
      this.size--;
      hotlistRecentReadsDropped.inc({ reason: "window" });
    }
  }

  /** Reads inside the window, oldest first. */
  *reads(): Generator<FinalRead> {
    const cutoff = this.newestMs - this.windowMs;
    for (let i = 0; i < this.size; i++) {
      const read = this.ring[(this.head + i) % this.maxReads]!;
      if (read.captureTimeMs >= cutoff) yield read;
    }
  }

  get length(): number {
    return this.size;
  }
}
