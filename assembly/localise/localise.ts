// Plate localisation: text on a plate is a short horizontal band unusually dense in vertical edges.
// The frame (or its region of interest) is halved, horizontal gradients are counted per cell, dense
// cells are closed across small gaps and grouped, and each group of plate-like shape becomes a candidate
// with its skew from the principal axis of its edge pixels. (After the edge-density localisers of the
// classic ANPR literature, e.g. Anagnostopoulos et al., IEEE T-ITS 2008, and OpenALPR's detector.)
import { MAX_PLATE_CANDIDATES } from "../shared/constants";
// biome-ignore lint/style/useImportType: AssemblyScript has no type-only imports
import { CANDIDATE_FIELDS, Context } from "./context";

/** A cell is CELL_W × CELL_H half-resolution pixels (8 × 4 frame pixels). */
const CELL_W: i32 = 4;
const CELL_H: i32 = 2;
/** Edge pixels a cell needs to count as text-like. */
const CELL_MIN_EDGES: u32 = 3;
/** Shortest run of text-like cells along a row that can belong to a plate. */
const MIN_RUN: i32 = 2;
/** Gaps (in cells) closed between text-like cells of one row. */
const CELL_GAP: i32 = 2;

/** Halves the region (x0, y0, w, h) of the frame into ctx.half by 2×2 box averaging; u8 in, u8 out. */
export function downscale(ctx: Context, x0: i32, y0: i32, w: i32, h: i32, stride: i32): void {
  const hw = w >> 1;
  const hh = h >> 1;
  ctx.halfWidth = hw;
  ctx.halfHeight = hh;
  for (let y = 0; y < hh; y++) {
    const r0 = ctx.frame + <usize>((y0 + 2 * y) * stride + x0);
    const r1 = r0 + <usize>stride;
    const d = ctx.half + <usize>(y * hw);
    let x = 0;
    if (ASC_FEATURE_SIMD) {
      const two = i16x8.splat(2);
      for (; x + 8 <= hw; x += 8) {
        const a = v128.load(r0 + ((<usize>x) << 1));
        const b = v128.load(r1 + ((<usize>x) << 1));
        let s = i16x8.add(i16x8.extadd_pairwise_i8x16_u(a), i16x8.extadd_pairwise_i8x16_u(b));
        s = i16x8.shr_u(i16x8.add(s, two), 2);
        store<i64>(d + <usize>x, i64x2.extract_lane(i8x16.narrow_i16x8_u(s, s), 0));
      }
    }
    for (; x < hw; x++) {
      const p = (<usize>x) << 1;
      const sum = <u32>load<u8>(r0 + p) + load<u8>(r0 + p + 1) + load<u8>(r1 + p) + load<u8>(r1 + p + 1);
      store<u8>(d + <usize>x, <u8>((sum + 2) >> 2));
    }
  }
}

/** Counts |I(x+1) − I(x−1)| > threshold per cell of ctx.half into ctx.cellCounts (u32 per cell). */
export function countEdges(ctx: Context): void {
  const hw = ctx.halfWidth;
  const cx = hw / CELL_W;
  const cy = ctx.halfHeight / CELL_H;
  ctx.cellsX = cx;
  ctx.cellsY = cy;
  const cstride = cx + 4;
  memory.fill(ctx.cellCounts, 0, <usize>cstride * cy * 4);
  const t = ctx.edgeThreshold;
  for (let y = 0; y < cy * CELL_H; y++) {
    const row = ctx.half + <usize>(y * hw);
    const crow = ctx.cellCounts + <usize>((y / CELL_H) * cstride) * 4;
    // column 0 has no left neighbour; its cell (and the last) stays uncounted
    let x = CELL_W;
    const end = (cx - 1) * CELL_W;
    if (ASC_FEATURE_SIMD) {
      const tv = i8x16.splat(<i8>t);
      const one = i8x16.splat(1);
      for (; x + 16 <= end; x += 16) {
        const a = v128.load(row + <usize>(x + 1));
        const b = v128.load(row + <usize>(x - 1));
        // rising edges count in the low half of each cell's u32, falling edges in the high half
        const rise = v128.and(i8x16.gt_u(i8x16.sub_sat_u(a, b), tv), one);
        const fall = v128.and(i8x16.gt_u(i8x16.sub_sat_u(b, a), tv), one);
        const r4 = i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(rise));
        const f4 = i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(fall));
        const c4 = v128.or(r4, i32x4.shl(f4, 16));
        const cp = crow + ((<usize>(x >> 2)) << 2);
        v128.store(cp, i32x4.add(v128.load(cp), c4));
      }
    }
    for (; x < end; x++) {
      const a = <i32>load<u8>(row + <usize>(x + 1));
      const b = <i32>load<u8>(row + <usize>(x - 1));
      if (a - b > t) {
        const cp = crow + ((<usize>(x >> 2)) << 2);
        store<u32>(cp, load<u32>(cp) + 1);
      } else if (b - a > t) {
        const cp = crow + ((<usize>(x >> 2)) << 2);
        store<u32>(cp, load<u32>(cp) + 0x10000);
      }
    }
  }
}

