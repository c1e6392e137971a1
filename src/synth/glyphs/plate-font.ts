import { type Contour, reversed, signedArea } from "../raster.js";
import type { GlyphCell, GlyphSource } from "./glyph-source.js";

/**
 * The generator's own vector outlines in the style of the UK plate font (Charles Wright 2001): each
 * glyph is built from strokes of the mandated width (rectangles, straight thick segments clipped to the
 * cell, elliptical arcs) whose union is the character. Parametric in cell width, height and stroke, so
 * the same design draws 79x50 mm car glyphs (14 mm stroke), 64x44 mm two-line glyphs (10 mm stroke) and
 * 57 mm-wide pre-2001 glyphs.
 */

type Piece = Contour[];

class Pen {
  readonly pieces: Piece[] = [];
  readonly a: number;
  constructor(
    readonly w: number,
    readonly h: number,
    readonly s: number,
    /** Superellipse exponent of every arc: 2 draws ellipses, more draws squarer bowls. */
    readonly exponent = 2,
    /** W's middle apex below the top, as a share of the height. */
    readonly wApex = W_APEX,
    /** Arc flattening: segments per full turn. */
    readonly steps = 48,
  ) {
    this.a = s / 2;
  }

  rect(x0: number, y0: number, x1: number, y1: number): this {
    this.pieces.push([[x0, y0, x1, y0, x1, y1, x0, y1]]);
    return this;
  }

  /** A straight stroke along the centreline from A to B, extended by `ext` (at B by `extB`), clipped to the cell. */
  seg(xa: number, ya: number, xb: number, yb: number, ext = 0, extB = ext): this {
    const dx = xb - xa;
    const dy = yb - ya;
    const len = Math.hypot(dx, dy);
    const ux = dx / len;
    const uy = dy / len;
    const nx = -uy * this.a;
    const ny = ux * this.a;
    const x0 = xa - ux * ext;
    const y0 = ya - uy * ext;
    const x1 = xb + ux * extB;
    const y1 = yb + uy * extB;
    this.pieces.push([[x0 + nx, y0 + ny, x1 + nx, y1 + ny, x1 - nx, y1 - ny, x0 - nx, y0 - ny]]);
    return this;
  }

  /** A filled polygon given by its corners. */
  poly(...pts: number[]): this {
    this.pieces.push([pts]);
    return this;
  }

  /** Fills the notch where two straight strokes meet at P (a mitre-free joint). */
  joint(px: number, py: number, xa: number, ya: number, xb: number, yb: number): this {
    const pts: [number, number][] = [];
    for (const [x, y] of [
      [xa, ya],
      [xb, yb],
    ] as const) {
      const len = Math.hypot(px - x, py - y);
      const nx = (-(py - y) / len) * this.a;
      const ny = ((px - x) / len) * this.a;
      pts.push([px + nx, py + ny], [px - nx, py - ny]);
    }
    pts.sort((u, v) => Math.atan2(u[1] - py, u[0] - px) - Math.atan2(v[1] - py, v[0] - px));
    this.pieces.push([pts.flat()]);
    return this;
  }

  /** An elliptical arc stroke with centreline radii rx, ry from a0 to a1 degrees (0 = right, 90 = down). */
  arc(cx: number, cy: number, rx: number, ry: number, a0: number, a1: number): this {
    const a = this.a;
    if (a1 - a0 >= 360) {
      this.pieces.push([
        ellipsePts(cx, cy, rx + a, ry + a, 0, 360, this.steps, false, this.exponent),
        reversed(
          ellipsePts(
            cx,
            cy,
            Math.max(0.01, rx - a),
            Math.max(0.01, ry - a),
            0,
            360,
            this.steps,
            false,
            this.exponent,
          ),
        ),
      ]);
      return this;
    }
    const n = Math.max(2, Math.ceil(((a1 - a0) / 360) * this.steps));
    const outer = ellipsePts(cx, cy, rx + a, ry + a, a0, a1, n, true, this.exponent);
    const inner = ellipsePts(
      cx,
      cy,
      Math.max(0, rx - a),
      Math.max(0, ry - a),
      a0,
      a1,
      n,
      true,
      this.exponent,
    );
    this.pieces.push([[...outer, ...reversed(inner)]]);
    return this;
  }

