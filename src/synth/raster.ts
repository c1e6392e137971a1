/**
 * The generator's own rasteriser: polygons (any number of closed contours, non-zero winding, so
 * consistently oriented pieces fill as their union) scan-converted with anti-aliasing: SUB_ROWS
 * sub-scanlines per pixel row and exact horizontal span coverage. Images are RGB Float32 (0..255).
 */

/** A closed contour: x0, y0, x1, y1, ... in pixels (the last point joins the first). */
export type Contour = number[];

const SUB_ROWS = 5;

export class Canvas {
  readonly rgb: Float32Array;
  /** Scratch coverage (0..1), always left zeroed between calls. */
  private readonly cov: Float32Array;
  private readonly xs: Float64Array;
  private readonly dirs: Int8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    rgb?: Float32Array,
  ) {
    this.rgb = rgb ?? new Float32Array(width * height * 3);
    this.cov = new Float32Array(width * height);
    this.xs = new Float64Array(4096);
    this.dirs = new Int8Array(4096);
  }

  fill(r: number, g: number, b: number): void {
    const d = this.rgb;
    for (let i = 0; i < d.length; i += 3) {
      d[i] = r;
      d[i + 1] = g;
      d[i + 2] = b;
    }
  }

  /**
   * Scan-converts the contours into the coverage buffer and returns the touched pixel rectangle
   * [x0, y0, x1, y1) or undefined when nothing is inside the canvas.
   */
  private cover(contours: readonly Contour[]): [number, number, number, number] | undefined {
    const W = this.width;
    const H = this.height;
    // Edges as flat arrays: x0, y0, x1, y1 with y0 < y1, and direction.
    let n = 0;
    for (const c of contours) n += c.length >> 1;
    const ex0 = new Float64Array(n);
    const ey0 = new Float64Array(n);
    const ex1 = new Float64Array(n);
    const ey1 = new Float64Array(n);
    const edir = new Int8Array(n);
    let m = 0;
    let minX = Number.POSITIVE_INFINITY;
    let maxX = Number.NEGATIVE_INFINITY;
    let minY = Number.POSITIVE_INFINITY;
    let maxY = Number.NEGATIVE_INFINITY;
    for (const c of contours) {
      const k = c.length >> 1;
      for (let i = 0; i < k; i++) {
        const ax = c[2 * i] as number;
        const ay = c[2 * i + 1] as number;
        const j = i + 1 === k ? 0 : i + 1;
        const bx = c[2 * j] as number;
        const by = c[2 * j + 1] as number;
        if (ax < minX) minX = ax;
        if (ax > maxX) maxX = ax;
        if (ay < minY) minY = ay;
        if (ay > maxY) maxY = ay;
        if (ay === by) continue;
        if (ay < by) {
          ex0[m] = ax;
          ey0[m] = ay;
          ex1[m] = bx;
          ey1[m] = by;
          edir[m] = 1;
        } else {
          ex0[m] = bx;
          ey0[m] = by;
          ex1[m] = ax;
          ey1[m] = ay;
          edir[m] = -1;
        }
        m++;
      }
    }
    if (m === 0) return undefined;
    const px0 = Math.max(0, Math.floor(minX));
    const px1 = Math.min(W, Math.ceil(maxX) + 1);
    const py0 = Math.max(0, Math.floor(minY));
    const py1 = Math.min(H, Math.ceil(maxY));
    if (px0 >= px1 || py0 >= py1) return undefined;
    // Edges sorted by top y so each sub-scanline only scans the edges that have started.
    const order = Array.from({ length: m }, (_, i) => i).sort(
      (a, b) => (ey0[a] as number) - (ey0[b] as number),
    );
    const active: number[] = [];
    let next = 0;
    const xs = this.xs;
    const dirs = this.dirs;
    const cov = this.cov;
    const w = 1 / SUB_ROWS;
    for (let py = py0; py < py1; py++) {
      const row = py * W;
      for (let s = 0; s < SUB_ROWS; s++) {
        const sy = py + (s + 0.5) * w;
        while (next < m && (ey0[order[next] as number] as number) <= sy) active.push(order[next++] as number);
        let cnt = 0;
        for (let ai = active.length - 1; ai >= 0; ai--) {
          const e = active[ai] as number;
          const y1 = ey1[e] as number;
          if (y1 <= sy) {
            active[ai] = active[active.length - 1] as number;
            active.pop();
            continue;
          }
          const y0 = ey0[e] as number;
          if (y0 > sy) continue;
          const x0 = ex0[e] as number;
          const x = x0 + ((sy - y0) * ((ex1[e] as number) - x0)) / (y1 - y0);
          // insertion sort as we go
          let p = cnt;
          while (p > 0 && (xs[p - 1] as number) > x) {
            xs[p] = xs[p - 1] as number;
            dirs[p] = dirs[p - 1] as number;
            p--;
          }
          xs[p] = x;
          dirs[p] = edir[e] as number;
          cnt++;
          if (cnt >= xs.length) break;
        }
        let wind = 0;
        let spanStart = 0;
        for (let i = 0; i < cnt; i++) {
          const before = wind;
          wind += dirs[i] as number;
          if (before === 0 && wind !== 0) spanStart = xs[i] as number;
          else if (before !== 0 && wind === 0) {
            let xa = spanStart;
            let xb = xs[i] as number;
            if (xa < 0) xa = 0;
            if (xb > W) xb = W;
            if (xb <= xa) continue;
            const ia = Math.floor(xa);
            const ib = Math.floor(xb);
            if (ia === ib) {
              cov[row + ia] = (cov[row + ia] as number) + (xb - xa) * w;
            } else {
              cov[row + ia] = (cov[row + ia] as number) + (ia + 1 - xa) * w;
              for (let x = ia + 1; x < ib; x++) cov[row + x] = (cov[row + x] as number) + w;
              if (ib < W) cov[row + ib] = (cov[row + ib] as number) + (xb - ib) * w;
            }
          }
        }
      }
    }
    return [px0, py0, px1, py1];
  }

  /** Fills the union of the contours with a colour at the given opacity. */
  fillPolygons(contours: readonly Contour[], r: number, g: number, b: number, alpha = 1): void {
    const box = this.cover(contours);
    if (!box) return;
    const [x0, y0, x1, y1] = box;
    const cov = this.cov;
    const d = this.rgb;
    const W = this.width;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = y * W + x;
        let c = cov[i] as number;
        if (c === 0) continue;
        cov[i] = 0;
        if (c > 1) c = 1;
        const a = c * alpha;
        const j = i * 3;
        d[j] = (d[j] as number) + (r - (d[j] as number)) * a;
        d[j + 1] = (d[j + 1] as number) + (g - (d[j + 1] as number)) * a;
        d[j + 2] = (d[j + 2] as number) + (b - (d[j + 2] as number)) * a;
      }
    }
  }

  /** Multiplies the colour under the contours by `factor` (shadows, tinted glass). */
  shadePolygons(contours: readonly Contour[], factor: number): void {
    const box = this.cover(contours);
    if (!box) return;
    const [x0, y0, x1, y1] = box;
    const cov = this.cov;
    const d = this.rgb;
    const W = this.width;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = y * W + x;
        let c = cov[i] as number;
        if (c === 0) continue;
        cov[i] = 0;
        if (c > 1) c = 1;
        const f = 1 + (factor - 1) * c;
        const j = i * 3;
        d[j] = (d[j] as number) * f;
        d[j + 1] = (d[j + 1] as number) * f;
        d[j + 2] = (d[j + 2] as number) * f;
      }
    }
  }

  /** A copy of a rectangle as a new canvas. */
  crop(x: number, y: number, w: number, h: number): Canvas {
    const out = new Canvas(w, h);
    for (let row = 0; row < h; row++) {
      const sy = Math.min(this.height - 1, Math.max(0, y + row));
      for (let col = 0; col < w; col++) {
        const sx = Math.min(this.width - 1, Math.max(0, x + col));
        const s = (sy * this.width + sx) * 3;
        const o = (row * w + col) * 3;
        out.rgb[o] = this.rgb[s] as number;
        out.rgb[o + 1] = this.rgb[s + 1] as number;
        out.rgb[o + 2] = this.rgb[s + 2] as number;
      }
    }
    return out;
  }

  /** 8-bit RGB, clamped and rounded. */
  toRgb8(out: Uint8Array = new Uint8Array(this.width * this.height * 3)): Uint8Array {
    // A clamped array's typed-array set converts with clamping and rounding in native code.
    new Uint8ClampedArray(out.buffer, out.byteOffset, out.length).set(this.rgb);
    return out;
  }

  /** 8-bit grey (ITU-R BT.601 luma). */
  toGrey8(out: Uint8Array = new Uint8Array(this.width * this.height)): Uint8Array {
    const d = this.rgb;
    for (let i = 0, j = 0; i < out.length; i++, j += 3) {
      const v = 0.299 * (d[j] as number) + 0.587 * (d[j + 1] as number) + 0.114 * (d[j + 2] as number);
      out[i] = v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0;
    }
    return out;
  }
}

