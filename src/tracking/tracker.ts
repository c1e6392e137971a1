import { boxIou, editDistance } from "../domain/index.js";
import type {
  Box,
  Direction,
  FinalRead,
  FrameRead,
  PlateCandidate,
  ProvisionalRead,
} from "../domain/read.js";
import { encodeGreyPng } from "../image/png.js";
import {
  agreeing,
  agreeingWeight,
  CANDIDATE_SHARE_MARGIN,
  isFragment,
  longestSureRun,
  MIN_AGREEING_WEIGHT,
  MIN_ALERT_WEIGHT,
  type Observation,
  readWeight,
  SHORT_MARK_CHARS,
  SHORT_MARK_FRAMES_FACTOR,
  sureness,
  sureStreak,
  surestRead,
  type Track,
  weakestCandidateShare,
} from "./track-evidence.js";

export interface TrackerOptions {
  cameraId: string;
  /** The camera's configured direction of travel: used when box growth does not tell. */
  direction?: Direction;
  /** A track emits one ProvisionalRead when its voted plate first reaches this confidence. */
  provisionalConfidence: number;
  /** A track's FinalRead is emitted only at or above this voted confidence. */
  minConfidence: number;
  engineVersion: string;
  /**
   * Frames that must read the voted plate (exactly, or short of characters: `isFragment`) before a
   * track's final read (default 3: text that is read for a frame or two, such as a sign glimpsed between
   * vehicles or a grille in motion blur, is not a vehicle pass, and a readable pass lasts many frames).
   */
  minFramesRead?: number;
  /** A track ends after this many frames without a read (default 12)… */
  maxGapFrames?: number;
  /** …or this much capture time without a read (default 1000 ms). */
  maxGapMs?: number;
  /** Alternatives reported per read (default 5). */
  topCandidates?: number;
}

/**
 * A length's fragments (reads short of characters, `isFragment`) add at most this many times its own
 * reads' weight: a plate read once with a stray end box (LXI8502 at 0.32) made the thirteen sure reads
 * of LXI850 its fragments and won the vote at a confidence of 0.03, so the pass had no read. At 2 the
 * replays of TRAIN clips 0-359 and EVAL clips 0-119 read as without the cap; at 1.5 or 1, shorter
 * fragments of genuine plates (D52VJH of YD52VJH) won instead.
 */
const FRAGMENT_SUPPORT_CAP = 2;

/** A read whose centre is within this many box widths of a track's predicted box may join it… */
const NEAR_WIDTHS = 1.5;
/** …and a read of exactly the track's plate also this much further per frame since the track's last read. */
const SAME_PLATE_WIDTHS_PER_FRAME = 1;

/**
 * One camera's tracker: associates each frame's reads with vehicle tracks (by predicted box overlap and
 * plate similarity), votes across a track's frames, emits a ProvisionalRead as soon as a track is
 * confidently read and exactly one FinalRead when the track ends.
 */
export class Tracker {
  private readonly options: Required<Omit<TrackerOptions, "direction">> & { direction?: Direction };
  private tracks: Track[] = [];
  private sequence = 0;

  constructor(options: TrackerOptions) {
    this.options = {
      minFramesRead: 3,
      maxGapFrames: 12,
      maxGapMs: 1000,
      topCandidates: 5,
      ...options,
    };
  }

  /** Tracks currently open (vehicles in view or recently seen). */
  get openTracks(): number {
    return this.tracks.length;
  }

  /** Adds one frame's reads; returns what this frame settles (provisional reads, ended passes). */
  push(frameIndex: number, captureTimeMs: number, reads: FrameRead[]): (ProvisionalRead | FinalRead)[] {
    const out: (ProvisionalRead | FinalRead)[] = [];
    this.associate(frameIndex, captureTimeMs, reads, out);
    const o = this.options;
    const open: Track[] = [];
    for (const t of this.tracks) {
      if (frameIndex - t.lastFrame > o.maxGapFrames || captureTimeMs - t.lastMs > o.maxGapMs) {
        const final = this.finish(t);
        if (final) out.push(final);
      } else {
        open.push(t);
      }
    }
    this.tracks = open;
    return out;
  }

  /** Ends every open track (end of stream); returns their final reads. */
  flush(): FinalRead[] {
    const out: FinalRead[] = [];
    for (const t of this.tracks) {
      const final = this.finish(t);
      if (final) out.push(final);
    }
    this.tracks = [];
    return out;
  }

