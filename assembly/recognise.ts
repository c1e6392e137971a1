// The recogniser module: localise ─► segment ─► classify, over a frame written once into the frame slot
// of a shared memory (the host imports a fixed-size shared memory, so a frame written by another thread
// needs no copy and views never detach). Plate syntax (UK rules) runs on the host over the scores.

import { classifyBox } from "./classify";
// biome-ignore lint/style/useImportType: AssemblyScript has no type-only imports
import { BOX_FIELDS, Context, createContext } from "./localise/context";
import { invertBytes } from "./localise/invert";
import { localise as localiseFrame } from "./localise/localise";
import { plateEvidence } from "./localise/plate-check";
import { cutPatch, segmentCandidate } from "./segment/segment";
import {
  CHAR_CLASS_COUNT,
  MAX_PLATE_CHARS,
  MAX_PLATE_RESULTS,
  PATCH_HEIGHT_PX,
  PATCH_WIDTH_PX,
  RESULT_CHARS,
  RESULT_FIELDS,
  RESULT_H,
  RESULT_SCORE,
  RESULT_W,
  RESULT_X,
  RESULT_Y,
} from "./shared/constants";

export { classifierAlloc, classifierInit, classifyBox, classifyNormalise, classifyVector } from "./classify";
export { lastBand, segmentTrace } from "./segment/segment";

/** Bytes from the module's bump heap (weights, scratch); never freed. Returns 0 when memory is full. */
export function allocBytes(bytes: i32): usize {
  return heap.alloc(<usize>bytes);
}

/** Lays out a context for frames up to maxWidth × maxHeight (0 = 1920 × 1080); returns its pointer. */
export function init(maxWidth: i32, maxHeight: i32): usize {
  return changetype<usize>(createContext(maxWidth, maxHeight));
}

/** Where the caller writes a width × height grey frame (stride = width). */
export function frameSlot(ctx: usize): usize {
  return changetype<Context>(ctx).frame;
}

export function frameSlotBytes(ctx: usize): i32 {
  const c = changetype<Context>(ctx);
  return c.maxWidth * c.maxHeight;
}

/** Result records (RESULT_FIELDS i32 each). */
export function resultsPtr(ctx: usize): usize {
  return changetype<Context>(ctx).results;
}

/** Scores: MAX_PLATE_CHARS × CHAR_CLASS_COUNT f32 per result. */
export function scoresPtr(ctx: usize): usize {
  return changetype<Context>(ctx).scores;
}

/** Character boxes per result: MAX_PLATE_CHARS × BOX_FIELDS i32 (x, y, w, h crop px, ink pixels). */
export function resultBoxesPtr(ctx: usize): usize {
  return changetype<Context>(ctx).resultBoxes;
}

/** Plate patches: PATCH_WIDTH_PX × PATCH_HEIGHT_PX grey bytes per result. */
export function patchesPtr(ctx: usize): usize {
  return changetype<Context>(ctx).patches;
}

/** Candidate boxes (CANDIDATE_FIELDS i32 each: x, y, w, h, score, skew mrad, cells). */
export function candidatesPtr(ctx: usize): usize {
  return changetype<Context>(ctx).candidates;
}

/** Candidates found by the last localise call. */
export function candidateCount(ctx: usize): i32 {
  return changetype<Context>(ctx).candidateCount;
}

/** Inverts the frame in the slot (light-on-dark plates; segmentCandidates may then run again), or with
 * patches = 1 the plate patches of the results. */
export function invert(ctx: usize, width: i32, height: i32, patches: i32): void {
  const c = changetype<Context>(ctx);
  if (patches !== 0) invertBytes(c.patches, MAX_PLATE_RESULTS * PATCH_WIDTH_PX * PATCH_HEIGHT_PX);
  else invertBytes(c.frame, width * height);
}

/** Sets the gradient a pixel pair must exceed to count as a vertical edge (default 24). */
export function setEdgeThreshold(ctx: usize, threshold: i32): void {
  changetype<Context>(ctx).edgeThreshold = threshold;
}

