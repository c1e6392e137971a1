import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { formatOf, PLATE_FORMATS } from "../src/synth/marks.js";
import type { PlateTruth } from "../src/synth/scene.js";
import { EVAL_SEEDS, seedAt } from "../src/synth/seeds.js";
import { generatePlateCrop, generateStill } from "../src/synth/still.js";

type Pt = [number, number];

function inQuad(q: readonly Pt[], x: number, y: number): boolean {
  let sign = 0;
  for (let i = 0; i < 4; i++) {
    const [ax, ay] = q[i] as Pt;
    const [bx, by] = q[(i + 1) % 4] as Pt;
    const c = (bx - ax) * (y - ay) - (by - ay) * (x - ax);
    if (c === 0) continue;
    if (sign === 0) sign = Math.sign(c);
    else if (Math.sign(c) !== sign) return false;
  }
  return true;
}

/** The quad shrunk towards its centre by a fraction (keeps samples off anti-aliased edges). */
function shrink(q: readonly Pt[], f: number): Pt[] {
  const cx = q.reduce((a, p) => a + p[0], 0) / 4;
  const cy = q.reduce((a, p) => a + p[1], 0) / 4;
  return q.map(([x, y]) => [cx + (x - cx) * (1 - f), cy + (y - cy) * (1 - f)]);
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

function percentile(v: number[], p: number): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? Number.NaN;
}

interface Img {
  width: number;
  height: number;
  rgb: Uint8Array;
  grey: Uint8Array;
}

/** Plate background (inside the plate, outside every character cell) and ink (inside the cells) samples. */
function samples(img: Img, p: PlateTruth): { r: number[]; g: number[]; b: number[]; inkLuma: number[][] } {
  const r: number[] = [];
  const g: number[] = [];
  const b: number[] = [];
  const plate = shrink(p.corners, 0.12);
  const cells = p.chars.map((c) => shrink(c.corners, -0.25));
  const [x0, y0, w, h] = p.box;
  for (let y = Math.max(0, Math.floor(y0)); y < Math.min(img.height, Math.ceil(y0 + h)); y++) {
    for (let x = Math.max(0, Math.floor(x0)); x < Math.min(img.width, Math.ceil(x0 + w)); x++) {
      if (!inQuad(plate, x + 0.5, y + 0.5)) continue;
      if (cells.some((q) => inQuad(q, x + 0.5, y + 0.5))) continue;
      const o = (y * img.width + x) * 3;
      r.push(img.rgb[o] as number);
      g.push(img.rgb[o + 1] as number);
      b.push(img.rgb[o + 2] as number);
    }
  }
  const inkLuma = p.chars.map((c) => {
    const q = c.corners as Pt[];
    const out: number[] = [];
    const [cx, cy, cw, ch] = c.box;
    for (let y = Math.max(0, Math.floor(cy)); y < Math.min(img.height, Math.ceil(cy + ch)); y++)
      for (let x = Math.max(0, Math.floor(cx)); x < Math.min(img.width, Math.ceil(cx + cw)); x++)
        if (inQuad(q, x + 0.5, y + 0.5)) out.push(img.grey[y * img.width + x] as number);
    return out;
  });
  return { r, g, b, inkLuma };
}

function checkGeometry(p: PlateTruth): void {
  expect(p.chars.map((c) => c.char).join("")).toBe(p.text);
  for (const c of p.chars) {
    expect(c.box[0]).toBeGreaterThanOrEqual(p.box[0] - 0.5);
    expect(c.box[1]).toBeGreaterThanOrEqual(p.box[1] - 0.5);
    expect(c.box[0] + c.box[2]).toBeLessThanOrEqual(p.box[0] + p.box[2] + 0.5);
    expect(c.box[1] + c.box[3]).toBeLessThanOrEqual(p.box[1] + p.box[3] + 0.5);
  }
}

/** Asserts the truth matches the pixels: plate-coloured background, dark ink in every character cell. */
function checkPixels(img: Img, p: PlateTruth, night: boolean): void {
  const s = samples(img, p);
  expect(s.r.length).toBeGreaterThan(20);
  const [r, g, b] = [median(s.r), median(s.g), median(s.b)];
  if (night) {
    expect(Math.min(r, g, b), `${p.text} bright under infrared`).toBeGreaterThan(150);
  } else if (p.colour === "white") {
    expect(Math.min(r, g, b), `${p.text} white`).toBeGreaterThan(165);
    expect(Math.abs(r - b), `${p.text} white is not tinted`).toBeLessThan(40);
  } else {
    expect(r, `${p.text} yellow red`).toBeGreaterThan(165);
    expect(r - b, `${p.text} yellow`).toBeGreaterThan(110);
  }
  const bgLuma = 0.299 * r + 0.587 * g + 0.114 * b;
  for (const [i, ink] of s.inkLuma.entries()) {
    expect(ink.length).toBeGreaterThan(4);
    expect(percentile(ink, 0.05), `${p.text}[${i}] has ink`).toBeLessThan(bgLuma - 90);
  }
}

