// The read decision on one frame: is this run of characters a plate, and is its reading one to report?
// The wasm stage measures plate-likeness (assembly/localise/plate-check.ts); these rules turn it into a
// yes or no. They are general properties of printed plates, not fitted to any test image.
import { boxIou } from "../domain/box-iou.js";
import type { Box } from "../domain/read.js";
import type { PlateRegion } from "./syntax.js";

export interface PlateEvidence {
  chars: number;
  lines: number;
  /** Median character box height in frame pixels (whole pixels). */
  charHeightPx: number;
  heightSpreadPermille: number;
  baselinePermille: number;
  maxGapPermille: number;
  gapInkPermille: number;
  /** The same leaving out the widest gap (a European plate's dash, crest or seals between its groups). */
  innerGapInkPermille: number;
  contrastPct: number;
}

/** One character box of a segmented plate: crop pixels (only ratios between boxes mean anything). */
export interface CharBox {
  x: number;
  y: number;
  w: number;
  h: number;
  /** Ink (dark) pixels inside the box. */
  inkPx: number;
  /** Mean grey of the ink and of the ground inside the box (-1: none). */
  inkGrey: number;
  groundGrey: number;
}

export interface PlateDecision {
  /** Best reading (before the decision). */
  plate: string;
  confidence: number;
  /** Why it was not reported, or undefined when it was. */
  rejected?: string;
}

/**
 * Characters shorter than this (the segmenter's median box height, rounded to whole pixels: 0.2 px under
 * the glyph's at the median for plates under 16 px; the mean, used before, let a blurred P or K cut short
 * sink a 10.5 px plate to 9.4 px, PK55ZGJ on TRAIN still 143) are
 * below what the classifier reads reliably: it is trained on glyphs of 11 px and more, and the smallest
 * plate the recogniser must read (70 px wide) has 10.6 px characters. On the benchmark's TRAIN clips,
 * reads at 9 px were 78% exact against 85% at 10 px and 90% at 11-12 px, and their confident misreads of
 * look-alikes (7 as 2, H as M) held a vehicle read exactly on three nearer frames under the tracker's
 * minimum confidence (EVAL clip 1's AN74GHA): the floor was 10 px until 4 December. With the round-7
 * classifier and the tracker's weights ((height / 15)², the candidate-share cap) 9 px reads help: TRAIN
 * clips 0–179 500 → 501 of 520 vehicles and 360–539 485 → 488 of 518, false final reads 0 and 2 either
 * way, false provisional reads 1 and 3 → 1 and 4 (KK2, a short mark); then EVAL clips 337 → 338 of 348,
 * EVAL stills 227 → 228 of 236, no more confident reads on no plate (`clip-reads.ts record
 * --recorded-min-char-px 9`, replayed with and without `--min-char-px 10`; bench/recognition.bench.ts).
 * At 8 px the TRAIN clips read 500 and 488, with a false final read more (O91).
 */
export const MIN_CHAR_HEIGHT_PX = 9;

/**
 * Ink between neighbouring characters (‰ of the gap area) above which the run is texture: a plate's
 * ground between characters is clean (a screw or a hyphen adds a few per cent), foliage, grilles and
 * gravel are not.
 */
export const MAX_GAP_INK_PERMILLE = 150;
/** Ink/ground contrast (ground minus ink over the ground's spread, × 100) a printed plate exceeds. */
export const MIN_CONTRAST_PCT = 100;

/**
 * Every UK mark is printed in two groups (33 mm apart against 11 mm between characters, with 79 mm
 * glyphs: ~420‰ of the character height); a one-line run of three or more evenly packed boxes with no
 * wider gap is not a UK plate (a grille, a badge, a sign). Two-line plates break between the lines.
 */
export const MIN_GROUP_GAP_PERMILLE = 200;