  private associate(
    frameIndex: number,
    captureTimeMs: number,
    reads: FrameRead[],
    out: (ProvisionalRead | FinalRead)[],
  ): void {
    // every (track, read) pair that could be the same vehicle, best first, assigned greedily
    const pairs: { t: Track; r: number; score: number }[] = [];
    for (const t of this.tracks) {
      const last = t.observations[t.observations.length - 1]!;
      const gap = frameIndex - t.lastFrame;
      const lb = last.read.box;
      const predicted: Box = [lb[0] + t.vx * gap, lb[1] + t.vy * gap, lb[2], lb[3]];
      const best = this.votedPlate(t);
      reads.forEach((read, r) => {
        const b = read.box;
        const overlap = boxIou(predicted, b);
        const dx = predicted[0] + predicted[2] / 2 - (b[0] + b[2] / 2);
        const dy = predicted[1] + predicted[3] / 2 - (b[1] + b[3] / 2);
        const dist = Math.hypot(dx, dy) / Math.max(predicted[2], b[2], 1);
        const distance = editDistance(best.plate, read.plate);
        const similar = 1 - distance / Math.max(best.plate.length, read.plate.length, 1);
        // a read of exactly the track's plate is the same vehicle even after a jump: a fast plate moves
        // most of its width a frame, and a track seen once has no velocity to predict with yet
        const reach =
          read.plate === best.plate ? NEAR_WIDTHS + gap * SAME_PLATE_WIDTHS_PER_FRAME : NEAR_WIDTHS;
        const near = overlap > 0.05 || dist < reach;
        if (!near) return;
        if (similar < 0.5 && overlap < 0.3) return;
        pairs.push({ t, r, score: overlap + similar + 1 / (1 + dist) });
      });
    }
    pairs.sort((a, b) => b.score - a.score);
    const usedTracks = new Set<Track>();
    const usedReads = new Set<number>();
    for (const p of pairs) {
      if (usedTracks.has(p.t) || usedReads.has(p.r)) continue;
      usedTracks.add(p.t);
      usedReads.add(p.r);
      this.addObservation(p.t, frameIndex, captureTimeMs, reads[p.r]!, out);
    }
    reads.forEach((read, r) => {
      if (usedReads.has(r)) return;
      const t: Track = {
        passId: `${this.options.cameraId}-${captureTimeMs}-${this.sequence++}`,
        observations: [],
        plateVotes: new Map(),
        weightSum: 0,
        provisional: false,
        lastFrame: frameIndex,
        lastMs: captureTimeMs,
        vx: 0,
        vy: 0,
      };
      this.tracks.push(t);
      this.addObservation(t, frameIndex, captureTimeMs, read, out);
    });
  }

  private addObservation(
    t: Track,
    frameIndex: number,
    captureTimeMs: number,
    read: FrameRead,
    out: (ProvisionalRead | FinalRead)[],
  ): void {
    const prev = t.observations[t.observations.length - 1];
    if (prev && frameIndex > prev.frameIndex) {
      const gap = frameIndex - prev.frameIndex;
      const vx = (read.box[0] + read.box[2] / 2 - (prev.read.box[0] + prev.read.box[2] / 2)) / gap;
      const vy = (read.box[1] + read.box[3] / 2 - (prev.read.box[1] + prev.read.box[3] / 2)) / gap;
      t.vx = t.observations.length > 1 ? 0.5 * t.vx + 0.5 * vx : vx;
      t.vy = t.observations.length > 1 ? 0.5 * t.vy + 0.5 * vy : vy;
    }
    t.observations.push({ frameIndex, captureTimeMs, read });
    t.lastFrame = frameIndex;
    t.lastMs = captureTimeMs;
    t.weightSum += readWeight(read);
    for (const c of read.candidates)
      t.plateVotes.set(c.plate, (t.plateVotes.get(c.plate) ?? 0) + readWeight(read) * c.confidence);
    // an alert can stop a vehicle: it needs the evidence of a final read (not two distant reads that
    // happen to agree on a misread), with MIN_ALERT_WEIGHT times its weight, only sooner
    if (t.provisional || !this.enoughAgreeing(t, read.plate)) return;
    if (agreeingWeight(t, read.plate) < MIN_ALERT_WEIGHT) return;
    const voted = this.votedPlate(t);
    // the alert fires on this frame's own read only when it agrees with the vote
    if (voted.plate !== read.plate) return;
    const sure = sureStreak(t, read.plate, this.options.minFramesRead);
    if (voted.confidence < this.options.provisionalConfidence && !sure) return;
    t.provisional = true;
    out.push({
      kind: "provisional",
      passId: t.passId,
      cameraId: this.options.cameraId,
      captureTimeMs,
      frameIndex,
      plate: voted.plate,
      confidence: voted.confidence,
      candidates: this.candidates(t),
      box: read.box,
      ...(read.patch
        ? { patch: encodeGreyPng(read.patch.pixels, read.patch.widthPx, read.patch.heightPx) }
        : {}),
    });
  }

