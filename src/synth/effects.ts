import type { Canvas } from "./raster.js";
import type { Rng } from "./rng.js";

/**
 * Image conditions applied to float RGB canvases: blur (defocus, motion), sensor noise, infrared night
 * look, glare and block-DCT compression. Loops run over typed arrays without per-pixel closures.
 */
export type Rect = [number, number, number, number];

function clampRect(c: Canvas, r?: Rect): Rect {
  if (!r) return [0, 0, c.width, c.height];
  const x0 = Math.max(0, Math.floor(r[0]));
  const y0 = Math.max(0, Math.floor(r[1]));
  const x1 = Math.min(c.width, Math.ceil(r[0] + r[2]));
  const y1 = Math.min(c.height, Math.ceil(r[1] + r[3]));
  return [x0, y0, Math.max(0, x1 - x0), Math.max(0, y1 - y0)];
}

const scratch = { buf: new Float32Array(0), sums: new Float64Array(0) };

/**
 * Running-sum box blur of length `len` pixels (fractional ends weighted) along x or y. Both directions
 * walk memory row by row: the region is copied once and the sums run across rows for y.
 */
export function boxBlur1d(c: Canvas, len: number, axis: "x" | "y", region?: Rect): void {
  if (len <= 1.01) return;
  const [rx, ry, rw, rh] = clampRect(c, region);
  if (rw < 2 || rh < 2) return;
  const rowLen = rw * 3;
  if (scratch.buf.length < rowLen * rh) scratch.buf = new Float32Array(rowLen * rh);
  const src = scratch.buf;
  const d = c.rgb;
  const W3 = c.width * 3;
  for (let y = 0; y < rh; y++) {
    const o = (ry + y) * W3 + rx * 3;
    src.set(d.subarray(o, o + rowLen), y * rowLen);
  }
  const half = (len - 1) / 2;
  const whole = Math.floor(half);
  const frac = half - whole;
  const norm = 1 / len;
  if (axis === "x") {
    for (let y = 0; y < rh; y++) {
      const base = y * rowLen;
      const out = (ry + y) * W3 + rx * 3;
      for (let k = 0; k < 3; k++) {
        let sum = 0;
        for (let j = -whole; j <= whole; j++)
          sum += src[base + Math.min(rw - 1, Math.max(0, j)) * 3 + k] as number;
        for (let i = 0; i < rw; i++) {
          const lo = src[base + Math.max(0, i - whole - 1) * 3 + k] as number;
          const hi = src[base + Math.min(rw - 1, i + whole + 1) * 3 + k] as number;
          d[out + i * 3 + k] = (sum + frac * (lo + hi)) * norm;
          sum += hi - (src[base + Math.max(0, i - whole) * 3 + k] as number);
        }
      }
    }
    return;
  }
  if (scratch.sums.length < rowLen) scratch.sums = new Float64Array(rowLen);
  const sums = scratch.sums;
  sums.fill(0, 0, rowLen);
  for (let j = -whole; j <= whole; j++) {
    const row = Math.min(rh - 1, Math.max(0, j)) * rowLen;
    for (let x = 0; x < rowLen; x++) sums[x] = (sums[x] as number) + (src[row + x] as number);
  }
  for (let y = 0; y < rh; y++) {
    const lo = Math.max(0, y - whole - 1) * rowLen;
    const hi = Math.min(rh - 1, y + whole + 1) * rowLen;
    const drop = Math.max(0, y - whole) * rowLen;
    const out = (ry + y) * W3 + rx * 3;
    for (let x = 0; x < rowLen; x++) {
      const h = src[hi + x] as number;
      d[out + x] = ((sums[x] as number) + frac * ((src[lo + x] as number) + h)) * norm;
      sums[x] = (sums[x] as number) + h - (src[drop + x] as number);
    }
  }
}

/** Defocus: two box passes each way approximate a Gaussian of about `radiusPx`. */
export function defocus(c: Canvas, radiusPx: number, region?: Rect): void {
  if (radiusPx < 0.3) return;
  const len = 1 + radiusPx * 1.4;
  for (let pass = 0; pass < 2; pass++) {
    boxBlur1d(c, len, "x", region);
    boxBlur1d(c, len, "y", region);
  }
}

/** A table of standard normal samples shared by every frame (offset randomly per frame). */
let noiseTable: Float32Array | undefined;
const NOISE_LEN = 1 << 20;

function table(): Float32Array {
  if (!noiseTable) {
    noiseTable = new Float32Array(NOISE_LEN);
    // fixed generator, independent of any scene seed: the per-frame offset carries the randomness
    let s = 0x2545f491;
    for (let i = 0; i < NOISE_LEN; i += 2) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const u = (s + 1) / 4294967297;
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const v = s / 4294967296;
      const r = Math.sqrt(-2 * Math.log(u));
      noiseTable[i] = r * Math.cos(2 * Math.PI * v);
      noiseTable[i + 1] = r * Math.sin(2 * Math.PI * v);
    }
  }
  return noiseTable;
}