/** An axis-aligned rectangle contour. */
export function rect(x0: number, y0: number, x1: number, y1: number): Contour {
  return [x0, y0, x1, y0, x1, y1, x0, y1];
}

/** An ellipse contour (clockwise on screen, like rect). */
export function ellipse(cx: number, cy: number, rx: number, ry: number, steps = 32): Contour {
  const c: Contour = [];
  for (let i = 0; i < steps; i++) {
    const a = (2 * Math.PI * i) / steps;
    c.push(cx + rx * Math.cos(a), cy + ry * Math.sin(a));
  }
  return c;
}

/** A rectangle with rounded corners of radius r. */
export function roundRect(x0: number, y0: number, x1: number, y1: number, r: number, steps = 6): Contour {
  const rr = Math.max(0, Math.min(r, (x1 - x0) / 2, (y1 - y0) / 2));
  const c: Contour = [];
  const corner = (cx: number, cy: number, a0: number): void => {
    for (let i = 0; i <= steps; i++) {
      const a = a0 + (Math.PI / 2) * (i / steps);
      c.push(cx + rr * Math.cos(a), cy + rr * Math.sin(a));
    }
  };
  corner(x1 - rr, y0 + rr, -Math.PI / 2);
  corner(x1 - rr, y1 - rr, 0);
  corner(x0 + rr, y1 - rr, Math.PI / 2);
  corner(x0 + rr, y0 + rr, Math.PI);
  return c;
}

/** Signed area (positive = clockwise on a y-down screen). */
export function signedArea(c: Contour): number {
  let a = 0;
  const k = c.length >> 1;
  for (let i = 0; i < k; i++) {
    const j = (i + 1) % k;
    a += (c[2 * i] as number) * (c[2 * j + 1] as number) - (c[2 * j] as number) * (c[2 * i + 1] as number);
  }
  return a / 2;
}

/** The same contour traversed the other way. */
export function reversed(c: Contour): Contour {
  const out: Contour = [];
  for (let i = (c.length >> 1) - 1; i >= 0; i--) out.push(c[2 * i] as number, c[2 * i + 1] as number);
  return out;
}

/** Maps every point of the contours through f. */
export function mapContours(
  contours: readonly Contour[],
  f: (x: number, y: number) => [number, number],
): Contour[] {
  return contours.map((c) => {
    const out: Contour = new Array(c.length);
    for (let i = 0; i < c.length; i += 2) {
      const [x, y] = f(c[i] as number, c[i + 1] as number);
      out[i] = x;
      out[i + 1] = y;
    }
    return out;
  });
}
