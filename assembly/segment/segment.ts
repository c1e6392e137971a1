// Segmentation: deskew a localised candidate into a crop, binarise it adaptively (local mean over an
// integral image, after Bradley & Roth 2007), find the character band(s) from rows rich in dark/light
// transitions (one band, or two for a two-line plate), label connected components inside each band only
// (so characters never join the border, the car body or the dark surround at night), merge broken
// pieces, split touching characters at projection minima, and keep the largest run of
// similar-height components. Character boxes land in ctx.charBoxes in crop coordinates.

// biome-ignore lint/style/useImportType: AssemblyScript has no type-only imports
import {
  CANDIDATE_FIELDS,
  COMPONENT_FIELDS,
  Context,
  CROP_MAX_HEIGHT,
  CROP_MAX_WIDTH,
  MAX_COMPONENTS,
} from "../localise/context";
import {
  MAX_PLATE_CHARS,
  PATCH_HEIGHT_PX,
  PATCH_WIDTH_PX,
  RESULT_ANGLE_MRAD,
  RESULT_CHAR_HEIGHT_PX,
  RESULT_CHARS,
  RESULT_H,
  RESULT_LINES,
  RESULT_SCORE,
  RESULT_W,
  RESULT_X,
  RESULT_Y,
} from "../shared/constants";
import { sampleRotated } from "./resample";

/**
 * Deskews candidate `index` into ctx.crop (frame is width × height), turned `turn` radians further than
 * the localiser's skew (a correction measured on the characters of a first crop); a `tall` crop reaches a
 * whole candidate height further up and down (the other line of a two-line plate).
 */
export function cropCandidate(
  ctx: Context,
  width: i32,
  height: i32,
  index: i32,
  turn: f32 = 0,
  tall: bool = false,
): void {
  const c = ctx.candidates + <usize>(index * CANDIDATE_FIELDS) * 4;
  const bx = <f32>load<i32>(c);
  const by = <f32>load<i32>(c, 4);
  const bw = <f32>load<i32>(c, 8);
  const bh = <f32>load<i32>(c, 12);
  const angle = <f32>load<i32>(c, 20) * 0.001;
  const cs = Mathf.cos(angle);
  const sn = Mathf.abs(Mathf.sin(angle));
  const det = cs * cs - sn * sn;
  // the cell box bounds a rotated band of length L and thickness T
  let L = (bw * cs - bh * sn) / det;
  let T = (bh * cs - bw * sn) / det;
  if (T < bh * 0.4) T = bh * 0.4;
  if (T < 8) T = 8;
  if (L < bw * 0.8) L = bw * 0.8;
  const wf = L + T + 16;
  const hf = T * (tall ? 3.5 : 1.5) + 12;
  let scale: f32 = 1;
  // small plates are upsampled so that binarisation keeps the one- or two-pixel gaps between strokes
  // and characters apart: 2×, and 3× for the thinnest bands (characters of about 8-12 px)
  if (T < 20) scale = 0.5;
  if (T < 13) scale = 0.34;
  if (T > 96) scale = T / 96;
  if (wf / scale > <f32>CROP_MAX_WIDTH) scale = wf / <f32>CROP_MAX_WIDTH;
  if (hf / scale > <f32>CROP_MAX_HEIGHT) scale = hf / <f32>CROP_MAX_HEIGHT;
  let cw = <i32>(wf / scale);
  let ch = <i32>(hf / scale);
  if (cw > CROP_MAX_WIDTH) cw = CROP_MAX_WIDTH;
  if (ch > CROP_MAX_HEIGHT) ch = CROP_MAX_HEIGHT;
  ctx.cropWidth = cw;
  ctx.cropHeight = ch;
  ctx.cropCentreX = bx + bw * 0.5;
  ctx.cropCentreY = by + bh * 0.5;
  ctx.cropScale = scale;
  ctx.cropAngle = angle + turn;
  sampleRotated(
    ctx.frame,
    width,
    height,
    ctx.cropCentreX,
    ctx.cropCentreY,
    ctx.cropAngle,
    scale,
    ctx.crop,
    cw,
    ch,
  );
}

/** Binarisation: the smallest ink/ground difference is the crop's p90-p10 contrast over this... */
const CONTRAST_DIVISOR: i32 = 10;
/** ...and never less than this many grey levels. */
const MIN_INK_DELTA: i32 = 8;
/** A piece whose filled area is under this percentage of the band height squared is a sliver. */
const MIN_PIECE_AREA_PCT: i32 = 8;
/** Band hysteresis: rows extend a band while over base + this many eighths of (threshold - base). */
const BAND_LOW_EIGHTHS: i32 = 6;

/** The grey level below which `count` pixels of a 256-bin histogram lie. */
function percentile(hist: usize, count: i32): i32 {
  let acc = 0;
  for (let v = 0; v < 256; v++) {
    acc += load<i32>(hist + ((<usize>v) << 2));
    if (acc > count) return v;
  }
  return 255;
}

/** Marks ctx.bin[i] = 1 where the crop is darker than its local mean (window 2r+1) by a margin. */
export function binarise(ctx: Context, r: i32): void {
  const w = ctx.cropWidth;
  const h = ctx.cropHeight;
  const iw = w + 1;
  const I = ctx.integral;
  memory.fill(I, 0, <usize>iw * 4);
  for (let y = 0; y < h; y++) {
    let rowSum: u32 = 0;
    const src = ctx.crop + <usize>(y * w);
    const prev = I + <usize>(y * iw) * 4;
    const cur = I + <usize>((y + 1) * iw) * 4;
    store<u32>(cur, 0);
    for (let x = 0; x < w; x++) {
      rowSum += load<u8>(src + <usize>x);
      store<u32>(cur + ((<usize>(x + 1)) << 2), load<u32>(prev + ((<usize>(x + 1)) << 2)) + rowSum);
    }
  }
  // the margin a pixel must be under its local mean scales with the crop's contrast, so flat noise
  // (a night surround, a dirty plate) stays light while faint characters on a dull plate still show
  const hist = ctx.components;
  memory.fill(hist, 0, 256 * 4);
  for (let i = 0; i < w * h; i++) {
    const hp = hist + ((<usize>load<u8>(ctx.crop + <usize>i)) << 2);
    store<i32>(hp, load<i32>(hp) + 1);
  }
  const p10 = percentile(hist, (w * h) / 10);
  const p90 = percentile(hist, (w * h * 9) / 10);
  const margin = ctx.inkMarginPct;
  let minDelta = (p90 - p10) / CONTRAST_DIVISOR;
  if (minDelta < MIN_INK_DELTA) minDelta = MIN_INK_DELTA;
  for (let y = 0; y < h; y++) {
    const y0 = max(y - r, 0);
    const y1 = min(y + r, h - 1);
    const top = I + <usize>(y0 * iw) * 4;
    const bot = I + <usize>((y1 + 1) * iw) * 4;
    const src = ctx.crop + <usize>(y * w);
    const dst = ctx.bin + <usize>(y * w);
    const rows = y1 - y0 + 1;
    let x = 0;
    if (ASC_FEATURE_SIMD) {
      // columns whose window lies wholly inside the crop, four at a time; the edges below
      for (; x < r && x < w; x++) binarisePixel(src, dst, top, bot, x, r, w, rows, minDelta, margin);
      x = binariseInterior(src, dst, top, bot, x, r, w, rows, minDelta, margin);
    }
    for (; x < w; x++) binarisePixel(src, dst, top, bot, x, r, w, rows, minDelta, margin);
  }
}