/** Why a segmented run is not a plate to report, or undefined when it is. */
export function rejectReason(
  e: PlateEvidence,
  region: PlateRegion,
  minCharHeightPx = MIN_CHAR_HEIGHT_PX,
): string | undefined {
  if (e.charHeightPx < minCharHeightPx) return "characters too small";
  // European plates print a dash, a coat of arms or seals between their groups: "any" leaves that gap out
  const gapInk = region === "any" ? e.innerGapInkPermille : e.gapInkPermille;
  if (gapInk > MAX_GAP_INK_PERMILLE) return "ink between characters";
  if (e.contrastPct < MIN_CONTRAST_PCT) return "uneven ground";
  if (region === "gb" && e.lines === 1 && e.chars >= 3 && e.maxGapPermille < MIN_GROUP_GAP_PERMILLE)
    return "no gap between groups";
  return undefined;
}

/**
 * UK marks are printed with 11 mm between characters and 33 mm between the two groups (79 mm glyphs: 140
 * and 420 per mille of the character height). A gap between neighbouring boxes of a reading wider than
 * this share of the line's median box height holds a character the segmenter lost (glare, a shadow, a
 * stroke too faint for the binarisation): at least 11 + 50 + 11 mm, 910 per mille. Reading the rest as a
 * shorter valid mark is a false read ("H5LTM" of LH53LTM, "7SS" of Q7SMS). On 300 TRAIN stills, exact
 * reads' widest gap reached 640 per mille (a narrow 1 or J beside the group gap, rounding at 11 px).
 */
export const MAX_CHAR_GAP_OF_HEIGHT = 0.8;

/**
 * True when the `count` boxes from `first` (one reading's boxes, left to right, top line first) leave a
 * gap on a line wide enough to hold a lost character.
 */
export function missingCharacter(boxes: readonly CharBox[], first: number, count: number): boolean {
  const used = boxes.slice(first, first + count);
  const heights = used.map((b) => b.h);
  if (heights.length < 2) return false;
  const medH = median(heights);
  for (let i = 1; i < used.length; i++) {
    const a = used[i - 1]!;
    const b = used[i]!;
    // boxes that do not share most of their rows are on different lines of a two-line plate
    const rows = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
    if (rows < 0.5 * Math.min(a.h, b.h)) continue;
    if (b.x - (a.x + a.w) > MAX_CHAR_GAP_OF_HEIGHT * medH) return true;
  }
  return false;
}

/** Share of `inner`'s area inside `outer`. */
function insideShare(inner: Box, outer: Box): number {
  const iw = Math.min(inner[0] + inner[2], outer[0] + outer[2]) - Math.max(inner[0], outer[0]);
  const ih = Math.min(inner[1] + inner[3], outer[1] + outer[3]) - Math.max(inner[1], outer[1]);
  if (iw <= 0 || ih <= 0) return 0;
  return (iw * ih) / Math.max(1, inner[2] * inner[3]);
}

/**
 * Drops reads that are a fragment of another read of the frame (one line of a two-line plate, a group
 * of a plate read also whole): mostly inside a read with more characters. Returns the kept indices.
 */
export function withoutFragments(reads: readonly { plate: string; box: Box }[]): number[] {
  const kept: number[] = [];
  reads.forEach((r, i) => {
    const whole = reads.some(
      (o, j) => j !== i && o.plate.length > r.plate.length && insideShare(r.box, o.box) > 0.6,
    );
    if (!whole) kept.push(i);
  });
  return kept;
}

/**
 * Reads of two passes over the same candidates: per plate box (the best overlap, IoU > 0.3), the read
 * of more characters (a pass that lost an end character reads the rest as surely), else the surer.
 */
export function mergePasses<R extends { plate: string; confidence: number; box: Box }>(
  first: R[],
  second: R[],
): R[] {
  const out = [...first];
  for (const r of second) {
    let k = -1;
    let best = 0.3;
    out.forEach((o, j) => {
      const overlap = boxIou(o.box, r.box);
      if (overlap > best) {
        best = overlap;
        k = j;
      }
    });
    const o = out[k];
    if (!o) out.push(r);
    else if (
      r.plate.length > o.plate.length ||
      (r.plate.length === o.plate.length && r.confidence > o.confidence)
    )
      out[k] = r;
  }
  return out;
}