/**
 * Marks text-like cells, closes small gaps along rows, groups 4-connected cells and stores plate-shaped
 * groups as candidates (frame coordinates, best score first). Returns the candidate count.
 */
export function findCandidates(ctx: Context): i32 {
  const cx = ctx.cellsX;
  const cy = ctx.cellsY;
  const cstride = cx + 4;
  const counts = ctx.cellCounts;
  const labels = ctx.cellLabels;
  // label 0: empty, -1: text-like and unvisited, >0: component id
  for (let y = 0; y < cy; y++) {
    const crow = counts + <usize>(y * cstride) * 4;
    const lrow = labels + <usize>(y * cstride) * 4;
    for (let x = 0; x < cx; x++) {
      const c = load<u32>(crow + ((<usize>x) << 2));
      const rise = c & 0xffff;
      const fall = c >> 16;
      store<i32>(lrow + ((<usize>x) << 2), rise + fall >= CELL_MIN_EDGES ? -1 : 0);
    }
  }
  for (let y = 0; y < cy; y++) {
    const lrow = labels + <usize>(y * cstride) * 4;
    let lastOn = -100;
    for (let x = 0; x < cx; x++) {
      if (load<i32>(lrow + ((<usize>x) << 2)) === -1) {
        if (x - lastOn > 1 && x - lastOn <= CELL_GAP + 1) {
          for (let g = lastOn + 1; g < x; g++) store<i32>(lrow + ((<usize>g) << 2), -2);
        }
        lastOn = x;
      }
    }
  }
  // a plate spans several cells along its row: runs shorter than MIN_RUN cells (a pole, a door line)
  // are not text
  for (let y = 0; y < cy; y++) {
    const lrow = labels + <usize>(y * cstride) * 4;
    let x = 0;
    while (x < cx) {
      if (load<i32>(lrow + ((<usize>x) << 2)) === 0) {
        x++;
        continue;
      }
      let e = x;
      while (e < cx && load<i32>(lrow + ((<usize>e) << 2)) !== 0) e++;
      if (e - x < MIN_RUN) for (let k = x; k < e; k++) store<i32>(lrow + ((<usize>k) << 2), 0);
      x = e;
    }
  }
  let n = 0;
  let id = 0;
  const stack = ctx.cellStack;
  for (let y = 0; y < cy; y++) {
    for (let x = 0; x < cx; x++) {
      const lp = labels + <usize>(y * cstride + x) * 4;
      if (load<i32>(lp) >= 0) continue;
      id++;
      let sp = 0;
      store<i32>(stack, y * cstride + x);
      sp = 1;
      store<i32>(lp, id);
      let x0 = x;
      let x1 = x;
      let y0 = y;
      let y1 = y;
      let cells = 0;
      let edges: u32 = 0;
      let rises: u32 = 0;
      while (sp > 0) {
        sp--;
        const idx = load<i32>(stack + ((<usize>sp) << 2));
        const py = idx / cstride;
        const px = idx - py * cstride;
        cells++;
        const ce = load<u32>(counts + ((<usize>idx) << 2));
        rises += ce & 0xffff;
        edges += (ce & 0xffff) + (ce >> 16);
        if (px < x0) x0 = px;
        if (px > x1) x1 = px;
        if (py < y0) y0 = py;
        if (py > y1) y1 = py;
        if (px > 0 && load<i32>(labels + ((<usize>(idx - 1)) << 2)) < 0) {
          store<i32>(labels + ((<usize>(idx - 1)) << 2), id);
          store<i32>(stack + ((<usize>sp) << 2), idx - 1);
          sp++;
        }
        if (px + 1 < cx && load<i32>(labels + ((<usize>(idx + 1)) << 2)) < 0) {
          store<i32>(labels + ((<usize>(idx + 1)) << 2), id);
          store<i32>(stack + ((<usize>sp) << 2), idx + 1);
          sp++;
        }
        if (py > 0 && load<i32>(labels + ((<usize>(idx - cstride)) << 2)) < 0) {
          store<i32>(labels + ((<usize>(idx - cstride)) << 2), id);
          store<i32>(stack + ((<usize>sp) << 2), idx - cstride);
          sp++;
        }
        if (py + 1 < cy && load<i32>(labels + ((<usize>(idx + cstride)) << 2)) < 0) {
          store<i32>(labels + ((<usize>(idx + cstride)) << 2), id);
          store<i32>(stack + ((<usize>sp) << 2), idx + cstride);
          sp++;
        }
      }
      if (plateShaped(x1 - x0 + 1, y1 - y0 + 1, cells)) {
        n = addCandidate(ctx, n, id, x0, y0, x1, y1, cells, edges, rises);
      } else {
        n = addStemBands(ctx, n, id, x0, y0, x1, y1);
      }
    }
  }
  ctx.candidateCount = mergeLines(ctx, n);
  return ctx.candidateCount;
}