/** Binarises pixel x of a crop row: ink when darker than its window's mean by the margin. */
function binarisePixel(
  src: usize,
  dst: usize,
  top: usize,
  bot: usize,
  x: i32,
  r: i32,
  w: i32,
  rows: i32,
  minDelta: i32,
  margin: i32,
): void {
  const x0 = max(x - r, 0);
  const x1 = min(x + r, w - 1);
  const cnt = <u32>((x1 - x0 + 1) * rows);
  const sum =
    load<u32>(bot + ((<usize>(x1 + 1)) << 2)) -
    load<u32>(top + ((<usize>(x1 + 1)) << 2)) -
    load<u32>(bot + ((<usize>x0) << 2)) +
    load<u32>(top + ((<usize>x0) << 2));
  const mean = <i32>(sum / cnt);
  let delta = (mean * 3) >> 5;
  if (delta < minDelta) delta = minDelta;
  if (margin !== 100) delta = max(2, (delta * margin) / 100);
  store<u8>(dst + <usize>x, <i32>load<u8>(src + <usize>x) + delta < mean ? 1 : 0);
}

/**
 * `binarisePixel` for four columns at once from column `x`, while their windows lie wholly inside the
 * row (so the window's pixel count is fixed); returns the first column it did not do. The same integer
 * results: a window's sum (under 2^21) times 1/count in f32, plus 1e-4, truncates to the integer
 * quotient (the product is within 3e-5 of it, and a quotient's fraction is 0 or at least 1/4225, the
 * largest window's count); so does delta × margin (under 2^16) times 0.01 plus 1e-3.
 */
function binariseInterior(
  src: usize,
  dst: usize,
  top: usize,
  bot: usize,
  x: i32,
  r: i32,
  w: i32,
  rows: i32,
  minDelta: i32,
  margin: i32,
): i32 {
  const count: i32 = (2 * r + 1) * rows;
  const inv = f32x4.splat(<f32>1 / <f32>count);
  const eps = f32x4.splat(1e-4);
  const minD = i32x4.splat(minDelta);
  const scaled = margin !== 100;
  const marginV = i32x4.splat(margin);
  const hundredth = f32x4.splat(0.01);
  const epsM = f32x4.splat(1e-3);
  const two = i32x4.splat(2);
  const three = i32x4.splat(3);
  const one = i8x16.splat(1);
  for (; x + 3 + r <= w - 1; x += 4) {
    const lo = (<usize>(x - r)) << 2;
    const hi = (<usize>(x + r + 1)) << 2;
    const sum = i32x4.sub(
      i32x4.sub(v128.load(bot + hi), v128.load(top + hi)),
      i32x4.sub(v128.load(bot + lo), v128.load(top + lo)),
    );
    const mean = i32x4.trunc_sat_f32x4_s(f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(sum), inv), eps));
    let delta = i32x4.max_s(i32x4.shr_s(i32x4.mul(mean, three), 5), minD);
    if (scaled) {
      const q = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(i32x4.mul(delta, marginV)), hundredth), epsM);
      delta = i32x4.max_s(i32x4.trunc_sat_f32x4_s(q), two);
    }
    const px = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(src + <usize>x)));
    const ink = i32x4.lt_s(i32x4.add(px, delta), mean);
    const bytes = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(ink, ink), i16x8.narrow_i32x4_s(ink, ink));
    v128.store32_lane(dst + <usize>x, v128.and(bytes, one), 0);
  }
  return x;
}

function find(parents: usize, l: i32): i32 {
  while (true) {
    const p = load<i32>(parents + ((<usize>l) << 2));
    if (p === l) return l;
    const gp = load<i32>(parents + ((<usize>p) << 2));
    store<i32>(parents + ((<usize>l) << 2), gp);
    l = gp;
  }
}

function union(parents: usize, a: i32, b: i32): i32 {
  const ra = find(parents, a);
  const rb = find(parents, b);
  if (ra === rb) return ra;
  if (ra < rb) {
    store<i32>(parents + ((<usize>rb) << 2), ra);
    return ra;
  }
  store<i32>(parents + ((<usize>ra) << 2), rb);
  return rb;
}

function cf(ctx: Context, i: i32, f: i32): i32 {
  return load<i32>(ctx.components + <usize>(i * COMPONENT_FIELDS + f) * 4);
}

function setCf(ctx: Context, i: i32, f: i32, v: i32): void {
  store<i32>(ctx.components + <usize>(i * COMPONENT_FIELDS + f) * 4, v);
}

/** Diagnostics: why pieces were dropped in the last segmentation (x, y, w, h, reason per record). */
const TRACE_RECORDS: i32 = 96;
const trace = new StaticArray<i32>(TRACE_RECORDS * 5);
let traceCount = 0;

function traceBox(x: i32, y: i32, w: i32, h: i32, reason: i32): void {
  if (traceCount >= TRACE_RECORDS) return;
  const o = traceCount * 5;
  trace[o] = x;
  trace[o + 1] = y;
  trace[o + 2] = w;
  trace[o + 3] = h;
  trace[o + 4] = reason;
  traceCount++;
}

function tracePiece(ctx: Context, i: i32, reason: i32): void {
  traceBox(
    cf(ctx, i, 0),
    cf(ctx, i, 1),
    cf(ctx, i, 2) - cf(ctx, i, 0) + 1,
    cf(ctx, i, 3) - cf(ctx, i, 1) + 1,
    reason,
  );
}

/** Diagnostics: record i of the last segmentation's drop trace, field f (x, y, w, h, reason); -1 past the end. */
export function segmentTrace(i: i32, f: i32): i32 {
  return i < traceCount ? trace[i * 5 + f] : -1;
}

/** Pieces a band may hold; a band with more is texture, not a plate, and is cut short. */
const MAX_BAND_PIECES: i32 = 160;

/**
 * 8-connected components of ctx.bin within rows y0..y1 at least minH rows high; returns the count (at
 * most `cap`), boxes in ctx.components.
 */
function label(ctx: Context, y0: i32, y1: i32, minH: i32, cap: i32): i32 {
  const w = ctx.cropWidth;
  const labels = ctx.labels;
  const parents = ctx.parents;
  let next = 1;
  store<i32>(parents, 0);
  for (let y = y0; y <= y1; y++) {
    const brow = ctx.bin + <usize>(y * w);
    const lrow = labels + ((<usize>(y * w)) << 2);
    const urow = lrow - ((<usize>w) << 2);
    for (let x = 0; x < w; x++) {
      if (load<u8>(brow + <usize>x) === 0) {
        store<i32>(lrow + ((<usize>x) << 2), 0);
        continue;
      }
      let l = 0;
      if (x > 0) l = load<i32>(lrow + ((<usize>(x - 1)) << 2));
      if (y > y0) {
        const u = load<i32>(urow + ((<usize>x) << 2));
        if (u !== 0) {
          // the pixels above-left and above-right touch the one above: already its component
          l = l === 0 ? u : union(parents, l, u);
        } else {
          if (x > 0) {
            const n = load<i32>(urow + ((<usize>(x - 1)) << 2));
            if (n !== 0) l = l === 0 ? n : union(parents, l, n);
          }
          if (x + 1 < w) {
            const n = load<i32>(urow + ((<usize>(x + 1)) << 2));
            if (n !== 0) l = l === 0 ? n : union(parents, l, n);
          }
        }
      }
      if (l === 0 && next < MAX_COMPONENTS) {
        l = next;
        store<i32>(parents + ((<usize>next) << 2), next);
        next++;
      }
      store<i32>(lrow + ((<usize>x) << 2), l);
    }
  }
  // boxes per root, kept at the root's index, then compacted
  for (let l = 1; l < next; l++) {
    setCf(ctx, l, 0, 0x7fffffff);
    setCf(ctx, l, 1, 0x7fffffff);
    setCf(ctx, l, 2, -1);
    setCf(ctx, l, 3, -1);
    setCf(ctx, l, 4, 0);
  }
  for (let y = y0; y <= y1; y++) {
    const lrow = labels + ((<usize>(y * w)) << 2);
    for (let x = 0; x < w; x++) {
      const l0 = load<i32>(lrow + ((<usize>x) << 2));
      if (l0 === 0) continue;
      const l = find(parents, l0);
      if (x < cf(ctx, l, 0)) setCf(ctx, l, 0, x);
      if (y < cf(ctx, l, 1)) setCf(ctx, l, 1, y);
      if (x > cf(ctx, l, 2)) setCf(ctx, l, 2, x);
      if (y > cf(ctx, l, 3)) setCf(ctx, l, 3, y);
      setCf(ctx, l, 4, cf(ctx, l, 4) + 1);
    }
  }
  let n = 0;
  for (let l = 1; l < next; l++) {
    if (load<i32>(parents + ((<usize>l) << 2)) !== l) continue;
    // specks cannot be (part of) a character: dropping them keeps the merging below small
    if (cf(ctx, l, 4) < 3 || cf(ctx, l, 3) - cf(ctx, l, 1) + 1 < minH) continue;
    if (n >= cap) break;
    for (let f = 0; f < 5; f++) setCf(ctx, n, f, cf(ctx, l, f));
    setCf(ctx, n, 5, 1);
    n++;
  }
  return n;
}