/** Median of a non-empty list. */
function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Theil–Sen line through (x, y) points: robust to a minority of strays. */
function robustLine(xs: number[], ys: number[]): (x: number) => number {
  const slopes: number[] = [];
  for (let i = 0; i < xs.length; i++)
    for (let j = i + 1; j < xs.length; j++)
      if (xs[j] !== xs[i]) slopes.push((ys[j]! - ys[i]!) / (xs[j]! - xs[i]!));
  const slope = slopes.length > 0 ? median(slopes) : 0;
  const intercept = median(ys.map((y, i) => y - slope * xs[i]!));
  return (x) => intercept + slope * x;
}

/**
 * Printed characters of one line share a height and sit between two straight lines (top and baseline,
 * tilted with the plate). A box off those lines by more than this share of the character height, or
 * taller or shorter than the median by more than MAX_HEIGHT_DEVIATION, is not a character of the line:
 * the national band, a coat of arms or sticker between the groups, a screw, the plate's edge.
 */
export const MAX_LINE_DEVIATION = 0.1;
export const MAX_HEIGHT_DEVIATION = 0.13;
/**
 * Box edges are whole crop pixels, each a pixel off at worst: on small plates the tolerances never go
 * below two pixels (at 12 px characters 13% is under two). Synthetic EU EVAL stills 0–599: 401 → 405 of
 * 652 (3 px: 406), fewer false reads.
 */
export const MIN_DEVIATION_PX = 2;
/** A box narrower than this share of the character height is a narrow glyph (1, I)… */
export const NARROW_GLYPH_WIDTH = 0.4;
/** …which is as tall as the others: a narrow box shorter than this share of the height is not a glyph. */
export const MIN_NARROW_GLYPH_HEIGHT = 0.94;

/** The boxes' lines: a box that starts left of its predecessor begins the next line. */
function splitLines(boxes: readonly CharBox[]): number[][] {
  const lines: number[][] = [[]];
  boxes.forEach((b, i) => {
    if (i > 0 && b.x < boxes[i - 1]!.x) lines.push([]);
    lines[lines.length - 1]!.push(i);
  });
  return lines;
}

/** One line's median box height and, per box, how far its top and bottom lie off the line's top and baseline (px, + below). */
interface LineFit {
  medH: number;
  topOff: number[];
  bottomOff: number[];
}

function fitLine(bs: readonly CharBox[]): LineFit {
  const xs = bs.map((b) => b.x + b.w / 2);
  const top = robustLine(
    xs,
    bs.map((b) => b.y),
  );
  const bottom = robustLine(
    xs,
    bs.map((b) => b.y + b.h),
  );
  return {
    medH: median(bs.map((b) => b.h)),
    topOff: bs.map((b, k) => b.y - top(xs[k]!)),
    bottomOff: bs.map((b, k) => b.y + b.h - bottom(xs[k]!)),
  };
}

/** The line tolerance at median height medH (px). */
const lineTolerance = (medH: number): number => Math.max(MAX_LINE_DEVIATION * medH, MIN_DEVIATION_PX);

/**
 * Indices of the boxes that belong to the text line(s) (all of them when fewer than four boxes, or when
 * dropping would leave fewer than three). Two-line plates are checked line by line.
 */
