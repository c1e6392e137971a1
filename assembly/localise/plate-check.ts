// Plate-likeness evidence for one segmented candidate: how much a run of character boxes looks like the
// printed characters of a plate rather than texture (foliage, a grille, a wheel, a shadow edge). Plate
// characters sit on a clean, even ground, share a height and a baseline, and are evenly spaced; texture
// read as "characters" has ink between the boxes, an uneven ground and ragged boxes. The host turns the
// numbers into the read decision (src/recognition/plate-decision.ts).
import {
  MAX_PLATE_CHARS,
  RESULT_BASELINE_PERMILLE,
  RESULT_CONTRAST_PCT,
  RESULT_GAP_INK_PERMILLE,
  RESULT_HEIGHT_SPREAD_PERMILLE,
  RESULT_INNER_GAP_INK_PERMILLE,
  RESULT_MAX_GAP_PERMILLE,
} from "../shared/constants";
// biome-ignore lint/style/useImportType: AssemblyScript has no type-only imports
import { BOX_FIELDS, Context } from "./context";

function box(ctx: Context, i: i32, f: i32): i32 {
  return load<i32>(ctx.charBoxes + ((<usize>i) << 4) + ((<usize>f) << 2));
}

/**
 * Measures the n character boxes of the last segmentation (ctx.charBoxes over ctx.crop / ctx.bin, crop
 * coordinates, top line first) and writes the evidence fields of the result record at `result`:
 * height spread and baseline deviation (‰ of the median height), the widest gap between neighbours on a
 * line (‰ of the median height), ink between the boxes (‰ of the gap area; also leaving out the widest
 * gap, where a European plate prints its dash, crest or seals) and the ink/ground contrast
 * over the ground's own spread (× 100). Each box with its ink count goes to ctx.boxStats.
 */
export function plateEvidence(ctx: Context, n: i32, result: usize): void {
  if (n < 1) return;
  const w = ctx.cropWidth;
  // median height by counting (n ≤ 10)
  let med = 0;
  for (let i = 0; i < n; i++) {
    const h = box(ctx, i, 3);
    let below = 0;
    let same = 0;
    for (let j = 0; j < n; j++) {
      const hj = box(ctx, j, 3);
      if (hj < h) below++;
      else if (hj === h) same++;
    }
    if (below <= n >> 1 && below + same > n >> 1) med = h;
  }
  if (med < 1) med = 1;
  let hMin = 0x7fffffff;
  let hMax = 0;
  let baseDev = 0;
  let maxGap = 0;
  let gapInk = 0;
  let gapArea = 0;
  // the widest gap whose ink is counted, its ink and area
  let wideGap = -1;
  let wideInk = 0;
  let wideArea = 0;
  let inkSum: i64 = 0;
  let inkCount: i64 = 0;
  let groundSum: i64 = 0;
  let groundSq: i64 = 0;
  let groundCount: i64 = 0;
  for (let i = 0; i < n; i++) {
    const x = box(ctx, i, 0);
    const y = box(ctx, i, 1);
    const bw = box(ctx, i, 2);
    const h = box(ctx, i, 3);
    if (h < hMin) hMin = h;
    if (h > hMax) hMax = h;
    // baseline and top line against the neighbours on the same line
    const next = i + 1 < n && box(ctx, i + 1, 0) > x ? i + 1 : -1;
    if (next >= 0) {
      const nx = box(ctx, next, 0);
      const ny = box(ctx, next, 1);
      const nh = box(ctx, next, 3);
      const dev = max(abs(y + h - ny - nh), abs(y - ny));
      if (dev > baseDev) baseDev = dev;
      const gap = nx - (x + bw);
      if (gap > maxGap) maxGap = gap;
      // ink in the gap columns over the rows both boxes share: a plate's ground is clean there (the cut
      // between two touching characters split by segmentation is a gap of a pixel or two: not counted)
      const gy0 = max(y, ny);
      const gy1 = min(y + h, ny + nh);
      if (gap >= max(3, med >> 3) && gy1 > gy0) {
        let ink = 0;
        for (let gy = gy0; gy < gy1; gy++) {
          const row = ctx.bin + <usize>(gy * w);
          for (let gx = x + bw; gx < nx; gx++) ink += load<u8>(row + <usize>gx);
        }
        gapInk += ink;
        gapArea += (gy1 - gy0) * gap;
        if (gap > wideGap) {
          wideGap = gap;
          wideInk = ink;
          wideArea = (gy1 - gy0) * gap;
        }
      }
    }
    // ink and ground grey levels inside the box
    let ink = 0;
    let boxInk: i64 = 0;
    let boxGround: i64 = 0;
    for (let yy = y; yy < y + h; yy++) {
      const brow = ctx.bin + <usize>(yy * w);
      const crow = ctx.crop + <usize>(yy * w);
      for (let xx = x; xx < x + bw; xx++) {
        const v = <i64>load<u8>(crow + <usize>xx);
        if (load<u8>(brow + <usize>xx) !== 0) {
          inkSum += v;
          inkCount++;
          ink++;
          boxInk += v;
        } else {
          groundSum += v;
          boxGround += v;
          groundSq += v * v;
          groundCount++;
        }
      }
    }
    if (i < MAX_PLATE_CHARS) {
      const st = ctx.boxStats + <usize>(i * BOX_FIELDS) * 4;
      store<i32>(st, x);
      store<i32>(st, y, 4);
      store<i32>(st, bw, 8);
      store<i32>(st, h, 12);
      store<i32>(st, ink, 16);
      // mean grey of the box's ink and of its ground (-1 when it has none)
      store<i32>(st, ink > 0 ? <i32>(boxInk / ink) : -1, 20);
      store<i32>(st, bw * h > ink ? <i32>(boxGround / (bw * h - ink)) : -1, 24);
    }
  }
  let contrast = 0;
  if (inkCount > 0 && groundCount > 1) {
    const gm = <f64>groundSum / <f64>groundCount;
    const im = <f64>inkSum / <f64>inkCount;
    const sd = Math.sqrt(Math.max(0, <f64>groundSq / <f64>groundCount - gm * gm));
    contrast = <i32>Math.round(((gm - im) / (sd + 1)) * 100);
  }
  store<i32>(result + ((<usize>RESULT_HEIGHT_SPREAD_PERMILLE) << 2), ((hMax - hMin) * 1000) / med);
  store<i32>(result + ((<usize>RESULT_BASELINE_PERMILLE) << 2), (baseDev * 1000) / med);
  store<i32>(result + ((<usize>RESULT_MAX_GAP_PERMILLE) << 2), (maxGap * 1000) / med);
  store<i32>(result + ((<usize>RESULT_GAP_INK_PERMILLE) << 2), gapArea > 0 ? (gapInk * 1000) / gapArea : 0);
  store<i32>(result + ((<usize>RESULT_CONTRAST_PCT) << 2), contrast);
  const innerArea = gapArea - wideArea;
  store<i32>(
    result + ((<usize>RESULT_INNER_GAP_INK_PERMILLE) << 2),
    innerArea > 0 ? ((gapInk - wideInk) * 1000) / innerArea : 0,
  );
}