/** Dark pixels in column x between rows y0..y1. */
function columnInk(ctx: Context, x: i32, y0: i32, y1: i32): i32 {
  let s = 0;
  for (let y = y0; y <= y1; y++) s += load<u8>(ctx.bin + <usize>(y * ctx.cropWidth + x));
  return s;
}

/** Dark share (percent) of row y between columns x0..x1. */
function rowInkPercent(ctx: Context, y: i32, x0: i32, x1: i32): i32 {
  const row = ctx.bin + <usize>(y * ctx.cropWidth);
  let s = 0;
  for (let x = x0; x <= x1; x++) s += load<u8>(row + <usize>x);
  return (s * 100) / (x1 - x0 + 1);
}

/** Ink of component i goes on past the band's top (bit 1) or bottom (bit 2) for two more rows. */
const PAST_TOP: i32 = 1;
const PAST_BOTTOM: i32 = 2;

/** Where component i touches the band's top or bottom and the ink goes on for two more rows (PAST_* bits). */
function continuesPastBand(ctx: Context, i: i32, y0: i32, y1: i32): i32 {
  const x0 = cf(ctx, i, 0);
  const x1 = cf(ctx, i, 2);
  let past = 0;
  if (cf(ctx, i, 1) <= y0 && y0 >= 2) {
    if (rowInkPercent(ctx, y0 - 1, x0, x1) >= 50 && rowInkPercent(ctx, y0 - 2, x0, x1) >= 50)
      past |= PAST_TOP;
  }
  if (cf(ctx, i, 3) >= y1 && y1 + 2 < ctx.cropHeight) {
    if (rowInkPercent(ctx, y1 + 1, x0, x1) >= 50 && rowInkPercent(ctx, y1 + 2, x0, x1) >= 50)
      past |= PAST_BOTTOM;
  }
  return past;
}

/** True when, of the band's n pieces, a character-high one lies within two band heights on each side of i. */
function betweenPieces(ctx: Context, i: i32, n: i32, bandH: i32): bool {
  const x0 = cf(ctx, i, 0);
  const x1 = cf(ctx, i, 2);
  let left = false;
  let right = false;
  for (let j = 0; j < n; j++) {
    if (j === i || cf(ctx, j, 5) === 0 || (cf(ctx, j, 3) - cf(ctx, j, 1) + 1) * 2 < bandH) continue;
    if (cf(ctx, j, 2) < x0 && x0 - cf(ctx, j, 2) <= 2 * bandH) left = true;
    if (cf(ctx, j, 0) > x1 && cf(ctx, j, 0) - x1 <= 2 * bandH) right = true;
  }
  return left && right;
}

/**
 * A piece whose ink carries on past the band is the dark surround or the plate's edge seen through the
 * band (both run on above and below it), unless it carries on one way only, stands between plate ground
 * and has characters on both sides: a character touched by an antenna, a pole or a shadow edge (the
 * plate's own ends stay off: their brackets and border look the same).
 */
function offBand(ctx: Context, i: i32, n: i32, y0: i32, y1: i32): bool {
  const past = continuesPastBand(ctx, i, y0, y1);
  if (past === 0) return false;
  if (past === (PAST_TOP | PAST_BOTTOM) || !flanked(ctx, i)) return true;
  return !betweenPieces(ctx, i, n, y1 - y0 + 1);
}

/** A piece whose ground is less than this percentage of the plate's usual ink/ground contrast is off the plate. */
const MIN_GROUND_CONTRAST_PCT: i32 = 45;

/** Mean grey of the light (not ink) pixels of columns x0..x1, rows y0..y1 of the crop; -1 if none. */
function groundMean(ctx: Context, x0: i32, x1: i32, y0: i32, y1: i32): i32 {
  x0 = max(x0, 0);
  x1 = min(x1, ctx.cropWidth - 1);
  let sum = 0;
  let count = 0;
  for (let y = y0; y <= y1; y++) {
    const o = y * ctx.cropWidth;
    for (let x = x0; x <= x1; x++) {
      if (load<u8>(ctx.bin + <usize>(o + x)) !== 0) continue;
      sum += load<u8>(ctx.crop + <usize>(o + x));
      count++;
    }
  }
  return count * 4 < (x1 - x0 + 1) * (y1 - y0 + 1) || count === 0 ? -1 : sum / count;
}

/** True when piece i is no wider than a character and has light pixels on both sides. */
function flanked(ctx: Context, i: i32): bool {
  const x0 = cf(ctx, i, 0);
  const y0 = cf(ctx, i, 1);
  const x1 = cf(ctx, i, 2);
  const y1 = cf(ctx, i, 3);
  const h = y1 - y0 + 1;
  if ((x1 - x0 + 1) * 10 > h * 9) return false;
  const d = max(2, h / 5);
  if (x0 - d < 0 || x1 + d >= ctx.cropWidth) return false;
  return groundMean(ctx, x0 - d, x0 - 1, y0, y1) >= 0 && groundMean(ctx, x1 + 1, x1 + d, y0, y1) >= 0;
}

/**
 * Drops pieces that do not stand on the plate's ground: a character has light plate on both sides (or
 * above or below it), while the edges of the national band and of the dark surround have band colour or
 * surround on one side and above and below.
 * Each of the m pieces' contrast (its darker side's ground minus its ink) is compared with the median
 * contrast; returns the number kept (compacted in place).
 */
function dropOffGround(ctx: Context, m: i32): i32 {
  if (m < 3) return m;
  const contrasts = ctx.parents;
  for (let i = 0; i < m; i++) {
    const x0 = cf(ctx, i, 0);
    const y0 = cf(ctx, i, 1);
    const x1 = cf(ctx, i, 2);
    const y1 = cf(ctx, i, 3);
    const d = max(2, (y1 - y0 + 1) / 5);
    let ink = 0;
    let inkCount = 0;
    for (let y = y0; y <= y1; y++) {
      const o = y * ctx.cropWidth;
      for (let x = x0; x <= x1; x++) {
        if (load<u8>(ctx.bin + <usize>(o + x)) === 0) continue;
        ink += load<u8>(ctx.crop + <usize>(o + x));
        inkCount++;
      }
    }
    ink = inkCount > 0 ? ink / inkCount : 0;
    const above = y0 - d < 0 ? -1 : groundMean(ctx, x0, x1, y0 - d, y0 - 1);
    const below = y1 + d >= ctx.cropHeight ? -1 : groundMean(ctx, x0, x1, y1 + 1, y1 + d);
    const left = x0 - d < 0 ? -1 : groundMean(ctx, x0 - d, x0 - 1, y0, y1);
    const right = x1 + d >= ctx.cropWidth ? -1 : groundMean(ctx, x1 + 1, x1 + d, y0, y1);
    // a character next to the national band still has plate above or below it; a band or surround
    // edge has band or surround there too; squeezed between neighbours, only above and below tell
    let ground = left < 0 ? right : right < 0 ? left : min(left, right);
    ground = ground < 0 ? max(above, below) : max(ground, max(above, below));
    // no light pixels around it at all: no evidence either way
    const c = ground < 0 ? 0x7fffffff : ground - ink;
    setCf(ctx, i, 5, c);
    insertSorted<i32>(contrasts, i, c);
  }
  const med = load<i32>(contrasts + ((<usize>(m >> 1)) << 2));
  if (med === 0x7fffffff || med <= 0) {
    for (let i = 0; i < m; i++) setCf(ctx, i, 5, 1);
    return m;
  }
  let kept = 0;
  for (let i = 0; i < m; i++) {
    const c = cf(ctx, i, 5);
    if (c !== 0x7fffffff && c * 100 < med * MIN_GROUND_CONTRAST_PCT) {
      tracePiece(ctx, i, 5);
      continue;
    }
    for (let f = 0; f < 5; f++) setCf(ctx, kept, f, cf(ctx, i, f));
    setCf(ctx, kept, 5, 1);
    kept++;
  }
  return kept;
}