/**
 * Sets the binarisation margin in percent of the usual one (default 100): a further segmentation pass
 * for faint, blurred or glared plates (the host's `--region any` retry and its `gb` second pass).
 */
export function setInkMargin(ctx: usize, pct: i32): void {
  changetype<Context>(ctx).inkMarginPct = pct;
}

/**
 * Above 0: the next segmentCandidates calls segment only the candidates whose last segmentation found at
 * least this many characters (a second pass at another ink margin); 0: every candidate.
 */
export function setResegmentMinChars(ctx: usize, chars: i32): void {
  changetype<Context>(ctx).resegmentMinChars = chars;
}

/** Non-zero: segmentation cuts touching pairs of narrow characters (foreign plates, `--region any`). */
export function setSplitTouching(ctx: usize, on: i32): void {
  changetype<Context>(ctx).splitTouching = on;
}

/** Non-zero: boxes reaching past their line's top or baseline are cut back to it (UK plates, `--region gb`). */
export function setFitToLine(ctx: usize, on: i32): void {
  changetype<Context>(ctx).fitToLine = on;
}

/** Stage 1: plate candidates in the region of interest (w or h ≤ 0: whole frame). Returns the count. */
export function localise(ctx: usize, width: i32, height: i32, x: i32, y: i32, w: i32, h: i32): i32 {
  const c = changetype<Context>(ctx);
  if (width <= 0 || height <= 0 || width > c.maxWidth || height > c.maxHeight) return -1;
  return localiseFrame(c, width, height, x, y, w, h);
}

function overlap(a: usize, b: usize): f32 {
  const ax = load<i32>(a + ((<usize>RESULT_X) << 2));
  const ay = load<i32>(a + ((<usize>RESULT_Y) << 2));
  const aw = load<i32>(a + ((<usize>RESULT_W) << 2));
  const ah = load<i32>(a + ((<usize>RESULT_H) << 2));
  const bx = load<i32>(b + ((<usize>RESULT_X) << 2));
  const by = load<i32>(b + ((<usize>RESULT_Y) << 2));
  const bw = load<i32>(b + ((<usize>RESULT_W) << 2));
  const bh = load<i32>(b + ((<usize>RESULT_H) << 2));
  const iw = min(ax + aw, bx + bw) - max(ax, bx);
  const ih = min(ay + ah, by + bh) - max(ay, by);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = <f32>iw * <f32>ih;
  return inter / Mathf.min(<f32>aw * <f32>ah, <f32>bw * <f32>bh);
}

/**
 * Stage 2 (and 3 when classify = 1): segments every candidate of the last localise call, keeps plates
 * with at least two characters (overlapping ones merged), classifies their characters and cuts patches.
 * Returns the result count.
 */