/** Plate text: at least ~48 frame px wide, 8 high, wider than tall, not a huge textured area (cells). */
function plateShaped(wc: i32, hc: i32, cells: i32): bool {
  if (wc < 6 || hc < 2 || wc > 90 || hc > 70) return false;
  if (wc * CELL_W * 10 < hc * CELL_H * 12) return false;
  return cells * 10 >= wc * hc * 3;
}

/**
 * Adds group `id` (cell box x0..x1, y0..y1) to the bounded candidate list, ordered by edge count, when
 * its edges are of both polarities (text strokes give dark-to-light and light-to-dark edges alike; a
 * shadow's edge gives one kind). Returns the new count.
 */
function addCandidate(
  ctx: Context,
  n: i32,
  id: i32,
  x0: i32,
  y0: i32,
  x1: i32,
  y1: i32,
  cells: i32,
  edges: u32,
  rises: u32,
): i32 {
  if (rises * 5 < edges || (edges - rises) * 5 < edges) return n;
  const score = <i32>edges;
  let pos = n;
  while (pos > 0 && load<i32>(ctx.candidates + <usize>((pos - 1) * CANDIDATE_FIELDS + 4) * 4) < score) pos--;
  if (pos >= MAX_PLATE_CANDIDATES) return n;
  const last = n < MAX_PLATE_CANDIDATES ? n : MAX_PLATE_CANDIDATES - 1;
  for (let k = last; k > pos; k--) {
    memory.copy(
      ctx.candidates + <usize>(k * CANDIDATE_FIELDS) * 4,
      ctx.candidates + <usize>((k - 1) * CANDIDATE_FIELDS) * 4,
      <usize>CANDIDATE_FIELDS * 4,
    );
  }
  if (n < MAX_PLATE_CANDIDATES) n++;
  const c = ctx.candidates + <usize>(pos * CANDIDATE_FIELDS) * 4;
  store<i32>(c, ctx.roiX + x0 * CELL_W * 2);
  store<i32>(c, ctx.roiY + y0 * CELL_H * 2, 4);
  store<i32>(c, (x1 - x0 + 1) * CELL_W * 2, 8);
  store<i32>(c, (y1 - y0 + 1) * CELL_H * 2, 12);
  store<i32>(c, score, 16);
  store<i32>(c, skewMrad(ctx, id, x0, y0, x1, y1, ctx.halfWidth), 20);
  store<i32>(c, cells, 24);
  return n;
}