/** Touching pairs (`--region any`): see splitTouchingPairs. */
const PAIR_MIN_WIDTH_PCT_OF_HEIGHT: i32 = 80;
const PAIR_MIN_WIDTH_PCT_OF_PITCH: i32 = 130;
const PAIR_MAX_BRIDGE_PCT: i32 = 15;

/**
 * Narrow European faces set their characters close, and blur joins two of them into one box only about
 * a character height wide, under the 1.25-height split above. A box at least PAIR_MIN_WIDTH_PCT_OF_HEIGHT
 * of the height and PAIR_MIN_WIDTH_PCT_OF_PITCH of the line's median box width is cut in two where a
 * column in its middle 30–70% holds at most PAIR_MAX_BRIDGE_PCT of its height in ink (the thin bridge
 * of two touching characters; the middle of an M or a W carries a whole stroke). Returns the new count.
 */
function splitTouchingPairs(ctx: Context, boxes: usize, k: i32, med: i32, cap: i32): i32 {
  // median width of the boxes that are not narrow glyphs (I, 1)
  const ws = ctx.parents;
  let m = 0;
  for (let i = 0; i < k; i++) {
    const w = load<i32>(boxes + ((<usize>i) << 4), 8);
    if (w * 10 < med * 3) continue;
    insertSorted<i32>(ws, m, w);
    m++;
  }
  if (m < 3) return k;
  const medW = load<i32>(ws + ((<usize>(m >> 1)) << 2));
  for (let i = k - 1; i >= 0 && k < cap; i--) {
    const b = boxes + ((<usize>i) << 4);
    const x = load<i32>(b);
    const y = load<i32>(b, 4);
    const w = load<i32>(b, 8);
    const h = load<i32>(b, 12);
    if (w * 100 < med * PAIR_MIN_WIDTH_PCT_OF_HEIGHT || w * 100 < medW * PAIR_MIN_WIDTH_PCT_OF_PITCH)
      continue;
    let best = -1;
    let bestInk = 0x7fffffff;
    for (let cx = x + (w * 3) / 10; cx <= x + (w * 7) / 10; cx++) {
      const ink = columnInk(ctx, cx, y, y + h - 1);
      if (ink < bestInk) {
        bestInk = ink;
        best = cx;
      }
    }
    if (best < 0 || bestInk * 100 > h * PAIR_MAX_BRIDGE_PCT) continue;
    // the right part becomes a new box after i
    memory.copy(boxes + ((<usize>(i + 2)) << 4), boxes + ((<usize>(i + 1)) << 4), (<usize>(k - i - 1)) << 4);
    const r = boxes + ((<usize>(i + 1)) << 4);
    store<i32>(r, best + 1);
    store<i32>(r, y, 4);
    store<i32>(r, x + w - best - 1, 8);
    store<i32>(r, h, 12);
    store<i32>(b, best - x, 8);
    k++;
  }
  return k;
}

/**
 * Piece i is taller than a character (median height med): cuts rows of thin ink off its ends (a pole or an
 * occluding bar joined to the character) until it is a character high or its ends are the character's.
 */
function trimThinEnds(ctx: Context, i: i32, med: i32): void {
  const x0 = cf(ctx, i, 0);
  const x1 = cf(ctx, i, 2);
  const thin = ((x1 - x0 + 1) * 45) / 100;
  let y0 = cf(ctx, i, 1);
  let y1 = cf(ctx, i, 3);
  const limit = (med * 105) / 100;
  while (y1 - y0 + 1 > limit && inkBetween(ctx, y1, x0, x1) <= thin) y1--;
  while (y1 - y0 + 1 > limit && inkBetween(ctx, y0, x0, x1) <= thin) y0++;
  setCf(ctx, i, 1, y0);
  setCf(ctx, i, 3, y1);
}

/** Dark pixels of row y between columns x0..x1. */
function inkBetween(ctx: Context, y: i32, x0: i32, x1: i32): i32 {
  const row = ctx.bin + <usize>(y * ctx.cropWidth);
  let s = 0;
  for (let x = x0; x <= x1; x++) s += load<u8>(row + <usize>x);
  return s;
}

/** Mean grey of the crop over columns x0..x1, rows y0..y1. */
function greyMean(ctx: Context, x0: i32, x1: i32, y0: i32, y1: i32): i32 {
  let sum = 0;
  for (let y = y0; y <= y1; y++) {
    const o = ctx.crop + <usize>(y * ctx.cropWidth);
    for (let x = x0; x <= x1; x++) sum += load<u8>(o + <usize>x);
  }
  return sum / ((x1 - x0 + 1) * (y1 - y0 + 1));
}

/**
 * Joins neighbouring narrow boxes that are the two halves of one character whose joining strokes blur
 * away (an H's bar, an O's arcs under vertical motion blur): both under a third of the height wide,
 * together a character's width, and the gap between them darker in its middle third (a bar) or in both
 * its top and bottom thirds (arcs) than in its lightest third, by a quarter of the ink contrast (two 1s
 * have ground between them). Returns the new box count.
 */
function joinSplitHalves(ctx: Context, boxes: usize, k: i32, med: i32): i32 {
  let i = 0;
  while (i + 1 < k) {
    const a = boxes + ((<usize>i) << 4);
    const b = a + 16;
    const ax = load<i32>(a);
    const aw = load<i32>(a, 8);
    const bx = load<i32>(b);
    const bw = load<i32>(b, 8);
    const gap = bx - (ax + aw);
    const w = bx + bw - ax;
    if (
      aw * 3 > med ||
      bw * 3 > med ||
      gap < 1 ||
      gap * 10 > med * 4 ||
      w * 100 < med * 45 ||
      w * 100 > med * 85
    ) {
      i++;
      continue;
    }
    const y0 = min(load<i32>(a, 4), load<i32>(b, 4));
    const y1 = max(load<i32>(a, 4) + load<i32>(a, 12), load<i32>(b, 4) + load<i32>(b, 12)) - 1;
    const third = max(1, (y1 - y0 + 1) / 3);
    const g0 = ax + aw;
    const g1 = bx - 1;
    // ink and ground: the darker and lighter of the two halves' own means and the gap's
    const ink = min(greyMean(ctx, ax, ax + aw - 1, y0, y1), greyMean(ctx, bx, bx + bw - 1, y0, y1));
    const top = greyMean(ctx, g0, g1, y0, y0 + third - 1);
    const mid = greyMean(ctx, g0, g1, y0 + third, y1 - third);
    const bot = greyMean(ctx, g0, g1, y1 - third + 1, y1);
    const lightest = max(top, max(mid, bot));
    // a third is dark when it is under the lightest by a quarter of the ink contrast; the join needs a
    // bar (middle) or arcs (top and bottom): a 1's flag darkens only the top of the gap between two 1s
    const t = lightest - (lightest - ink) / 4;
    if (lightest - ink <= 0 || !(mid < t || (top < t && bot < t))) {
      i++;
      continue;
    }
    traceBox(bx, load<i32>(b, 4), bw, load<i32>(b, 12), 8);
    store<i32>(a, w, 8);
    store<i32>(a, y0, 4);
    store<i32>(a, y1 - y0 + 1, 12);
    memory.copy(b, b + 16, (<usize>(k - i - 2)) << 4);
    k--;
  }
  return k;
}