export function textLineBoxes(boxes: readonly CharBox[]): number[] {
  const all = boxes.map((_, i) => i);
  if (boxes.length < 4) return all;
  const keep: number[] = [];
  for (const line of splitLines(boxes)) {
    if (line.length < 4) {
      keep.push(...line);
      continue;
    }
    const bs = line.map((i) => boxes[i]!);
    const { medH, topOff, bottomOff } = fitLine(bs);
    const kept = line.filter((_, k) => {
      const b = bs[k]!;
      const dev = Math.max(Math.abs(topOff[k]!), Math.abs(bottomOff[k]!));
      // narrow glyphs (1, I) are full height in every plate font: a narrow, short box is a sticker
      if (
        b.w < NARROW_GLYPH_WIDTH * medH &&
        b.h < Math.min(MIN_NARROW_GLYPH_HEIGHT * medH, medH - MIN_DEVIATION_PX)
      )
        return false;
      return (
        dev <= lineTolerance(medH) &&
        Math.abs(b.h - medH) <= Math.max(MAX_HEIGHT_DEVIATION * medH, MIN_DEVIATION_PX)
      );
    });
    keep.push(...(kept.length >= 3 ? kept : line));
  }
  return keep;
}

/**
 * Indices of the boxes that reach above their line's top or below its baseline by more than the line
 * tolerance, on lines of four or more: a character whose ink joins something dark crossing it (a tow
 * bar, a bracket, a strap, dirt), cut to the band. What the classifier sees is the glyph and the
 * intruder as one shape, read with the confidence of a whole glyph (a night H under a bar reads W at
 * 0.99), so the recogniser tempers those scores (OCCLUDED_TEMPER).
 */
export function overhangingBoxes(boxes: readonly CharBox[]): number[] {
  const out: number[] = [];
  for (const line of splitLines(boxes)) {
    if (line.length < 4) continue;
    const { medH, topOff, bottomOff } = fitLine(line.map((i) => boxes[i]!));
    line.forEach((i, k) => {
      if (Math.max(-topOff[k]!, bottomOff[k]!) > lineTolerance(medH)) out.push(i);
    });
  }
  return out;
}

/**
 * The exponent a partly hidden character's scores are raised to (then renormalised): its reading keeps
 * its order but no longer carries a plate read on its own. At 0.25 a 0.99 top score with the rest spread
 * thin over the other 35 classes falls to about 0.2, so the plate's reading is unsure unless the syntax
 * allows that position little else.
 */
export const OCCLUDED_TEMPER = 0.25;

/** Raises the 36 scores at `at` to `power` and renormalises them, in place. */
export function temperScores(scores: Float32Array, at: number, count: number, power: number): void {
  let sum = 0;
  for (let c = 0; c < count; c++) {
    const v = Math.max(scores[at + c]!, 1e-9) ** power;
    scores[at + c] = v;
    sum += v;
  }
  for (let c = 0; c < count; c++) scores[at + c] = scores[at + c]! / sum;
}

/**
 * Characters stand on the plate's light ground, printed in one ink. At either end of a line, a box whose
 * ink/ground contrast ((ground − ink) / (ground + ink) of its own pixels) is under MIN_END_CONTRAST of the
 * line's median stands beyond the plate's edge: the dark mount, a holder or the bumper's recess, cut to a
 * character's height, whose "ink" and "ground" are two shades of the same dark. The ratio is the same in
 * shade as in light, so a shadow across the plate's end does not cut its characters.
 */
export const MIN_END_CONTRAST = 0.5;
/** Boxes inked over more than this share have too little ground of their own for the test. */
const MAX_JUDGED_FILL = 0.75;

/**
 * `kept` (indices into `boxes`, left to right) without the end boxes that stand off the plate's ground;
 * at least three boxes stay. Two-line plates are left as they are.
 */
export function onPlateEnds(
  boxes: readonly CharBox[],
  kept: readonly number[],
  twoLine: boolean,
  minShare = MIN_END_CONTRAST,
): number[] {
  const out = [...kept];
  if (out.length < 4 || twoLine) return out;
  const contrast = (k: number): number => inkContrast(boxes[k]!);
  const typical = median(out.map(contrast));
  if (!(typical > 0)) return out;
  const offPlate = (k: number): boolean => contrast(k) < minShare * typical;
  while (out.length > 3 && offPlate(out[0]!)) out.shift();
  while (out.length > 3 && offPlate(out[out.length - 1]!)) out.pop();
  return out;
}