describe("stills", () => {
  it("puts the truth's plates where the pixels are: plate-coloured, with dark characters in each cell", () => {
    let checked = 0;
    for (let i = 0; i < 8; i++) {
      const night = i % 4 === 3;
      const [widthPx, heightPx] = i < 4 ? [1280, 720] : [640, 360];
      const s = generateStill(seedAt(EVAL_SEEDS, 100 + i), { conditions: false, night, widthPx, heightPx });
      expect(s.night).toBe(night);
      expect(s.rgb.length).toBe(widthPx * heightPx * 3);
      expect(s.grey.length).toBe(widthPx * heightPx);
      expect(s.plates.filter((p) => p.whole).length).toBeGreaterThan(0);
      for (const p of s.plates) {
        expect(formatOf(p.text), p.text).toBe(p.format);
        checkGeometry(p);
        if (!p.whole || p.charHeightPx < 12) continue;
        checkPixels(s, p, night);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it("main plates span character heights of about 12 to 40 px", () => {
    const heights: number[] = [];
    for (let i = 0; i < 12; i++) {
      const s = generateStill(seedAt(EVAL_SEEDS, 200 + i), {
        widthPx: 640,
        heightPx: 360,
        conditions: false,
        vehicles: 1,
      });
      for (const p of s.plates) heights.push(p.charHeightPx);
    }
    expect(Math.min(...heights)).toBeGreaterThan(9);
    expect(Math.max(...heights)).toBeLessThan(46);
    expect(Math.max(...heights) - Math.min(...heights)).toBeGreaterThan(15);
  });

  it("is deterministic for a seed", () => {
    const hash = (u: Uint8Array): string => createHash("sha256").update(u).digest("hex");
    const a = generateStill(seedAt(EVAL_SEEDS, 7), { widthPx: 640, heightPx: 360 });
    const b = generateStill(seedAt(EVAL_SEEDS, 7), { widthPx: 640, heightPx: 360 });
    const c = generateStill(seedAt(EVAL_SEEDS, 8), { widthPx: 640, heightPx: 360 });
    expect(hash(a.rgb)).toBe(hash(b.rgb));
    expect(a.plates).toEqual(b.plates);
    expect(hash(a.rgb)).not.toBe(hash(c.rgb));
    const ca = generatePlateCrop(seedAt(EVAL_SEEDS, 7));
    const cb = generatePlateCrop(seedAt(EVAL_SEEDS, 7));
    expect(hash(ca.rgb)).toBe(hash(cb.rgb));
    expect(ca.plate).toEqual(cb.plate);
  });

  it("shows every UK format over a run of stills", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < PLATE_FORMATS.length; i++) {
      const s = generateStill(seedAt(EVAL_SEEDS, i), { widthPx: 480, heightPx: 270 });
      for (const p of s.plates) seen.add(p.format);
    }
    expect([...seen].sort()).toEqual([...PLATE_FORMATS].sort());
  });

  it("with --region any, mixes foreign text with valid UK marks", () => {
    const formats = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const c = generatePlateCrop(seedAt(EVAL_SEEDS, 300 + i), { region: "any", conditions: false });
      formats.add(c.plate.format);
      if (c.plate.format === "foreign") expect(c.plate.text).toMatch(/^[A-Z0-9]{5,8}$/);
      else expect(formatOf(c.plate.text)).toBe(c.plate.format);
    }
    expect(formats.has("foreign")).toBe(true);
    expect(formats.has("current")).toBe(true);
  });
});

describe("plate crops", () => {
  it("give a tight plate image whose character cells hold the characters", () => {
    let twoLine = 0;
    for (let i = 0; i < 30; i++) {
      const c = generatePlateCrop(seedAt(EVAL_SEEDS, 400 + i), { conditions: false, night: i % 5 === 0 });
      const p = c.plate;
      expect(formatOf(p.text)).toBe(p.format);
      checkGeometry(p);
      expect(p.box[0]).toBeGreaterThanOrEqual(-0.5);
      expect(p.box[1]).toBeGreaterThanOrEqual(-0.5);
      expect(p.box[0] + p.box[2]).toBeLessThanOrEqual(c.width + 0.5);
      expect(p.box[1] + p.box[3]).toBeLessThanOrEqual(c.height + 0.5);
      expect(p.charHeightPx).toBeGreaterThan(13);
      expect(p.charHeightPx).toBeLessThan(49);
      if (p.twoLine) twoLine++;
      checkPixels(c, p, c.night);
    }
    expect(twoLine).toBeGreaterThan(0);
  });
});