/**
 * Characters of the band rows y0..y1, appended to ctx.charBoxes from index `first` (x, y, w, h);
 * returns how many were appended.
 */
function bandChars(ctx: Context, y0: i32, y1: i32, first: i32): i32 {
  const bandH = y1 - y0 + 1;
  const n = label(ctx, y0, y1, (bandH + 4) / 5, MAX_BAND_PIECES);
  // broken characters: pieces stacked in one column join
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < n; i++) {
      if (cf(ctx, i, 5) === 0) continue;
      for (let j = i + 1; j < n; j++) {
        if (cf(ctx, j, 5) === 0) continue;
        const ax0 = cf(ctx, i, 0);
        const ax1 = cf(ctx, i, 2);
        const bx0 = cf(ctx, j, 0);
        const bx1 = cf(ctx, j, 2);
        const ov = min(ax1, bx1) - max(ax0, bx0) + 1;
        const minW = min(ax1 - ax0, bx1 - bx0) + 1;
        if (ov * 10 < minW * 7) continue;
        const ny0 = min(cf(ctx, i, 1), cf(ctx, j, 1));
        const ny1 = max(cf(ctx, i, 3), cf(ctx, j, 3));
        const nx0 = min(ax0, bx0);
        const nx1 = max(ax1, bx1);
        if ((nx1 - nx0 + 1) * 10 > (ny1 - ny0 + 1) * 9) continue;
        // marks stacked with a wide gap (a colon, a crest's dots) are not one broken character
        const gap = max(cf(ctx, j, 1) - cf(ctx, i, 3), cf(ctx, i, 1) - cf(ctx, j, 3)) - 1;
        if (gap * 10 > (ny1 - ny0 + 1) * 3) continue;
        setCf(ctx, i, 0, nx0);
        setCf(ctx, i, 1, ny0);
        setCf(ctx, i, 2, nx1);
        setCf(ctx, i, 3, ny1);
        setCf(ctx, i, 4, cf(ctx, i, 4) + cf(ctx, j, 4));
        setCf(ctx, j, 5, 0);
      }
    }
  }
  // character-like: at least half the band high, not a solid block (the national band, a flag)
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (cf(ctx, i, 5) === 0) continue;
    const w = cf(ctx, i, 2) - cf(ctx, i, 0) + 1;
    const h = cf(ctx, i, 3) - cf(ctx, i, 1) + 1;
    if (h * 2 < bandH || h < 6) {
      tracePiece(ctx, i, 1);
      continue;
    }
    // a solid block is the national band or a flag, unless it is a character's size with plate ground
    // on both sides (a blurred 8 fills in); the ground test below then judges it with the rest
    if ((cf(ctx, i, 4) * 100 > w * h * 88 && w * 10 > h * 4 && !flanked(ctx, i)) || w > h * 4) {
      tracePiece(ctx, i, 2);
      continue;
    }
    // slivers and pieces that carry on past the band are the dark surround seen through the band
    if (cf(ctx, i, 4) * 100 < h * h * MIN_PIECE_AREA_PCT) {
      tracePiece(ctx, i, 3);
      continue;
    }
    if (offBand(ctx, i, n, y0, y1)) {
      tracePiece(ctx, i, 4);
      continue;
    }
    for (let f = 0; f < 5; f++) setCf(ctx, m, f, cf(ctx, i, f));
    setCf(ctx, m, 5, 1);
    m++;
  }
  if (m < 1) return 0;
  m = dropOffGround(ctx, m);
  // median height: insertion sort of heights into the parents scratch (free after labelling)
  const hs = ctx.parents;
  for (let i = 0; i < m; i++) {
    insertSorted<i32>(hs, i, cf(ctx, i, 3) - cf(ctx, i, 1) + 1);
  }
  const med = load<i32>(hs + ((<usize>(m >> 1)) << 2));
  // boxes of similar height, wide ones split at ink minima (touching characters), sorted by x
  const boxes = ctx.charBoxes + ((<usize>first) << 4);
  const cap = MAX_PLATE_CHARS * 2 - first;
  let k = 0;
  for (let i = 0; i < m && k < cap; i++) {
    if ((cf(ctx, i, 3) - cf(ctx, i, 1) + 1) * 100 > med * 122) trimThinEnds(ctx, i, med);
    const x0 = cf(ctx, i, 0);
    const cy0 = cf(ctx, i, 1);
    const x1 = cf(ctx, i, 2);
    const cy1 = cf(ctx, i, 3);
    const w = x1 - x0 + 1;
    const h = cy1 - cy0 + 1;
    if (h * 100 < med * 72 || h * 100 > med * 122) {
      tracePiece(ctx, i, 6);
      continue;
    }
    let parts = 1;
    if (w * 100 > med * 125) {
      parts = <i32>Mathf.round(<f32>w / (<f32>med * 0.66));
      if (parts < 2) parts = 2;
      if (parts > 4) parts = 4;
    }
    let start = x0;
    for (let p = 1; p <= parts && k < cap; p++) {
      let end = x1;
      if (p < parts) {
        const expect = x0 + (w * p) / parts;
        const reach = w / (parts * 4) + 1;
        let best = expect;
        let bestInk = 0x7fffffff;
        for (let x = expect - reach; x <= expect + reach; x++) {
          if (x <= start || x >= x1) continue;
          const ink = columnInk(ctx, x, cy0, cy1);
          if (ink < bestInk) {
            bestInk = ink;
            best = x;
          }
        }
        end = best - 1;
      }
      if (end >= start) {
        // insert sorted by x
        let q = k;
        while (q > 0 && load<i32>(boxes + ((<usize>(q - 1)) << 4)) > start) {
          memory.copy(boxes + ((<usize>q) << 4), boxes + ((<usize>(q - 1)) << 4), 16);
          q--;
        }
        const b = boxes + ((<usize>q) << 4);
        store<i32>(b, start);
        store<i32>(b, cy0, 4);
        store<i32>(b, end - start + 1, 8);
        store<i32>(b, h, 12);
        k++;
      }
      start = end + 2;
    }
  }
  if (k === 0) return 0;
  if (ctx.splitTouching !== 0) k = splitTouchingPairs(ctx, boxes, k, med, cap);
  k = joinSplitHalves(ctx, boxes, k, med);
  // the plate is the longest run of boxes without a gap wider than a character height
  let bestStart = 0;
  let bestLen = 0;
  let runStart = 0;
  for (let i = 1; i <= k; i++) {
    let breakHere = i === k;
    if (!breakHere) {
      const prevEnd =
        load<i32>(boxes + ((<usize>(i - 1)) << 4)) + load<i32>(boxes + ((<usize>(i - 1)) << 4), 8);
      const gap = load<i32>(boxes + ((<usize>i) << 4)) - prevEnd;
      breakHere = gap * 100 > med * 115;
    }
    if (breakHere) {
      if (i - runStart > bestLen) {
        bestLen = i - runStart;
        bestStart = runStart;
      }
      runStart = i;
    }
  }
  for (let i = 0; i < k; i++) {
    if (i >= bestStart && i < bestStart + bestLen) continue;
    const b = boxes + ((<usize>i) << 4);
    traceBox(load<i32>(b), load<i32>(b, 4), load<i32>(b, 8), load<i32>(b, 12), 7);
  }
  if (bestStart > 0) memory.copy(boxes, boxes + ((<usize>bestStart) << 4), (<usize>bestLen) << 4);
  if (ctx.fitToLine !== 0) fitToLine(ctx, boxes, bestLen);
  return bestLen;
}

/** Fewest boxes on a line whose top and baseline `fitToLine` fits. */
const FIT_MIN_BOXES: i32 = 4;