/** Gaussian sensor noise of `sigma` grey levels (luma-correlated across channels, plus a little chroma). */
export function addNoise(c: Canvas, sigma: number, rng: Rng): void {
  if (sigma <= 0) return;
  const t = table();
  const d = c.rgb;
  const n = c.width * c.height;
  let p = rng.int(0, NOISE_LEN - 1);
  const step = 1 + rng.int(0, 6) * 2;
  const chroma = sigma * 0.3;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    p = (p + step) & (NOISE_LEN - 1);
    const l = (t[p] as number) * sigma;
    const q = (t[(p + 7919) & (NOISE_LEN - 1)] as number) * chroma;
    d[j] = (d[j] as number) + l + q;
    d[j + 1] = (d[j + 1] as number) + l;
    d[j + 2] = (d[j + 2] as number) + l - q;
  }
}

/** Infrared night look: grey, dark, with a little ambient; plates are drawn bright afterwards. */
export function nightInfrared(c: Canvas, level: number, region?: Rect): void {
  const [rx, ry, rw, rh] = clampRect(c, region);
  const d = c.rgb;
  for (let y = ry; y < ry + rh; y++) {
    for (let x = rx, o = (y * c.width + rx) * 3; x < rx + rw; x++, o += 3) {
      const v =
        (0.299 * (d[o] as number) + 0.587 * (d[o + 1] as number) + 0.114 * (d[o + 2] as number)) * level;
      d[o] = v;
      d[o + 1] = v;
      d[o + 2] = v;
    }
  }
}

/** A soft bright spot (sun glint, headlight glare) added around (cx, cy). */
export function glare(c: Canvas, cx: number, cy: number, radiusPx: number, strength: number): void {
  const x0 = Math.max(0, Math.floor(cx - radiusPx));
  const x1 = Math.min(c.width, Math.ceil(cx + radiusPx));
  const y0 = Math.max(0, Math.floor(cy - radiusPx));
  const y1 = Math.min(c.height, Math.ceil(cy + radiusPx));
  const d = c.rgb;
  const inv = 1 / (radiusPx * radiusPx);
  for (let y = y0; y < y1; y++) {
    const dy = y + 0.5 - cy;
    for (let x = x0; x < x1; x++) {
      const dx = x + 0.5 - cx;
      const t = 1 - (dx * dx + dy * dy) * inv;
      if (t <= 0) continue;
      const add = strength * t * t;
      const o = (y * c.width + x) * 3;
      d[o] = (d[o] as number) + add;
      d[o + 1] = (d[o + 1] as number) + add;
      d[o + 2] = (d[o + 2] as number) + add;
    }
  }
}

const DCT = (() => {
  const m = new Float64Array(64);
  for (let k = 0; k < 8; k++)
    for (let n = 0; n < 8; n++)
      m[k * 8 + n] = (k === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * n + 1) * k * Math.PI) / 16);
  return m;
})();

/**
 * JPEG-like compression artefacts: each 8x8 block of each channel goes through a DCT, coefficients are
 * quantised with a step growing with frequency (base `quality` step, 2-30), and transformed back.
 */
export function blockCompress(c: Canvas, step: number, region?: Rect): void {
  const blk = new Float64Array(64);
  const tmp = new Float64Array(64);
  const q = new Float64Array(64);
  for (let u = 0; u < 8; u++) for (let v = 0; v < 8; v++) q[u * 8 + v] = step * (1 + (u + v) * 0.5);
  q[0] = Math.max(1, step * 0.5);
  const d = c.rgb;
  const W = c.width;
  const [rx, ry, rw, rh] = clampRect(c, region);
  const bx0 = rx & ~7;
  const by0 = ry & ~7;
  for (let by = by0; by + 8 <= Math.min(c.height, ry + rh + 7); by += 8) {
    for (let bx = bx0; bx + 8 <= Math.min(W, rx + rw + 7); bx += 8) {
      for (let ch = 0; ch < 3; ch++) {
        for (let y = 0; y < 8; y++)
          for (let x = 0; x < 8; x++) blk[y * 8 + x] = (d[((by + y) * W + bx + x) * 3 + ch] as number) - 128;
        // rows then columns
        for (let y = 0; y < 8; y++)
          for (let k = 0; k < 8; k++) {
            let s = 0;
            for (let n = 0; n < 8; n++) s += (DCT[k * 8 + n] as number) * (blk[y * 8 + n] as number);
            tmp[y * 8 + k] = s;
          }
        for (let x = 0; x < 8; x++)
          for (let k = 0; k < 8; k++) {
            let s = 0;
            for (let n = 0; n < 8; n++) s += (DCT[k * 8 + n] as number) * (tmp[n * 8 + x] as number);
            const qq = q[k * 8 + x] as number;
            blk[k * 8 + x] = Math.round(s / qq) * qq;
          }
        for (let x = 0; x < 8; x++)
          for (let n = 0; n < 8; n++) {
            let s = 0;
            for (let k = 0; k < 8; k++) s += (DCT[k * 8 + n] as number) * (blk[k * 8 + x] as number);
            tmp[n * 8 + x] = s;
          }
        for (let y = 0; y < 8; y++)
          for (let n = 0; n < 8; n++) {
            let s = 0;
            for (let k = 0; k < 8; k++) s += (DCT[k * 8 + n] as number) * (tmp[y * 8 + k] as number);
            d[((by + y) * W + bx + n) * 3 + ch] = s + 128;
          }
      }
    }
  }
}
