// The recogniser's working state: one per module instance (one per worker thread), laid out once by
// `createContext` for the largest frame, so nothing is allocated while frames are read.
import {
  BOX_FIELDS,
  CHAR_CLASS_COUNT,
  MAX_FRAME_HEIGHT,
  MAX_FRAME_WIDTH,
  MAX_PLATE_CANDIDATES,
  MAX_PLATE_CHARS,
  MAX_PLATE_RESULTS,
  PATCH_HEIGHT_PX,
  PATCH_WIDTH_PX,
  RESULT_FIELDS,
} from "../shared/constants";

/** Largest rectangle segmentation resamples a candidate into (crop pixels). */
export const CROP_MAX_WIDTH: i32 = 640;
export const CROP_MAX_HEIGHT: i32 = 224;
export { BOX_FIELDS };
/** Connected components tracked per crop band. */
export const MAX_COMPONENTS: i32 = 4096;
/** i32 fields per localiser candidate: x, y, w, h (frame px), score, angle (mrad), cells, spare. */
export const CANDIDATE_FIELDS: i32 = 8;
/** i32 fields per component: x0, y0, x1, y1 (inclusive), area, alive. */
export const COMPONENT_FIELDS: i32 = 6;

@unmanaged
export class Context {
  frame: usize = 0;
  maxWidth: i32 = 0;
  maxHeight: i32 = 0;
  half: usize = 0;
  halfWidth: i32 = 0;
  halfHeight: i32 = 0;
  cellCounts: usize = 0;
  cellLabels: usize = 0;
  cellStack: usize = 0;
  cellsX: i32 = 0;
  cellsY: i32 = 0;
  candidates: usize = 0;
  candidateCount: i32 = 0;
  crop: usize = 0;
  cropWidth: i32 = 0;
  cropHeight: i32 = 0;
  /** Crop pixel (u, v) samples the frame at centre + scale·R(angle)·(u − w/2, v − h/2). */
  cropCentreX: f32 = 0;
  cropCentreY: f32 = 0;
  cropAngle: f32 = 0;
  cropScale: f32 = 0;
  bin: usize = 0;
  integral: usize = 0;
  labels: usize = 0;
  parents: usize = 0;
  components: usize = 0;
  rowTransitions: usize = 0;
  charBoxes: usize = 0;
  results: usize = 0;
  scores: usize = 0;
  patches: usize = 0;
  resultCount: i32 = 0;
  /** Character boxes of the candidate being segmented (BOX_FIELDS i32 each), then kept per result. */
  boxStats: usize = 0;
  resultBoxes: usize = 0;
  roiX: i32 = 0;
  roiY: i32 = 0;
  edgeThreshold: i32 = 0;
  /** Binarisation margin in percent of the usual (segment.ts `binarise`): lower finds fainter ink. */
  inkMarginPct: i32 = 0;
  /** Non-zero: cut touching pairs of narrow characters (segment.ts `splitTouchingPairs`, `--region any`). */
  splitTouching: i32 = 0;
  /** Non-zero: boxes reaching past their line's top or baseline are cut back to it (segment.ts `fitToLine`, UK plates). */
  fitToLine: i32 = 0;
  /** Per candidate: characters its last segmentation found (0 when it found no plate). */
  candidateChars: usize = 0;
  /** Above 0: segmentCandidates skips candidates whose last segmentation found fewer characters. */
  resegmentMinChars: i32 = 0;
}

function alloc(bytes: usize): usize {
  // 64 bytes of slack after every buffer: SIMD loops may read (never write) a vector past the end.
  const ptr = heap.alloc(bytes + 64);
  memory.fill(ptr, 0, bytes + 64);
  return ptr;
}

/** Lays out every buffer for frames up to maxWidth × maxHeight; returns the context pointer. */
export function createContext(maxWidth: i32, maxHeight: i32): Context {
  if (maxWidth <= 0 || maxWidth > MAX_FRAME_WIDTH) maxWidth = MAX_FRAME_WIDTH;
  if (maxHeight <= 0 || maxHeight > MAX_FRAME_HEIGHT) maxHeight = MAX_FRAME_HEIGHT;
  const ctx = changetype<Context>(alloc(offsetof<Context>()));
  ctx.maxWidth = maxWidth;
  ctx.maxHeight = maxHeight;
  ctx.frame = alloc(<usize>maxWidth * maxHeight);
  const hw = maxWidth >> 1;
  const hh = maxHeight >> 1;
  ctx.half = alloc(<usize>hw * hh);
  const cells = <usize>((hw >> 2) + 8) * ((hh >> 1) + 2);
  ctx.cellCounts = alloc(cells * 4);
  ctx.cellLabels = alloc(cells * 4);
  ctx.cellStack = alloc(cells * 4);
  ctx.candidates = alloc(<usize>MAX_PLATE_CANDIDATES * CANDIDATE_FIELDS * 4);
  ctx.candidateChars = alloc(<usize>MAX_PLATE_CANDIDATES * 4);
  const cropPx = <usize>CROP_MAX_WIDTH * CROP_MAX_HEIGHT;
  ctx.crop = alloc(cropPx);
  ctx.bin = alloc(cropPx);
  ctx.integral = alloc(<usize>(CROP_MAX_WIDTH + 1) * (CROP_MAX_HEIGHT + 1) * 4);
  ctx.labels = alloc(cropPx * 4);
  ctx.parents = alloc(<usize>MAX_COMPONENTS * 4);
  ctx.components = alloc(<usize>MAX_COMPONENTS * COMPONENT_FIELDS * 4);
  ctx.rowTransitions = alloc(<usize>CROP_MAX_HEIGHT * 8);
  ctx.charBoxes = alloc(<usize>MAX_PLATE_CHARS * 4 * 4 * 2);
  ctx.results = alloc(<usize>MAX_PLATE_RESULTS * RESULT_FIELDS * 4);
  ctx.scores = alloc(<usize>MAX_PLATE_RESULTS * MAX_PLATE_CHARS * CHAR_CLASS_COUNT * 4);
  ctx.boxStats = alloc(<usize>MAX_PLATE_CHARS * BOX_FIELDS * 4);
  ctx.resultBoxes = alloc(<usize>MAX_PLATE_RESULTS * MAX_PLATE_CHARS * BOX_FIELDS * 4);
  ctx.patches = alloc(<usize>MAX_PLATE_RESULTS * PATCH_WIDTH_PX * PATCH_HEIGHT_PX);
  ctx.edgeThreshold = 24;
  ctx.inkMarginPct = 100;
  ctx.splitTouching = 0;
  ctx.fitToLine = 0;
  return ctx;
}