/**
 * Cuts the k boxes of one line back to the line: a box reaching above the line's top or below its
 * baseline (robust Theil–Sen lines through the boxes' tops and bottoms, as the host's `textLineBoxes`
 * fits them) by more than a tenth of the median height, at least two pixels, is a character joined to
 * something dark across its end (a bar, a bracket, dirt). Its rows are cut to the line's and its columns
 * to the ink left in them. Printed characters on a UK plate are all one height.
 */
function fitToLine(ctx: Context, boxes: usize, k: i32): void {
  if (k < FIT_MIN_BOXES) return;
  const scratch = ctx.parents;
  const heights = scratch;
  for (let i = 0; i < k; i++)
    store<f32>(heights + ((<usize>i) << 2), <f32>load<i32>(boxes + ((<usize>i) << 4), 12));
  const tol = Mathf.max(2, medianF32(heights, k) * 0.1);
  const topSlope = theilSenSlope(boxes, k, 0, scratch);
  const topAt = lineIntercept(boxes, k, 0, topSlope, scratch);
  const bottomSlope = theilSenSlope(boxes, k, 1, scratch);
  const bottomAt = lineIntercept(boxes, k, 1, bottomSlope, scratch);
  for (let i = 0; i < k; i++) {
    const b = boxes + ((<usize>i) << 4);
    const cx = boxCentreX(b);
    const top = topAt + topSlope * cx;
    const bottom = bottomAt + bottomSlope * cx;
    let y0 = load<i32>(b, 4);
    let y1 = y0 + load<i32>(b, 12);
    const over = <f32>y0 < top - tol;
    const under = <f32>y1 > bottom + tol;
    if (!over && !under) continue;
    if (over) y0 = <i32>Mathf.round(top);
    if (under) y1 = <i32>Mathf.round(bottom);
    if (y1 - y0 < 2) continue;
    let x0 = load<i32>(b);
    let x1 = x0 + load<i32>(b, 8) - 1;
    while (x0 < x1 && columnInk(ctx, x0, y0, y1 - 1) === 0) x0++;
    while (x1 > x0 && columnInk(ctx, x1, y0, y1 - 1) === 0) x1--;
    store<i32>(b, x0);
    store<i32>(b, y0, 4);
    store<i32>(b, x1 - x0 + 1, 8);
    store<i32>(b, y1 - y0, 12);
  }
}

function boxCentreX(b: usize): f32 {
  return <f32>load<i32>(b) + <f32>load<i32>(b, 8) * 0.5;
}

/** A box's top (edge 0) or bottom (edge 1, one past its last row). */
function boxEdge(b: usize, edge: i32): f32 {
  return <f32>(load<i32>(b, 4) + (edge === 1 ? load<i32>(b, 12) : 0));
}

/** Median of the pairwise slopes of the k boxes' top or bottom edges against their centres. */
function theilSenSlope(boxes: usize, k: i32, edge: i32, scratch: usize): f32 {
  let n = 0;
  for (let i = 0; i < k; i++) {
    const a = boxes + ((<usize>i) << 4);
    for (let j = i + 1; j < k; j++) {
      const b = boxes + ((<usize>j) << 4);
      const dx = boxCentreX(b) - boxCentreX(a);
      if (dx === 0) continue;
      store<f32>(scratch + ((<usize>n) << 2), (boxEdge(b, edge) - boxEdge(a, edge)) / dx);
      n++;
    }
  }
  return n > 0 ? medianF32(scratch, n) : 0;
}

/** Median of the k boxes' edge less slope × centre: where the line crosses x = 0. */
function lineIntercept(boxes: usize, k: i32, edge: i32, slope: f32, scratch: usize): f32 {
  for (let i = 0; i < k; i++) {
    const b = boxes + ((<usize>i) << 4);
    store<f32>(scratch + ((<usize>i) << 2), boxEdge(b, edge) - slope * boxCentreX(b));
  }
  return medianF32(scratch, k);
}

/** Puts v into the ascending list of the n values at `list` (4-byte values; slot n must be free or v's own). */
function insertSorted<T>(list: usize, n: i32, v: T): void {
  let k = n;
  while (k > 0 && load<T>(list + ((<usize>(k - 1)) << 2)) > v) {
    store<T>(list + ((<usize>k) << 2), load<T>(list + ((<usize>(k - 1)) << 2)));
    k--;
  }
  store<T>(list + ((<usize>k) << 2), v);
}

/** Median of the n f32 values at p (sorted in place; the mean of the middle two when n is even, as the host's). */
function medianF32(p: usize, n: i32): f32 {
  for (let i = 1; i < n; i++) insertSorted<f32>(p, i, load<f32>(p + ((<usize>i) << 2)));
  const m = load<f32>(p + ((<usize>(n >> 1)) << 2));
  return n & 1 ? m : (m + load<f32>(p + ((<usize>((n >> 1) - 1)) << 2))) * 0.5;
}

/** Dark pixels in row y of ctx.bin. */
function rowInk(ctx: Context, y: i32): i32 {
  const row = ctx.bin + <usize>(y * ctx.cropWidth);
  let s = 0;
  for (let x = 0; x < ctx.cropWidth; x++) s += load<u8>(row + <usize>x);
  return s;
}

/** Grows a band by `grow` rows each way, but never into rows that are mostly dark (border, surround). */
function growBand(ctx: Context, y0: i32, y1: i32, grow: i32, out: StaticArray<i32>, at: i32): void {
  const limit = (ctx.cropWidth * 11) / 20;
  for (let k = 0; k < grow && y0 > 0 && rowInk(ctx, y0 - 1) < limit; k++) y0--;
  for (let k = 0; k < grow && y1 < ctx.cropHeight - 1 && rowInk(ctx, y1 + 1) < limit; k++) y1++;
  while (y1 - y0 > 4 && rowInk(ctx, y0) >= limit) y0++;
  while (y1 - y0 > 4 && rowInk(ctx, y1) >= limit) y1--;
  out[at] = y0;
  out[at + 1] = y1;
}

/** Rows rich in transitions form bands; writes up to two (y0, y1) pairs to out and returns how many. */
function findBands(ctx: Context, out: StaticArray<i32>): i32 {
  const w = ctx.cropWidth;
  const h = ctx.cropHeight;
  const T = ctx.rowTransitions;
  const raw = T + ((<usize>CROP_MAX_HEIGHT) << 2);
  let maxT = 0;
  for (let y = 0; y < h; y++) {
    const row = ctx.bin + <usize>(y * w);
    let t = 0;
    let prev = load<u8>(row);
    for (let x = 1; x < w; x++) {
      const b = load<u8>(row + <usize>x);
      if (b !== prev) t++;
      prev = b;
    }
    store<i32>(raw + ((<usize>y) << 2), t);
  }
  // median of three rows (two at the ends): one noisy row must not set the threshold
  for (let y = 0; y < h; y++) {
    const a = load<i32>(raw + ((<usize>max(y - 1, 0)) << 2));
    const b = load<i32>(raw + ((<usize>y) << 2));
    const c = load<i32>(raw + ((<usize>min(y + 1, h - 1)) << 2));
    let m = max(min(a, b), min(max(a, b), c));
    if (y === 0 || y === h - 1) m = min(a, c);
    store<i32>(T + ((<usize>y) << 2), m);
    if (m > maxT) maxT = m;
  }
  // baseline: what rows without text show (border, surround edges, noise), the 30th percentile of rows
  const sorted = ctx.parents;
  for (let y = 0; y < h; y++) {
    insertSorted<i32>(sorted, y, load<i32>(T + ((<usize>y) << 2)));
  }
  const base = load<i32>(sorted + ((<usize>((h * 3) / 10)) << 2));
  let thr = base + ((maxT - base) * 2) / 5;
  if (thr < base + 4) thr = base + 4;
  // runs by hysteresis: seeded by rows over the threshold, extended through rows over a lower one
  const low = base + ((thr - base) * BAND_LOW_EIGHTHS) / 8;
  let best0 = -1;
  let best1 = -1;
  let bestSum = 0;
  let sec0 = -1;
  let sec1 = -1;
  let secSum = 0;
  let y = 0;
  while (y < h) {
    if (load<i32>(T + ((<usize>y) << 2)) < thr) {
      y++;
      continue;
    }
    let s0 = y;
    while (s0 > 0 && load<i32>(T + ((<usize>(s0 - 1)) << 2)) >= low) s0--;
    let sum = 0;
    while (y < h && load<i32>(T + ((<usize>y) << 2)) >= low) {
      sum += load<i32>(T + ((<usize>y) << 2));
      y++;
    }
    const e = y - 1;
    if (e - s0 + 1 >= 4) {
      if (sum > bestSum) {
        sec0 = best0;
        sec1 = best1;
        secSum = bestSum;
        best0 = s0;
        best1 = e;
        bestSum = sum;
      } else if (sum > secSum) {
        sec0 = s0;
        sec1 = e;
        secSum = sum;
      }
    }
    y++;
  }
  if (best0 < 0) return 0;
  const bh = best1 - best0 + 1;
  growBand(ctx, best0, best1, bh / 10 + 1, out, 0);
  if (sec0 < 0) return 1;
  const sh = sec1 - sec0 + 1;
  const gap = sec0 > best1 ? sec0 - best1 : best0 - sec1;
  if (sh * 10 < bh * 6 || sh * 10 > bh * 17 || gap > max(bh, sh)) return 1;
  if (sec0 < best0) {
    out[2] = out[0];
    out[3] = out[1];
    growBand(ctx, sec0, sec1, sh / 10 + 1, out, 0);
    out[1] = min(out[1], out[2] - 1);
  } else {
    growBand(ctx, sec0, sec1, sh / 10 + 1, out, 2);
    out[2] = max(out[2], out[1] + 1);
  }
  return 2;
}