/**
 * Share of the line's median ink/ground contrast under which an inner box is not printed in the plate's
 * ink (`inOneInk`). Synthetic EU EVAL stills 0–599: off 432, 0.3 432, 0.4 436, 0.45 437, 0.5 436, 0.6 426.
 */
export const MIN_INNER_CONTRAST = 0.45;

/** (ground − ink) / (ground + ink) of a box's own pixels; 1 for a box too full of ink to judge. */
function inkContrast(b: CharBox): number {
  // a box that is nearly all ink (an I, a 1) has too few ground pixels of its own to judge
  const judged = b.inkGrey >= 0 && b.groundGrey >= 0 && b.inkPx < MAX_JUDGED_FILL * b.w * b.h;
  return judged ? (b.groundGrey - b.inkGrey) / Math.max(1, b.groundGrey + b.inkGrey) : 1;
}

/**
 * `kept` without the inner boxes whose ink/ground contrast is under `minShare` of the line's median: a
 * plate's characters are printed in one ink, while the coloured seals, coat of arms or sticker between
 * its groups are lighter in grey. At least three boxes stay; two-line plates are left as they are.
 */
export function inOneInk(
  boxes: readonly CharBox[],
  kept: readonly number[],
  twoLine: boolean,
  minShare: number,
): number[] {
  if (kept.length < 4 || twoLine || !(minShare > 0)) return [...kept];
  const typical = median(kept.map((k) => inkContrast(boxes[k]!)));
  if (!(typical > 0)) return [...kept];
  const out = kept.filter((k) => inkContrast(boxes[k]!) >= minShare * typical);
  return out.length >= 3 ? out : [...kept];
}

/**
 * A gap between neighbouring kept boxes at least this many times the line's median gap, and at least
 * SEPARATOR_MIN_GAP of the character height, holds a group separator: a dash, a coat of arms, seals or a
 * wide space (their boxes left out by the rules above leave the gap wider still).
 */
export const SEPARATOR_GAP_RATIO = 1.8;
export const SEPARATOR_MIN_GAP = 0.2;

/**
 * Per gap between neighbouring boxes of `kept` (indices into `boxes`, left to right: kept.length − 1
 * entries), whether it is a group separator. One-line plates only (all false for two lines or fewer than
 * four boxes).
 */
export function groupSeparators(
  boxes: readonly CharBox[],
  kept: readonly number[],
  twoLine: boolean,
  gapRatio = SEPARATOR_GAP_RATIO,
  minGap = SEPARATOR_MIN_GAP,
): boolean[] {
  const gaps = kept.slice(1).map((k, j) => boxes[k]!.x - (boxes[kept[j]!]!.x + boxes[kept[j]!]!.w));
  if (twoLine || kept.length < 4) return gaps.map(() => false);
  const medGap = Math.max(0, median(gaps));
  const medH = median(kept.map((k) => boxes[k]!.h));
  return gaps.map((g) => g >= gapRatio * medGap && g >= minGap * medH);
}

/**
 * A plate's characters share one height, so a box taller than every other box of its line by at least
 * this much reaches past them: the plate's edge, its holder or a sticker beyond it, cut to the band. Box
 * edges are whole crop pixels, each a pixel off at worst: two pixels, as MIN_DEVIATION_PX.
 */
export const STRAY_TALLER_PX = MIN_DEVIATION_PX;

/** Whether end box k of `kept` is taller than every other kept box by at least `tallerPx` (0: never). */
export function tallerThanLine(
  boxes: readonly CharBox[],
  kept: readonly number[],
  k: number,
  tallerPx = STRAY_TALLER_PX,
): boolean {
  const others = kept.filter((j) => j !== k).map((j) => boxes[j]!.h);
  return tallerPx > 0 && others.length >= 3 && boxes[k]!.h >= Math.max(...others) + tallerPx;
}