  /** Every piece clipped to the cell and oriented the same way, so a non-zero fill gives their union. */
  contours(): Contour[] {
    const out: Contour[] = [];
    for (const piece of this.pieces) {
      const clipped = piece.map((c) => clipToRect(c, 0, 0, this.w, this.h)).filter((c) => c.length >= 6);
      if (clipped.length === 0) continue;
      // Orient by the first (outer) contour; holes keep the opposite sense.
      const flip = signedArea(clipped[0] as Contour) < 0;
      for (const c of clipped) out.push(flip ? reversed(c) : c);
    }
    return out;
  }
}

function ellipsePts(
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  a0: number,
  a1: number,
  n: number,
  inclusive = false,
  exponent = 2,
): Contour {
  const pts: Contour = [];
  const count = inclusive ? n + 1 : n;
  const e = 2 / exponent;
  for (let i = 0; i < count; i++) {
    const t = ((a0 + ((a1 - a0) * i) / n) * Math.PI) / 180;
    const c = Math.cos(t);
    const sn = Math.sin(t);
    // |x/rx|^exponent + |y/ry|^exponent = 1: an ellipse at 2, squarer corners above.
    pts.push(cx + rx * Math.sign(c) * Math.abs(c) ** e, cy + ry * Math.sign(sn) * Math.abs(sn) ** e);
  }
  return pts;
}

/** Sutherland-Hodgman clip of a contour to an axis-aligned rectangle. */
function clipToRect(c: Contour, x0: number, y0: number, x1: number, y1: number): Contour {
  let pts = c;
  const edges: [number, number, number][] = [
    [0, 1, x0],
    [0, -1, x1],
    [1, 1, y0],
    [1, -1, y1],
  ];
  for (const [axis, sign, v] of edges) {
    const out: Contour = [];
    const k = pts.length >> 1;
    if (k === 0) break;
    for (let i = 0; i < k; i++) {
      const ax = pts[2 * i] as number;
      const ay = pts[2 * i + 1] as number;
      const j = (i + 1) % k;
      const bx = pts[2 * j] as number;
      const by = pts[2 * j + 1] as number;
      const da = sign * ((axis === 0 ? ax : ay) - v);
      const db = sign * ((axis === 0 ? bx : by) - v);
      if (da >= 0) out.push(ax, ay);
      if (da >= 0 !== db >= 0) {
        const t = da / (da - db);
        out.push(ax + (bx - ax) * t, ay + (by - ay) * t);
      }
    }
    pts = out;
  }
  return pts;
}

type Design = (p: Pen) => void;

/** Shared bowl geometry for 3, 5, 6, 8, 9: a lower bowl from y = top to the baseline. */
function lowerBowl(p: Pen, top: number): { cx: number; cy: number; rx: number; ry: number } {
  const ry = (p.h - p.a - top) / 2;
  return { cx: p.w / 2, cy: top + ry, rx: p.w / 2 - p.a, ry };
}

/**
 * The bowl of O, 0, Q, C and G in the plate font: a rounded rectangle, half-elliptic caps (depth
 * CAP_DEPTH × their half-width) joined by straight sides, between x0 and x1. Returns the caps' centres.
 */
function roundBox(
  p: Pen,
  x0: number,
  x1: number,
): { cx: number; rx: number; ry: number; top: number; bottom: number } {
  const rx = (x1 - x0) / 2 - p.a;
  const ry = rx * CAP_DEPTH;
  return { cx: (x0 + x1) / 2, rx, ry, top: p.a + ry, bottom: p.h - p.a - ry };
}

/**
 * How deep the caps of the rounded letters are against their half-width. The mandated font's O and 0
 * are tall rounded rectangles with straight sides over about half the height, not ellipses.
 */
const CAP_DEPTH = 0.9;