/** Pieces of the whole crop looked at when finding text lines. */
const MAX_LINE_PIECES: i32 = 256;
/** Residual skew (slope of the character centres in the crop) worth a second, re-rotated crop. */
const RESKEW_MIN_SLOPE: f32 = 0.035;

/** A line of at most this many characters may be half of a two-line plate: look above and below it. */
const MAX_HALF_PLATE_MEMBERS: i32 = 4;

/** Slope (crop rows per column) of the character centres of the last textLines call. */
let lineSlope: f32 = 0;
/** The bands of the current segmentation came from textLines (not from row transitions). */
let linesFromChars = false;
/** Members of the line the slope was fitted on. */
let lineMembers: i32 = 0;

/** True when component i of a whole-crop labelling could be one character. */
function charLike(ctx: Context, i: i32): bool {
  const w = cf(ctx, i, 2) - cf(ctx, i, 0) + 1;
  const h = cf(ctx, i, 3) - cf(ctx, i, 1) + 1;
  if (h < 6 || h * 10 > ctx.cropHeight * 9 || w * 10 > h * 11) return false;
  // a solid block (the national band, a flag) is not a character
  if (cf(ctx, i, 4) * 100 > w * h * 88 && w * 10 > h * 4) return false;
  return cf(ctx, i, 4) * 100 >= h * h * MIN_PIECE_AREA_PCT;
}

/** Pieces i and j can be neighbours on one text line: similar height, overlapping rows, close. */
function sameLine(ctx: Context, i: i32, j: i32): bool {
  const hi = cf(ctx, i, 3) - cf(ctx, i, 1) + 1;
  const hj = cf(ctx, j, 3) - cf(ctx, j, 1) + 1;
  const hm = max(hi, hj);
  if (abs(hi - hj) * 5 > hm) return false;
  const ov = min(cf(ctx, i, 3), cf(ctx, j, 3)) - max(cf(ctx, i, 1), cf(ctx, j, 1)) + 1;
  if (ov * 10 < hm * 6) return false;
  const gap = max(cf(ctx, j, 0) - cf(ctx, i, 2), cf(ctx, i, 0) - cf(ctx, j, 2));
  return gap * 2 <= hm * 3;
}

/**
 * Text lines from the characters themselves: components of the whole crop that look like characters are
 * chained into lines (similar height, overlapping rows, at most 1.5 heights apart); the line with the
 * most members gives the band rows (its members' extent), a second line of similar height just above or
 * below makes a two-line plate. Also fits the slope of the main line's centres (lineSlope). Writes up to
 * two (y0, y1) pairs, top first, and returns how many; 0 when no line has two members.
 */