/** Rows of a group at most this many cells wide are a stem (a pole, a wire, a door edge), not text. */
const STEM_CELLS: i32 = 2;

/**
 * A pole or a wire through a plate joins the plate's cells to its own long run of one or two cells, into
 * a tall, sparse group that is not plate-shaped: each band of the group's rows wider than a stem is tried
 * as a candidate on its own. Returns the new candidate count.
 */
function addStemBands(ctx: Context, n: i32, id: i32, x0: i32, y0: i32, x1: i32, y1: i32): i32 {
  const cstride = ctx.cellsX + 4;
  let y = y0;
  while (y <= y1) {
    // the next band: consecutive rows with more than STEM_CELLS cells of the group
    let b0 = -1;
    let bx0 = x1;
    let bx1 = x0;
    let cells = 0;
    let edges: u32 = 0;
    let rises: u32 = 0;
    for (; y <= y1; y++) {
      let k = 0;
      let rx0 = x1;
      let rx1 = x0;
      for (let x = x0; x <= x1; x++) {
        if (load<i32>(ctx.cellLabels + <usize>(y * cstride + x) * 4) !== id) continue;
        k++;
        if (x < rx0) rx0 = x;
        if (x > rx1) rx1 = x;
      }
      if (k <= STEM_CELLS) {
        if (b0 >= 0) break;
        continue;
      }
      if (b0 < 0) b0 = y;
      bx0 = min(bx0, rx0);
      bx1 = max(bx1, rx1);
      for (let x = rx0; x <= rx1; x++) {
        const idx = y * cstride + x;
        if (load<i32>(ctx.cellLabels + <usize>idx * 4) !== id) continue;
        const ce = load<u32>(ctx.cellCounts + <usize>idx * 4);
        cells++;
        rises += ce & 0xffff;
        edges += (ce & 0xffff) + (ce >> 16);
      }
    }
    if (b0 < 0) break;
    const b1 = y - 1;
    if ((b0 > y0 || b1 < y1) && plateShaped(bx1 - bx0 + 1, b1 - b0 + 1, cells))
      n = addCandidate(ctx, n, id, bx0, b0, bx1, b1, cells, edges, rises);
  }
  return n;
}

/**
 * A two-line plate (motorcycle, square) shows as two stacked bands of similar width: each line alone
 * reads as a short, plausible mark ("NU62" of NU62 FET). Each such pair also becomes one candidate
 * spanning both lines, so segmentation sees the plate whole; the line candidates stay (segmentation
 * keeps the reading with more characters where results overlap). Returns the new count.
 */
function mergeLines(ctx: Context, n: i32): i32 {
  const count = n;
  for (let a = 0; a < count; a++) {
    const pa = ctx.candidates + <usize>(a * CANDIDATE_FIELDS) * 4;
    const ax = load<i32>(pa);
    const ay = load<i32>(pa, 4);
    const aw = load<i32>(pa, 8);
    const ah = load<i32>(pa, 12);
    for (let b = 0; b < count; b++) {
      if (b === a) continue;
      const pb = ctx.candidates + <usize>(b * CANDIDATE_FIELDS) * 4;
      const bx = load<i32>(pb);
      const by = load<i32>(pb, 4);
      const bw = load<i32>(pb, 8);
      const bh = load<i32>(pb, 12);
      // b is the lower line: below a, close, about as wide and as tall, mostly under it
      if (by <= ay) continue;
      const gap = by - (ay + ah);
      if (gap > (max(ah, bh) * 3) / 4 || gap < -(min(ah, bh) >> 1)) continue;
      if (aw * 10 > bw * 25 || bw * 10 > aw * 25 || ah * 10 > bh * 18 || bh * 10 > ah * 18) continue;
      const ov = min(ax + aw, bx + bw) - max(ax, bx);
      if (ov * 10 < min(aw, bw) * 6) continue;
      // both lines together are no wider than ~2.5 times their height: a square plate, not two plates
      const x0 = min(ax, bx);
      const x1 = max(ax + aw, bx + bw);
      const y1 = by + bh;
      if ((x1 - x0) * 10 > (y1 - ay) * 25) continue;
      // appended (over the weakest candidate when the list is full)
      const slot = n < MAX_PLATE_CANDIDATES ? n++ : MAX_PLATE_CANDIDATES - 1;
      if (slot === a || slot === b) continue;
      const c = ctx.candidates + <usize>(slot * CANDIDATE_FIELDS) * 4;
      store<i32>(c, x0);
      store<i32>(c, ay, 4);
      store<i32>(c, x1 - x0, 8);
      store<i32>(c, y1 - ay, 12);
      store<i32>(c, load<i32>(pa, 16) + load<i32>(pb, 16), 16);
      store<i32>(c, (load<i32>(pa, 20) + load<i32>(pb, 20)) / 2, 20);
      store<i32>(c, load<i32>(pa, 24) + load<i32>(pb, 24), 24);
      break;
    }
  }
  return n;
}