export function segmentCandidates(ctx: usize, width: i32, height: i32, classify: i32): i32 {
  const c = changetype<Context>(ctx);
  // the counts a later pass filters on are this frame's, and only a classifying call records them (a
  // segment-only call is the benchmark's timing of the same pass)
  const record = classify !== 0;
  if (record && c.resegmentMinChars === 0) memory.fill(c.candidateChars, 0, (<usize>c.candidateCount) << 2);
  let n = 0;
  for (let i = 0; i < c.candidateCount && n < MAX_PLATE_RESULTS; i++) {
    const rec = c.results + <usize>(n * RESULT_FIELDS) * 4;
    const seen = c.candidateChars + ((<usize>i) << 2);
    if (c.resegmentMinChars > 0 && load<i32>(seen) < c.resegmentMinChars) continue;
    const chars = segmentCandidate(c, width, height, i, rec);
    if (record) store<i32>(seen, chars < 2 ? 0 : chars);
    if (chars < 2) continue;
    plateEvidence(c, chars, rec);
    // a plate found twice (at overlapping candidates) is kept once: the reading with more characters
    let dup = -1;
    for (let k = 0; k < n; k++) {
      if (overlap(rec, c.results + <usize>(k * RESULT_FIELDS) * 4) > 0.5) {
        dup = k;
        break;
      }
    }
    let slot = n;
    if (dup >= 0) {
      const old = c.results + <usize>(dup * RESULT_FIELDS) * 4;
      if (load<i32>(old + ((<usize>RESULT_CHARS) << 2)) >= chars) continue;
      memory.copy(old, rec, <usize>RESULT_FIELDS * 4);
      slot = dup;
    } else {
      n++;
    }
    const out = c.results + <usize>(slot * RESULT_FIELDS) * 4;
    memory.copy(
      c.resultBoxes + <usize>(slot * MAX_PLATE_CHARS * BOX_FIELDS) * 4,
      c.boxStats,
      <usize>(MAX_PLATE_CHARS * BOX_FIELDS) * 4,
    );
    store<i32>(out + ((<usize>RESULT_SCORE) << 2), load<i32>(c.candidates + <usize>(i * 8 + 4) * 4));
    if (classify !== 0) {
      const scores = c.scores + <usize>(slot * MAX_PLATE_CHARS * CHAR_CLASS_COUNT) * 4;
      for (let k = 0; k < chars; k++) {
        const b = c.charBoxes + ((<usize>k) << 4);
        classifyBox(
          c.crop,
          c.cropWidth,
          load<i32>(b),
          load<i32>(b, 4),
          load<i32>(b, 8),
          load<i32>(b, 12),
          0,
          scores + <usize>(k * CHAR_CLASS_COUNT) * 4,
        );
      }
      cutPatch(c, width, height, out, c.patches + <usize>(slot * PATCH_WIDTH_PX * PATCH_HEIGHT_PX));
    }
  }
  c.resultCount = n;
  return n;
}

/** Localise, segment and classify the frame in the slot; returns the number of plate results. */
export function recognise(ctx: usize, width: i32, height: i32, x: i32, y: i32, w: i32, h: i32): i32 {
  const found = localise(ctx, width, height, x, y, w, h);
  if (found < 0) return found;
  return segmentCandidates(ctx, width, height, 1);
}

/**
 * Diagnostics: segments candidate i of the last localise call alone, leaving its crop, binary image and
 * character boxes in place (cropPtr, binPtr, charBoxesPtr); returns the character count.
 */
export function segmentOne(ctx: usize, width: i32, height: i32, i: i32): i32 {
  const c = changetype<Context>(ctx);
  if (i < 0 || i >= c.candidateCount) return -1;
  return segmentCandidate(
    c,
    width,
    height,
    i,
    c.results + <usize>(MAX_PLATE_RESULTS - 1) * RESULT_FIELDS * 4,
  );
}

export function cropPtr(ctx: usize): usize {
  return changetype<Context>(ctx).crop;
}

export function binPtr(ctx: usize): usize {
  return changetype<Context>(ctx).bin;
}

export function cropWidth(ctx: usize): i32 {
  return changetype<Context>(ctx).cropWidth;
}

export function cropHeight(ctx: usize): i32 {
  return changetype<Context>(ctx).cropHeight;
}

/** Character boxes (x, y, w, h i32, crop coordinates) of the last segmentation. */
export function charBoxesPtr(ctx: usize): usize {
  return changetype<Context>(ctx).charBoxes;
}

/** Diagnostics: transitions per crop row of the last segmentation (i32). */
export function rowTransitionsPtr(ctx: usize): usize {
  return changetype<Context>(ctx).rowTransitions;
}

/** Diagnostics: the last crop's geometry, i = 0 centre x, 1 centre y, 2 angle (rad), 3 scale (frame px per crop px). */
export function cropGeometry(ctx: usize, i: i32): f32 {
  const c = changetype<Context>(ctx);
  if (i === 0) return c.cropCentreX;
  if (i === 1) return c.cropCentreY;
  if (i === 2) return c.cropAngle;
  return c.cropScale;
}