function textLines(ctx: Context, out: StaticArray<i32>): i32 {
  lineSlope = 0;
  lineMembers = 0;
  const ch = ctx.cropHeight;
  const n = label(ctx, 0, ch - 1, max(6, ch / 8), MAX_LINE_PIECES);
  const roots = ctx.parents;
  for (let i = 0; i < n; i++) {
    store<i32>(roots + ((<usize>i) << 2), i);
    setCf(ctx, i, 5, charLike(ctx, i) ? 1 : 0);
  }
  for (let i = 0; i < n; i++) {
    if (cf(ctx, i, 5) === 0) continue;
    for (let j = i + 1; j < n; j++) {
      if (cf(ctx, j, 5) !== 0 && sameLine(ctx, i, j)) union(roots, i, j);
    }
  }
  // the biggest chain, then a second one for a two-line plate
  const sizes = roots + ((<usize>MAX_LINE_PIECES) << 2);
  memory.fill(sizes, 0, (<usize>n) << 2);
  for (let i = 0; i < n; i++) {
    if (cf(ctx, i, 5) === 0) continue;
    const r = find(roots, i);
    store<i32>(sizes + ((<usize>r) << 2), load<i32>(sizes + ((<usize>r) << 2)) + 1);
  }
  let best = -1;
  let bestSize = 1;
  for (let r = 0; r < n; r++) {
    const size = load<i32>(sizes + ((<usize>r) << 2));
    if (size > bestSize) {
      bestSize = size;
      best = r;
    }
  }
  if (best < 0) return 0;
  // band rows, mean height and a least-squares line through the centres
  let y0 = 0x7fffffff;
  let y1 = -1;
  let lx0 = 0x7fffffff;
  let lx1 = -1;
  let hsum = 0;
  let sx: f32 = 0;
  let sy: f32 = 0;
  let sxx: f32 = 0;
  let sxy: f32 = 0;
  for (let i = 0; i < n; i++) {
    if (cf(ctx, i, 5) === 0 || find(roots, i) !== best) continue;
    y0 = min(y0, cf(ctx, i, 1));
    y1 = max(y1, cf(ctx, i, 3));
    lx0 = min(lx0, cf(ctx, i, 0));
    lx1 = max(lx1, cf(ctx, i, 2));
    hsum += cf(ctx, i, 3) - cf(ctx, i, 1) + 1;
    const x = <f32>(cf(ctx, i, 0) + cf(ctx, i, 2)) * 0.5;
    const y = <f32>(cf(ctx, i, 1) + cf(ctx, i, 3)) * 0.5;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const k = <f32>bestSize;
  const den = k * sxx - sx * sx;
  if (den > 0) lineSlope = (k * sxy - sx * sy) / den;
  lineMembers = bestSize;
  const h = hsum / bestSize;
  out[0] = max(0, y0 - 1);
  out[1] = min(ch - 1, y1 + 1);
  // second line: members of similar height, its centre 0.9 to 2 heights away; a lone character (a
  // dateless mark's "2" under "BIB") only when it matches the first line's height and lies under it
  let sec = -1;
  let secSize = 0;
  for (let r = 0; r < n; r++) {
    const size = load<i32>(sizes + ((<usize>r) << 2));
    if (r === best || size <= secSize) continue;
    let t0 = 0x7fffffff;
    let t1 = -1;
    let tx0 = 0x7fffffff;
    let tx1 = -1;
    for (let i = 0; i < n; i++) {
      if (cf(ctx, i, 5) === 0 || find(roots, i) !== r) continue;
      t0 = min(t0, cf(ctx, i, 1));
      t1 = max(t1, cf(ctx, i, 3));
      tx0 = min(tx0, cf(ctx, i, 0));
      tx1 = max(tx1, cf(ctx, i, 2));
    }
    const th = t1 - t0 + 1;
    const d = abs(t0 + t1 - y0 - y1) / 2;
    if (th * 10 < h * 7 || th * 10 > h * 14 || d * 10 < h * 9 || d > h * 2) continue;
    if (size === 1 && (abs(th - h) * 8 > h || d * 10 > h * 17 || tx0 < lx0 || tx1 > lx1)) continue;
    sec = r;
    secSize = size;
    out[2] = max(0, t0 - 1);
    out[3] = min(ch - 1, t1 + 1);
  }
  if (sec < 0) return 1;
  if (out[2] < out[0]) {
    const a = out[0];
    const b = out[1];
    out[0] = out[2];
    out[1] = min(out[3], a - 1);
    out[2] = a;
    out[3] = b;
  } else {
    out[2] = max(out[2], out[1] + 1);
  }
  return 2;
}

const bands = new StaticArray<i32>(4);

/** Binarises the crop with a window of about a fifth of its height. */
function binariseCrop(ctx: Context): void {
  let r = ctx.cropHeight / 5;
  if (r < 4) r = 4;
  if (r > 32) r = 32;
  binarise(ctx, r);
}

/**
 * Segments candidate `index` of the last localise call: crops and binarises it, finds its text lines
 * (re-cropping once when the characters show residual skew), cuts them into characters and fills
 * ctx.charBoxes (crop coordinates, top line first) and the result record at `result` (frame box, counts,
 * skew, char height). Returns the character count.
 */
export function segmentCandidate(ctx: Context, width: i32, height: i32, index: i32, result: usize): i32 {
  traceCount = 0;
  cropCandidate(ctx, width, height, index);
  binariseCrop(ctx);
  let nb = textLines(ctx, bands);
  let turn: f32 = 0;
  if (nb > 0 && lineMembers >= 3 && Mathf.abs(lineSlope) > RESKEW_MIN_SLOPE) {
    turn = Mathf.atan(lineSlope);
    cropCandidate(ctx, width, height, index, turn);
    binariseCrop(ctx);
    nb = textLines(ctx, bands);
  }
  if (nb === 1 && lineMembers <= MAX_HALF_PLATE_MEMBERS) {
    // a short single line may be one line of a two-line plate whose other line the candidate missed
    const members = lineMembers;
    cropCandidate(ctx, width, height, index, turn, true);
    binariseCrop(ctx);
    nb = textLines(ctx, bands);
    if (nb === 0 || (nb === 1 && lineMembers < members)) {
      cropCandidate(ctx, width, height, index, turn);
      binariseCrop(ctx);
      nb = textLines(ctx, bands);
    }
  }
  linesFromChars = nb > 0;
  if (nb === 0) nb = findBands(ctx, bands);
  if (nb === 0) return 0;
  let n = bandChars(ctx, bands[0], bands[1], 0);
  let lines = 1;
  if (nb === 2 && n > 0) {
    const n2 = bandChars(ctx, bands[2], bands[3], n);
    // a lone box is a second line only when the characters themselves showed it (textLines)
    if (n2 >= 2 || (n2 === 1 && linesFromChars)) {
      n += n2;
      lines = 2;
    }
  }
  if (n < 2) return 0;
  if (n > MAX_PLATE_CHARS) n = MAX_PLATE_CHARS;
  // group bounds, mean height (for the margins), median height (reported: a character cut short by blur
  // does not pull it down) and frame box of the plate (chars plus margins)
  let gx0 = 0x7fffffff;
  let gy0 = 0x7fffffff;
  let gx1 = -1;
  let gy1 = -1;
  let hsum = 0;
  for (let i = 0; i < n; i++) {
    const b = ctx.charBoxes + ((<usize>i) << 4);
    const x = load<i32>(b);
    const y = load<i32>(b, 4);
    const w = load<i32>(b, 8);
    const h = load<i32>(b, 12);
    gx0 = min(gx0, x);
    gy0 = min(gy0, y);
    gx1 = max(gx1, x + w);
    gy1 = max(gy1, y + h);
    hsum += h;
    store<f32>(ctx.parents + ((<usize>i) << 2), <f32>h);
  }
  const ch = <f32>hsum / <f32>n;
  const medH = medianF32(ctx.parents, n);
  const mx = ch * 0.25;
  const my = ch * 0.22;
  const u0 = <f32>gx0 - mx;
  const u1 = <f32>gx1 + mx;
  const v0 = <f32>gy0 - my;
  const v1 = <f32>gy1 + my;
  const s = ctx.cropScale;
  const c = Mathf.cos(ctx.cropAngle) * s;
  const sn = Mathf.sin(ctx.cropAngle) * s;
  const hw = <f32>ctx.cropWidth * 0.5;
  const hh = <f32>ctx.cropHeight * 0.5;
  let fx0: f32 = 1e9;
  let fy0: f32 = 1e9;
  let fx1: f32 = -1e9;
  let fy1: f32 = -1e9;
  for (let k = 0; k < 4; k++) {
    const u = (k & 1 ? u1 : u0) - hw;
    const v = (k & 2 ? v1 : v0) - hh;
    const X = ctx.cropCentreX + u * c - v * sn;
    const Y = ctx.cropCentreY + u * sn + v * c;
    fx0 = Mathf.min(fx0, X);
    fy0 = Mathf.min(fy0, Y);
    fx1 = Mathf.max(fx1, X);
    fy1 = Mathf.max(fy1, Y);
  }
  store<i32>(result + ((<usize>RESULT_X) << 2), <i32>Mathf.round(fx0));
  store<i32>(result + ((<usize>RESULT_Y) << 2), <i32>Mathf.round(fy0));
  store<i32>(result + ((<usize>RESULT_W) << 2), <i32>Mathf.round(fx1 - fx0));
  store<i32>(result + ((<usize>RESULT_H) << 2), <i32>Mathf.round(fy1 - fy0));
  store<i32>(result + ((<usize>RESULT_CHARS) << 2), n);
  store<i32>(result + ((<usize>RESULT_LINES) << 2), lines);
  store<i32>(result + ((<usize>RESULT_ANGLE_MRAD) << 2), <i32>Mathf.round(ctx.cropAngle * 1000));
  store<i32>(result + ((<usize>RESULT_SCORE) << 2), 0);
  store<i32>(result + ((<usize>RESULT_CHAR_HEIGHT_PX) << 2), <i32>Mathf.round(medH * s));
  return n;
}

/** Cuts the plate patch (PATCH_WIDTH_PX × PATCH_HEIGHT_PX grey) around the plate in `result`. */
export function cutPatch(ctx: Context, width: i32, height: i32, result: usize, dst: usize): void {
  const x = <f32>load<i32>(result + ((<usize>RESULT_X) << 2));
  const y = <f32>load<i32>(result + ((<usize>RESULT_Y) << 2));
  const w = <f32>load<i32>(result + ((<usize>RESULT_W) << 2));
  const h = <f32>load<i32>(result + ((<usize>RESULT_H) << 2));
  const a = ctx.cropAngle;
  // the plate's own length, not its rotated bounding box
  const plateLen = (w - h * Mathf.abs(Mathf.sin(a))) / Mathf.max(Mathf.cos(a), 0.5);
  const scale = (Mathf.max(plateLen, 8) * 1.1) / <f32>PATCH_WIDTH_PX;
  sampleRotated(
    ctx.frame,
    width,
    height,
    x + w * 0.5,
    y + h * 0.5,
    a,
    scale,
    dst,
    PATCH_WIDTH_PX,
    PATCH_HEIGHT_PX,
  );
}

/** Diagnostics: band rows found by the last segmentation (y0, y1, y0', y1'). */
export function lastBand(i: i32): i32 {
  return bands[i & 3];
}