const DESIGNS: Record<string, Design> = {
  // The figure 0 and the letter O are one shape in the mandated font (real crops of the two show the
  // same outline and stroke profile): the UK syntax tells them apart by position, not the classifier.
  "0": (p) => DESIGNS.O?.(p),
  O: (p) => {
    const { w, s } = p;
    const b = roundBox(p, 0, w);
    p.arc(b.cx, b.top, b.rx, b.ry, 180, 360)
      .arc(b.cx, b.bottom, b.rx, b.ry, 0, 180)
      .rect(0, b.top, s, b.bottom)
      .rect(w - s, b.top, w, b.bottom);
  },
  Q: (p) => {
    const { w, h, s } = p;
    DESIGNS.O?.(p);
    p.seg(w * 0.55, h * 0.7, w, h, s * 0.6);
  },
  "1": (p) => {
    const { w, h, s, a } = p;
    const t = s * 1.05;
    p.rect(w - s, 0, w, h).poly(w - s + a * 0.3, 0, w - s + a * 0.3, t, 0, h * 0.24 + t, 0, h * 0.24);
  },
  I: (p) => {
    p.rect(0, 0, p.w, p.h);
  },
  "2": (p) => {
    const { w, h, s, a } = p;
    const ry = h * 0.24;
    const cy = a + ry;
    const rx = w / 2 - a;
    const endAng = 25;
    const ex = w / 2 + rx * Math.cos((endAng * Math.PI) / 180);
    const ey = cy + ry * Math.sin((endAng * Math.PI) / 180);
    p.arc(w / 2, cy, rx, ry, 195, 360 + endAng)
      .seg(ex, ey, a, h - s, a)
      .rect(0, h - s, w, h);
  },
  "3": (p) => {
    const { w, h, s, a } = p;
    const b = lowerBowl(p, h * 0.42);
    p.rect(w * 0.04, 0, w, s)
      .seg(w - a, a, b.cx, b.cy - b.ry, a * 0.6)
      .arc(b.cx, b.cy, b.rx, b.ry, 270, 520);
  },
  "4": (p) => {
    const { w, h, s, a } = p;
    const stemX = w * 0.6;
    const barY = h * 0.66;
    p.rect(stemX, 0, stemX + s, h)
      .rect(0, barY - a, w, barY + a)
      .seg(stemX + a * 0.4, a, a, barY, s);
  },
  "5": (p) => {
    const { w, h, s } = p;
    const b = lowerBowl(p, h * 0.4);
    p.rect(w * 0.06, 0, w * 0.96, s)
      .rect(w * 0.06, 0, w * 0.06 + s, b.cy - b.ry * 0.45)
      .arc(b.cx, b.cy, b.rx, b.ry, 212, 520);
  },
  "6": (p) => {
    const { w, a } = p;
    const b = lowerBowl(p, p.h * 0.4);
    const big = b.cy - a;
    p.arc(b.cx, b.cy, b.rx, b.ry, 0, 360).arc(w / 2, b.cy, b.rx, big, 180, 292);
  },
  "9": (p) => {
    DESIGNS["6"]?.(p);
    // 9 is 6 turned half a turn about the cell centre.
    for (const piece of p.pieces)
      for (const c of piece)
        for (let i = 0; i < c.length; i += 2) {
          c[i] = p.w - (c[i] as number);
          c[i + 1] = p.h - (c[i + 1] as number);
        }
  },
  "7": (p) => {
    const { w, h, s, a } = p;
    p.rect(0, 0, w, s).seg(w - a, s * 0.6, w * 0.3, h, s);
  },
  "8": (p) => {
    const { w, h, a } = p;
    const m = h * 0.45;
    const ry1 = (m - a) / 2;
    const ry2 = (h - a - m) / 2;
    p.arc(w / 2, a + ry1, w / 2 - a - w * 0.05, ry1, 0, 360).arc(w / 2, m + ry2, w / 2 - a, ry2, 0, 360);
  },
  A: (p) => {
    const { w, h, s } = p;
    p.seg(w / 2, -s * 0.2, p.a * 0.9, h, s)
      .seg(w / 2, -s * 0.2, w - p.a * 0.9, h, s)
      .rect(w * 0.2, h * 0.6, w * 0.8, h * 0.6 + s * 0.9);
  },
  B: (p) => {
    const { w, h, s, a } = p;
    const m = h * 0.47;
    const ryT = (m - a) / 2;
    const ryB = (h - a - m) / 2;
    const rT = Math.min(ryT, w * 0.36);
    const rB = Math.min(ryB, w / 2 - a);
    p.rect(0, 0, s, h)
      .rect(0, 0, w - a - rT, s)
      .rect(0, m - a, w - a - rB, m + a)
      .rect(0, h - s, w - a - rB, h)
      .arc(w - a - rT - w * 0.04, a + ryT, rT, ryT, 270, 450)
      .arc(w - a - rB, m + ryB, rB, ryB, 270, 450);
  },
  C: (p) => {
    const { w, s } = p;
    const b = roundBox(p, 0, w);
    p.arc(b.cx, b.top, b.rx, b.ry, 180, 325)
      .arc(b.cx, b.bottom, b.rx, b.ry, 35, 180)
      .rect(0, b.top, s, b.bottom);
  },
  D: (p) => {
    const { w, h, s, a } = p;
    const r = w / 2 - a;
    const ry = r * 1.2;
    p.rect(0, 0, s, h)
      .rect(0, 0, w - a - r, s)
      .rect(0, h - s, w - a - r, h)
      .arc(w - a - r, a + ry, r, ry, 270, 360)
      .rect(w - s, a + ry, w, h - a - ry)
      .arc(w - a - r, h - a - ry, r, ry, 0, 90);
  },
  E: (p) => {
    const { w, h, s, a } = p;
    p.rect(0, 0, s, h)
      .rect(0, 0, w, s)
      .rect(0, h * 0.48 - a, w * 0.85, h * 0.48 + a)
      .rect(0, h - s, w, h);
  },
  F: (p) => {
    const { w, h, s, a } = p;
    p.rect(0, 0, s, h)
      .rect(0, 0, w, s)
      .rect(0, h * 0.48 - a, w * 0.85, h * 0.48 + a);
  },
  G: (p) => {
    const { w, h, s } = p;
    const b = roundBox(p, 0, w);
    p.arc(b.cx, b.top, b.rx, b.ry, 180, 330)
      .rect(0, b.top, s, b.bottom)
      .arc(b.cx, b.bottom, b.rx, b.ry, 0, 180)
      .rect(w - s, h * 0.5, w, b.bottom)
      .rect(w * 0.5, h * 0.5, w, h * 0.5 + s * 0.9);
  },
  H: (p) => {
    const { w, h, s, a } = p;
    p.rect(0, 0, s, h)
      .rect(w - s, 0, w, h)
      .rect(0, h * 0.48 - a, w, h * 0.48 + a);
  },
  J: (p) => {
    const { w, h, s, a } = p;
    const ry = h * 0.24;
    const cy = h - a - ry;
    p.rect(w - s, 0, w, cy).arc(w / 2, cy, w / 2 - a, ry, 0, 165);
  },
  K: (p) => {
    const { w, h, s, a } = p;
    p.rect(0, 0, s, h)
      .seg(a, h * 0.72, w - a, 0, s)
      .seg(w * 0.36, h * 0.44, w - a, h, s);
  },
  L: (p) => {
    const { w, h, s } = p;
    p.rect(0, 0, s, h).rect(0, h - s, w, h);
  },
  M: (p) => {
    const { w, h, s, a } = p;
    p.rect(0, 0, s * 0.85, h)
      .rect(w - s * 0.85, 0, w, h)
      .seg(a * 0.6, 0, w / 2, h * 0.66, a * 0.4, 0)
      .seg(w - a * 0.6, 0, w / 2, h * 0.66, a * 0.4, 0)
      .joint(w / 2, h * 0.66, a * 0.6, 0, w - a * 0.6, 0);
  },
  N: (p) => {
    const { w, h, s, a } = p;
    p.rect(0, 0, s, h)
      .rect(w - s, 0, w, h)
      .seg(a, 0, w - a, h, a);
  },
  P: (p) => {
    const { w, h, s, a } = p;
    const m = h * 0.56;
    const ry = (m - a) / 2;
    const r = Math.min(ry, w / 2 - a);
    p.rect(0, 0, s, h)
      .rect(0, 0, w - a - r, s)
      .rect(0, m - a, w - a - r, m + a)
      .arc(w - a - r, a + ry, r, ry, 270, 450);
  },
  R: (p) => {
    const { w, h, s, a } = p;
    const m = h * 0.53;
    const ry = (m - a) / 2;
    const r = Math.min(ry, w / 2 - a);
    p.rect(0, 0, s, h)
      .rect(0, 0, w - a - r, s)
      .rect(0, m - a, w - a - r, m + a)
      .arc(w - a - r, a + ry, r, ry, 270, 450)
      .seg(w * 0.42, m, w - a, h, s);
  },
  S: (p) => {
    const { w, h, a } = p;
    const m = h * 0.47;
    const ry1 = (m - a) / 2;
    const ry2 = (h - a - m) / 2;
    p.arc(w / 2, a + ry1, w / 2 - a - w * 0.02, ry1, 90, 340).arc(w / 2, m + ry2, w / 2 - a, ry2, 270, 520);
  },
  T: (p) => {
    const { w, h, s } = p;
    p.rect(0, 0, w, s).rect(w / 2 - s / 2, 0, w / 2 + s / 2, h);
  },
  U: (p) => {
    const { w, h, s, a } = p;
    const ry = h * 0.26;
    const cy = h - a - ry;
    p.rect(0, 0, s, cy)
      .rect(w - s, 0, w, cy)
      .arc(w / 2, cy, w / 2 - a, ry, 0, 180);
  },
  V: (p) => {
    const { w, h, s, a } = p;
    p.seg(a * 0.8, 0, w / 2, h - a, s)
      .seg(w - a * 0.8, 0, w / 2, h - a, s)
      .joint(w / 2, h - a, a * 0.8, 0, w - a * 0.8, 0);
  },
  W: (p) => {
    const { w, h, s } = p;
    const t = s * 0.36;
    const b = h - p.a;
    const apex = h * p.wApex;
    p.seg(t, 0, w * 0.27, b, s)
      .seg(w * 0.27, b, w / 2, apex, s * 0.2)
      .seg(w / 2, apex, w * 0.73, b, s * 0.2)
      .seg(w * 0.73, b, w - t, 0, s)
      .joint(w * 0.27, b, t, 0, w / 2, apex)
      .joint(w / 2, apex, w * 0.27, b, w * 0.73, b)
      .joint(w * 0.73, b, w / 2, apex, w - t, 0);
  },
  X: (p) => {
    const { w, h, s, a } = p;
    p.seg(a, 0, w - a, h, s).seg(w - a, 0, a, h, s);
  },
  Y: (p) => {
    const { w, h, s, a } = p;
    const m = h * 0.5;
    p.seg(a * 0.8, 0, w / 2, m, s, 0)
      .seg(w - a * 0.8, 0, w / 2, m, s, 0)
      .rect(w / 2 - a, m, w / 2 + a, h)
      .joint(w / 2, m, a * 0.8, 0, w - a * 0.8, 0);
  },
  Z: (p) => {
    const { w, h, s, a } = p;
    p.rect(0, 0, w, s)
      .rect(0, h - s, w, h)
      .seg(w - a, s * 0.5, a, h - s * 0.5, 0);
  },
};

/**
 * Superellipse exponent of the plate font's bowls and caps: the mandated font's rounded letters and
 * figures (O, 0, 8, 6, 9, B, D...) are squarer than ellipses, with near-straight sides.
 */
export const BOWL_EXPONENT = 2.5;

/** Depth of the W's middle apex below the top (share of the height) in the scene's plates. */
export const W_APEX = 0.3;

/** The characters a plate can carry. */
export const PLATE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

export class PlateFont implements GlyphSource {
  readonly name = "plate-font";
  private readonly cache = new Map<string, Contour[]>();

  glyph(ch: string, cell: GlyphCell): Contour[] {
    const exponent = cell.bowlExponent ?? BOWL_EXPONENT;
    const wApex = cell.wApex ?? W_APEX;
    const key = `${ch}|${cell.widthMm}|${cell.heightMm}|${cell.strokeMm}|${exponent}|${wApex}`;
    let g = this.cache.get(key);
    if (!g) {
      const design = DESIGNS[ch];
      if (!design) return [];
      const pen = new Pen(cell.widthMm, cell.heightMm, cell.strokeMm, exponent, wApex);
      design(pen);
      g = pen.contours();
      this.cache.set(key, g);
    }
    return g;
  }
}
