// The read decision on one frame: is this run of characters a plate, and is its reading one to report?
// The wasm stage measures plate-likeness (assembly/localise/plate-check.ts); these rules turn it into a
// yes or no. They are general properties of printed plates, not fitted to any test image.
import type { Box } from "../domain/read.js";
import type { PlateRegion } from "./syntax.js";

export interface PlateEvidence {
  chars: number;
  lines: number;
  /** Mean character height in frame pixels. */
  charHeightPx: number;
  heightSpreadPermille: number;
  baselinePermille: number;
  maxGapPermille: number;
  gapInkPermille: number;
  contrastPct: number;
}

export interface PlateDecision {
  /** Best reading (before the decision). */
  plate: string;
  confidence: number;
  /** Why it was not reported, or undefined when it was. */
  rejected?: string;
}

/** Characters shorter than this are below what the classifier reads reliably (a 70 px wide plate has ~10 px). */
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
export function rejectReason(e: PlateEvidence, region: PlateRegion): string | undefined {
  if (e.charHeightPx < MIN_CHAR_HEIGHT_PX) return "characters too small";
  if (e.gapInkPermille > MAX_GAP_INK_PERMILLE) return "ink between characters";
  if (e.contrastPct < MIN_CONTRAST_PCT) return "uneven ground";
  if (region === "gb" && e.lines === 1 && e.chars >= 3 && e.maxGapPermille < MIN_GROUP_GAP_PERMILLE)
    return "no gap between groups";
  return undefined;
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
