import { Canvas } from "./raster.js";

/**
 * Projective warps: a 3x3 homography from four point pairs, and a textured quad drawn into a canvas by
 * inverse mapping with bilinear sampling from a box-filtered mip chain (so shrinking a plate by 10x does
 * not alias) and a one-pixel anti-aliased edge.
 */
export type Mat3 = [number, number, number, number, number, number, number, number, number];
export type Point = [number, number];
export type Quad = [Point, Point, Point, Point];

/** H such that H * src[i] ~ dst[i] (direct linear transform, Gaussian elimination with pivoting). */
export function homography(src: Quad, dst: Quad): Mat3 {
  const A: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = src[i] as Point;
    const [u, v] = dst[i] as Point;
    A.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    A.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  const n = 8;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++)
      if (Math.abs((A[r] as number[])[c] as number) > Math.abs((A[p] as number[])[c] as number)) p = r;
    [A[c], A[p]] = [A[p] as number[], A[c] as number[]];
    const row = A[c] as number[];
    const d = row[c] as number;
    if (Math.abs(d) < 1e-12) throw new Error("degenerate quad");
    for (let k = c; k <= n; k++) row[k] = (row[k] as number) / d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const other = A[r] as number[];
      const f = other[c] as number;
      if (f === 0) continue;
      for (let k = c; k <= n; k++) other[k] = (other[k] as number) - f * (row[k] as number);
    }
  }
  const h = A.map((r) => r[n] as number);
  return [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1] as Mat3;
}

export function applyH(H: Mat3, x: number, y: number): Point {
  const w = H[6] * x + H[7] * y + H[8];
  return [(H[0] * x + H[1] * y + H[2]) / w, (H[3] * x + H[4] * y + H[5]) / w];
}

export function invert(m: Mat3): Mat3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    A / det,
    -(b * i - c * h) / det,
    (b * f - c * e) / det,
    B / det,
    (a * i - c * g) / det,
    -(a * f - c * d) / det,
    C / det,
    -(a * h - b * g) / det,
    (a * e - b * d) / det,
  ];
}

/** A canvas with its mip chain (each level half the size, 2x2 box filtered). */
export class Texture {
  readonly levels: Canvas[];
  constructor(base: Canvas) {
    this.levels = [base];
    let cur = base;
    while (cur.width >= 4 && cur.height >= 4) {
      const w = cur.width >> 1;
      const h = cur.height >> 1;
      const next = new Canvas(w, h);
      const s = cur.rgb;
      const d = next.rgb;
      const sw = cur.width;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const a = (2 * y * sw + 2 * x) * 3;
          const b = a + sw * 3;
          const o = (y * w + x) * 3;
          for (let k = 0; k < 3; k++) {
            d[o + k] =
              0.25 *
              ((s[a + k] as number) +
                (s[a + 3 + k] as number) +
                (s[b + k] as number) +
                (s[b + 3 + k] as number));
          }
        }
      }
      this.levels.push(next);
      cur = next;
    }
  }
  get width(): number {
    return (this.levels[0] as Canvas).width;
  }
  get height(): number {
    return (this.levels[0] as Canvas).height;
  }
}

export interface WarpOptions {
  /** Per-channel multiplier applied to the texture (lighting). */
  gain?: [number, number, number];
  /** Added after gain (glow, ambient). */
  offset?: number;
}

/** Draws the texture into `dst` where H maps texture pixels (level 0) to destination pixels. */
export function warpInto(dst: Canvas, tex: Texture, H: Mat3, opts: WarpOptions = {}): void {
  const tw = tex.width;
  const th = tex.height;
  const corners: Quad = [applyH(H, 0, 0), applyH(H, tw, 0), applyH(H, tw, th), applyH(H, 0, th)];
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const [x, y] of corners) {
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  const bx0 = Math.max(0, Math.floor(x0));
  const by0 = Math.max(0, Math.floor(y0));
  const bx1 = Math.min(dst.width, Math.ceil(x1));
  const by1 = Math.min(dst.height, Math.ceil(y1));
  if (bx0 >= bx1 || by0 >= by1) return;
  const topLen = Math.hypot(corners[1][0] - corners[0][0], corners[1][1] - corners[0][1]);
  const sideLen = Math.hypot(corners[3][0] - corners[0][0], corners[3][1] - corners[0][1]);
  const texelsPerPx = Math.max(tw / Math.max(1e-6, topLen), th / Math.max(1e-6, sideLen));
  let level = 0;
  while (level + 1 < tex.levels.length && texelsPerPx / 2 ** level > 1.6) level++;
  const L = tex.levels[level] as Canvas;
  const lw = L.width;
  const lh = L.height;
  const ls = 1 / 2 ** level;
  const src = L.rgb;
  const d = dst.rgb;
  const W = dst.width;
  const inv = invert(H);
  const [g0, g1, g2] = opts.gain ?? [1, 1, 1];
  const off = opts.offset ?? 0;
  const edge = 1 / texelsPerPx;
  for (let y = by0; y < by1; y++) {
    const py = y + 0.5;
    for (let x = bx0; x < bx1; x++) {
      const px = x + 0.5;
      const w = inv[6] * px + inv[7] * py + inv[8];
      const u = (inv[0] * px + inv[1] * py + inv[2]) / w;
      const v = (inv[3] * px + inv[4] * py + inv[5]) / w;
      const dist = Math.min(u, v, tw - u, th - v);
      if (dist <= -texelsPerPx * 0.5) continue;
      let a = dist * edge + 0.5;
      if (a > 1) a = 1;
      // bilinear at the chosen level
      let su = u * ls - 0.5;
      let sv = v * ls - 0.5;
      if (su < 0) su = 0;
      if (sv < 0) sv = 0;
      if (su > lw - 1) su = lw - 1;
      if (sv > lh - 1) sv = lh - 1;
      const iu = Math.min(lw - 2, su | 0);
      const iv = Math.min(lh - 2, sv | 0);
      const fu = su - iu;
      const fv = sv - iv;
      const p00 = (iv * lw + iu) * 3;
      const p10 = p00 + 3;
      const p01 = p00 + lw * 3;
      const p11 = p01 + 3;
      const w00 = (1 - fu) * (1 - fv);
      const w10 = fu * (1 - fv);
      const w01 = (1 - fu) * fv;
      const w11 = fu * fv;
      const o = (y * W + x) * 3;
      const r =
        ((src[p00] as number) * w00 +
          (src[p10] as number) * w10 +
          (src[p01] as number) * w01 +
          (src[p11] as number) * w11) *
          g0 +
        off;
      const g =
        ((src[p00 + 1] as number) * w00 +
          (src[p10 + 1] as number) * w10 +
          (src[p01 + 1] as number) * w01 +
          (src[p11 + 1] as number) * w11) *
          g1 +
        off;
      const b =
        ((src[p00 + 2] as number) * w00 +
          (src[p10 + 2] as number) * w10 +
          (src[p01 + 2] as number) * w01 +
          (src[p11 + 2] as number) * w11) *
          g2 +
        off;
      d[o] = (d[o] as number) + (r - (d[o] as number)) * a;
      d[o + 1] = (d[o + 1] as number) + (g - (d[o + 1] as number)) * a;
      d[o + 2] = (d[o + 2] as number) + (b - (d[o + 2] as number)) * a;
    }
  }
}