/** Skew of a component from the principal axis of its edge pixels (milliradians, 0 if not elongated). */
function skewMrad(ctx: Context, id: i32, x0: i32, y0: i32, x1: i32, y1: i32, hw: i32): i32 {
  const cstride = ctx.cellsX + 4;
  const t = ctx.edgeThreshold;
  let n: f64 = 0;
  let sx: f64 = 0;
  let sy: f64 = 0;
  let sxx: f64 = 0;
  let syy: f64 = 0;
  let sxy: f64 = 0;
  for (let py = y0 * CELL_H; py < (y1 + 1) * CELL_H; py++) {
    const row = ctx.half + <usize>(py * hw);
    const lrow = ctx.cellLabels + <usize>((py / CELL_H) * cstride) * 4;
    for (let px = x0 * CELL_W; px < (x1 + 1) * CELL_W; px++) {
      if (load<i32>(lrow + ((<usize>(px / CELL_W)) << 2)) !== id) continue;
      const a = <i32>load<u8>(row + <usize>(px + 1));
      const b = <i32>load<u8>(row + <usize>(px - 1));
      const g = a > b ? a - b : b - a;
      if (g <= t) continue;
      const fx = <f64>px;
      const fy = <f64>py;
      n += 1;
      sx += fx;
      sy += fy;
      sxx += fx * fx;
      syy += fy * fy;
      sxy += fx * fy;
    }
  }
  if (n < 8) return 0;
  const mx = sx / n;
  const my = sy / n;
  const cxx = sxx / n - mx * mx;
  const cyy = syy / n - my * my;
  const cxy = sxy / n - mx * my;
  // only a clearly elongated band has a trustworthy axis
  const tr = cxx + cyy;
  const det = cxx * cyy - cxy * cxy;
  const disc = Math.sqrt(Math.max(0, (tr * tr) / 4 - det));
  const l1 = tr / 2 + disc;
  const l2 = tr / 2 - disc;
  if (l1 < 6 * Math.max(l2, 1e-6)) return 0;
  let a = 0.5 * Math.atan2(2 * cxy, cxx - cyy);
  if (a > 0.21) a = 0.21;
  if (a < -0.21) a = -0.21;
  return <i32>Math.round(a * 1000);
}

/** Localises plate candidates in the region (x, y, w, h) of the frame in ctx.frame. Returns the count. */
export function localise(ctx: Context, width: i32, height: i32, x: i32, y: i32, w: i32, h: i32): i32 {
  if (x < 0) x = 0;
  if (y < 0) y = 0;
  if (w <= 0 || x + w > width) w = width - x;
  if (h <= 0 || y + h > height) h = height - y;
  x &= ~1;
  y &= ~1;
  w &= ~1;
  h &= ~1;
  ctx.roiX = x;
  ctx.roiY = y;
  ctx.candidateCount = 0;
  if (w < 32 || h < 16) return 0;
  downscale(ctx, x, y, w, h, width);
  countEdges(ctx);
  return findCandidates(ctx);
}