  /**
   * A plate is reported (provisionally or finally) only when enough frames read it (`agreeing`), and
   * its exact reads are sure enough: a plate that only emerges from mixing the characters of different
   * misreads is not a read.
   */
  private enoughAgreeing(t: Track, plate: string): boolean {
    const o = this.options;
    if (
      plate.length <= SHORT_MARK_CHARS &&
      t.observations.length < SHORT_MARK_FRAMES_FACTOR * o.minFramesRead
    )
      return false;
    return agreeing(t, plate) >= o.minFramesRead && agreeingWeight(t, plate) >= MIN_AGREEING_WEIGHT;
  }

  /**
   * The track's plate: per-character votes (each read's characters weighted by their confidence) among
   * reads of the most supported length; if that string is not one the syntax ever proposed, the plate
   * with the most summed candidate confidence. Confidence is the plate's share of the track's votes.
   */
  private votedPlate(t: Track): PlateCandidate {
    const n = t.weightSum;
    let bestPlate = "";
    let bestVotes = -1;
    for (const [plate, v] of t.plateVotes) {
      if (v > bestVotes) {
        bestVotes = v;
        bestPlate = plate;
      }
    }
    const byLength = new Map<number, number>();
    for (const o of t.observations) {
      const w = sureness(o.read);
      byLength.set(o.read.plate.length, (byLength.get(o.read.plate.length) ?? 0) + w);
    }
    // a read short of one to three characters at its ends (lost to glare, a shadow or the plate's
    // border) is a fragment of the plate: it supports the plate's length rather than competing with it,
    // so each length is weighed with the fragments of its per-character vote
    let length = 0;
    let lengthWeight = -1;
    let columns: Map<string, number>[] = [];
    let charVoted = "";
    for (const [len, own] of byLength) {
      const cols = this.columnVotes(t, len);
      const text = cols
        .map(
          (col) =>
            [...col.entries()].reduce((a, b) => (b[1] > a[1] ? b : a), ["", -1] as [string, number])[0],
        )
        .join("");
      let fragments = 0;
      for (const o of t.observations) {
        if (isFragment(o.read.plate, text)) fragments += sureness(o.read);
      }
      const weight = own + Math.min(fragments, FRAGMENT_SUPPORT_CAP * own);
      if (weight > lengthWeight) {
        lengthWeight = weight;
        length = len;
        columns = cols;
        charVoted = text;
      }
    }
    const plate = t.plateVotes.has(charVoted) ? charVoted : bestPlate;
    const surest = surestRead(t, plate);
    if (plate.length !== length)
      return { plate, confidence: Math.min(surest, this.share(t, t.plateVotes.get(plate) ?? 0, n)) };
    // confidence: the weakest position's share of its votes (and at most its candidate share plus
    // CANDIDATE_SHARE_MARGIN), times the share of reads of this length (or fragments of the plate)
    let totalLength = 0;
    for (const w of byLength.values()) totalLength += w;
    let weakest = 1;
    for (let i = 0; i < length; i++) {
      let sum = 0;
      for (const w of columns[i]!.values()) sum += w;
      weakest = Math.min(weakest, sum > 0 ? (columns[i]!.get(plate[i]!) ?? 0) / sum : 0);
    }
    weakest = Math.min(weakest, weakestCandidateShare(t, plate) + CANDIDATE_SHARE_MARGIN);
    const reads = t.observations.filter((o) => o.read.plate.length === length).length;
    // a single read cannot be more certain than its own posterior
    const single = reads < 2 ? (t.plateVotes.get(plate) ?? 0) / Math.max(n, 1e-9) : 1;
    return {
      plate,
      confidence: Math.min(surest, single, weakest * (lengthWeight / Math.max(totalLength, 1e-9))),
    };
  }

  /** Per position, each character's votes among the track's reads of `length` characters. */
  private columnVotes(t: Track, length: number): Map<string, number>[] {
    const columns: Map<string, number>[] = Array.from({ length }, () => new Map());
    for (const o of t.observations) {
      if (o.read.plate.length !== length) continue;
      const ow = readWeight(o.read);
      for (let i = 0; i < length; i++) {
        const ch = o.read.plate[i]!;
        const w = ow * (o.read.charConfidences[i] ?? o.read.confidence);
        columns[i]!.set(ch, (columns[i]!.get(ch) ?? 0) + w);
      }
    }
    return columns;
  }

  /**
   * A plate's share of the track's votes: weak reads (a distant, blurred plate) carry little mass, so
   * they barely dilute the confident reads of the same vehicle. At least 0.5 of a read's worth of mass
   * is assumed, so one weak read alone cannot look certain.
   */
  private share(t: Track, votes: number, n: number): number {
    let total = 0;
    for (const v of t.plateVotes.values()) total += v;
    return Math.min(1, votes / Math.max(total, 0.5 * n, 1e-9));
  }

  private candidates(t: Track): PlateCandidate[] {
    const n = t.weightSum;
    return [...t.plateVotes.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, this.options.topCandidates)
      .map(([plate, v]) => ({ plate, confidence: this.share(t, v, n) }));
  }

  private finish(t: Track): FinalRead | undefined {
    const o = this.options;
    if (t.observations.length < o.minFramesRead) return undefined;
    const voted = this.sureOrVoted(t);
    if (voted.confidence < o.minConfidence) return undefined;
    if (!this.enoughAgreeing(t, voted.plate)) return undefined;
    const agreeingObs = t.observations.filter((ob) => ob.read.plate === voted.plate);
    const pool = agreeingObs.length > 0 ? agreeingObs : t.observations;
    const best = pool.reduce((a, b) => (b.read.confidence > a.read.confidence ? b : a));
    const charConfidences = Array.from({ length: voted.plate.length }, (_, i) => {
      let sum = 0;
      for (const ob of agreeingObs) sum += ob.read.charConfidences[i] ?? 0;
      return agreeingObs.length > 0 ? sum / agreeingObs.length : voted.confidence;
    });
    const first = t.observations[0]!;
    const last = t.observations[t.observations.length - 1]!;
    const candidates = this.candidates(t);
    // the voted plate leads the candidates even when per-character voting picked it over the sum leader
    const ordered = [voted, ...candidates.filter((c) => c.plate !== voted.plate)].slice(0, o.topCandidates);
    return {
      kind: "final",
      passId: t.passId,
      cameraId: o.cameraId,
      plate: voted.plate,
      confidence: voted.confidence,
      charConfidences,
      candidates: ordered,
      captureTimeMs: best.captureTimeMs,
      firstCaptureMs: first.captureTimeMs,
      lastCaptureMs: last.captureTimeMs,
      firstFrame: first.frameIndex,
      lastFrame: last.frameIndex,
      framesRead: t.observations.length,
      direction: this.direction(t),
      box: best.read.box,
      ...(best.read.patch
        ? { patch: encodeGreyPng(best.read.patch.pixels, best.read.patch.widthPx, best.read.patch.heightPx) }
        : {}),
      engineVersion: o.engineVersion,
    };
  }

  /**
   * The track's final plate: that of its longest run of near, sure views when the run is at least
   * `minFramesRead` long, at the run's weakest view or the vote's confidence, whichever is higher;
   * otherwise the vote. A vehicle seen clearly on consecutive frames is read, whatever its distant or
   * blurred views misread before or after (they split the vote's columns and length, and its
   * confidence fell under the threshold: HA54ROD read on 11 near frames at 0.98 but HA54ROO on 9 far
   * ones).
   */
  private sureOrVoted(t: Track): PlateCandidate {
    const voted = this.votedPlate(t);
    const run = longestSureRun(t);
    if (!run || run.length < this.options.minFramesRead) return voted;
    const confidence = run.plate === voted.plate ? Math.max(voted.confidence, run.weakest) : run.weakest;
    return { plate: run.plate, confidence: Math.min(1, confidence) };
  }

  /** Towards the camera when the plate grows over the pass, away when it shrinks. */
  private direction(t: Track): Direction {
    const obs = t.observations;
    if (obs.length >= 3) {
      const k = Math.max(1, Math.floor(obs.length / 3));
      const mean = (list: Observation[]) => list.reduce((s, ob) => s + ob.read.box[2], 0) / list.length;
      const ratio = mean(obs.slice(-k)) / Math.max(mean(obs.slice(0, k)), 1);
      if (ratio > 1.08) return "towards";
      if (ratio < 1 / 1.08) return "away";
    }
    return this.options.direction ?? "unknown";
  }
}
