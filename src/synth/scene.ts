import { type Camera, project } from "./camera.js";
import { glare } from "./effects.js";
import type { EuMark } from "./eu-marks.js";
import { type EuPlateStyle, renderEuPlate } from "./eu-plate.js";
import type { PlateFormat } from "./marks.js";
import { type PlateStyle, renderPlate } from "./plate.js";
import { Canvas, type Contour, mapContours, rect } from "./raster.js";
import type { Rng } from "./rng.js";
import type { VehicleDesign } from "./vehicles.js";
import { applyH, homography, type Mat3, type Point, type Quad, Texture, warpInto } from "./warp.js";

/** A road scene: the static background, and vehicles with plates drawn into a frame with their truth. */
export type Box = [number, number, number, number];

export interface CharTruth {
  char: string;
  /** Axis-aligned box in frame pixels: x, y, width, height. */
  box: Box;
  /** Cell corners in frame pixels: top-left, top-right, bottom-right, bottom-left. */
  corners: Quad;
  /** Part of this character is hidden by an object in front of the plate. */
  occluded: boolean;
}

export interface PlateTruth {
  text: string;
  /** "foreign" for `--region any` text that follows no UK rule; "eu" for European plates. */
  format: PlateFormat | "foreign" | "eu";
  colour: "white" | "yellow";
  twoLine: boolean;
  glyphs: string;
  box: Box;
  corners: Quad;
  /** Height of the characters in frame pixels (mean of the left and right edges of the cells). */
  charHeightPx: number;
  /** The whole plate is inside the frame and no nearer vehicle covers it. */
  whole: boolean;
  chars: CharTruth[];
}

export interface PlateSpec {
  text: string;
  format: PlateFormat | "foreign" | "eu";
  /** UK plates (and `--region any` text on UK plates). */
  style: PlateStyle;
  /** European plates (`format: "eu"`): drawn by eu-plate.ts instead; `style` then only gives the colour. */
  eu?: { mark: EuMark; style: EuPlateStyle };
}

/** A vehicle placed on the road, with its plate rendered once as a texture. */
export class PlacedVehicle {
  readonly texture: Texture;
  readonly plateWidthM: number;
  readonly plateHeightM: number;
  readonly charBoxes: { char: string; box: [number, number, number, number] }[];
  /** Index of a character partly hidden by an occluder, or -1. */
  occludedChar = -1;
  /** Occluder rectangle in plate texture pixels. */
  occluder: [number, number, number, number] | undefined;
  shadow: { angle: number; offset: number; factor: number } | undefined;
  glare: { u: number; v: number; radius: number; strength: number } | undefined;
  plateGain = 1;

  constructor(
    readonly design: VehicleDesign,
    readonly plate: PlateSpec,
    public xM: number,
    public zM: number,
    readonly yawRad: number,
    readonly plateRollRad: number,
    texturePxPerMm: number,
    rng: Rng,
  ) {
    const fmt = plate.format === "foreign" || plate.format === "eu" ? undefined : plate.format;
    const r = plate.eu
      ? renderEuPlate(plate.eu.mark, plate.eu.style, texturePxPerMm, rng)
      : renderPlate(plate.text, fmt, plate.style, texturePxPerMm, rng);
    this.texture = new Texture(r.canvas);
    this.plateWidthM = r.layout.widthMm / 1000;
    this.plateHeightM = r.layout.heightMm / 1000;
    this.charBoxes = r.chars;
  }

  private ir: Texture | undefined;

  /** The plate as an infrared camera sees it: retro-reflective film bright whatever its colour. */
  infraredTexture(): Texture {
    if (!this.ir) {
      const base = this.texture.levels[0] as Canvas;
      const c = new Canvas(base.width, base.height);
      const s = base.rgb;
      const d = c.rgb;
      for (let i = 0; i < s.length; i += 3) {
        const r = s[i] as number;
        const g = s[i + 1] as number;
        const b = s[i + 2] as number;
        const v = 0.5 * Math.max(r, g, b) + 0.5 * (0.299 * r + 0.587 * g + 0.114 * b);
        d[i] = v;
        d[i + 1] = v;
        d[i + 2] = v;
      }
      this.ir = new Texture(c);
    }
    return this.ir;
  }

  /** Face coordinates (metres) to world. */
  world(x: number, y: number): [number, number, number] {
    return [this.xM + x * Math.cos(this.yawRad), y, this.zM + x * Math.sin(this.yawRad)];
  }

  toImage(cam: Camera, x: number, y: number): Point {
    const [X, Y, Z] = this.world(x, y);
    return project(cam, X, Y, Z);
  }

  /** Plate texture pixels to frame pixels. */
  plateHomography(cam: Camera): Mat3 {
    const tw = this.texture.width;
    const th = this.texture.height;
    const c = Math.cos(this.plateRollRad);
    const s = Math.sin(this.plateRollRad);
    const face = (u: number, v: number): Point => {
      const dx = (u / tw - 0.5) * this.plateWidthM;
      const dy = (0.5 - v / th) * this.plateHeightM;
      return this.toImage(cam, this.design.plateX + dx * c - dy * s, this.design.plateY + dx * s + dy * c);
    };
    const src: Quad = [
      [0, 0],
      [tw, 0],
      [tw, th],
      [0, th],
    ];
    return homography(src, [face(0, 0), face(tw, 0), face(tw, th), face(0, th)]);
  }

  /** The vehicle's outline box in frame pixels (for occlusion and blur regions). */
  bodyBox(cam: Camera): Box {
    const w = this.design.widthM / 2;
    const pts = [
      this.toImage(cam, -w, 0),
      this.toImage(cam, w, 0),
      this.toImage(cam, w, this.design.heightM),
      this.toImage(cam, -w, this.design.heightM),
    ];
    return bboxOf(pts);
  }
}

export function bboxOf(pts: readonly Point[]): Box {
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const [x, y] of pts) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return [x0, y0, x1 - x0, y1 - y0];
}

function grey(rgb: [number, number, number], level: number): [number, number, number] {
  const v = (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]) * level;
  return [v, v, v];
}

/**
 * Draws a vehicle and its plate; returns the plate's truth (`whole` says only whether it lies inside the
 * frame: the caller clears it when a nearer vehicle covers it).
 */
export function drawVehicle(canvas: Canvas, cam: Camera, v: PlacedVehicle, night: boolean): PlateTruth {
  const map = (c: Contour[]): Contour[] => mapContours(c, (x, y) => v.toImage(cam, x, y));
  // shadow on the road under the vehicle
  const w = v.design.widthM / 2;
  canvas.shadePolygons(map([[-w - 0.1, 0, w + 0.1, 0, w + 0.1, 0.04, -w - 0.1, 0.04]]), night ? 0.8 : 0.45);
  for (const s of v.design.shapes) {
    let rgb = s.rgb;
    if (night) rgb = s.light ? [235, 235, 235] : grey(rgb, 0.18);
    canvas.fillPolygons(map(s.contours), rgb[0], rgb[1], rgb[2]);
  }
  const H = v.plateHomography(cam);
  const gain = v.plateGain;
  if (night) {
    // Retro-reflective plate under infrared: bright and grey, white and yellow alike.
    warpInto(canvas, v.infraredTexture(), H, { gain: [gain, gain, gain] });
  } else {
    warpInto(canvas, v.texture, H, { gain: [gain, gain, gain] });
  }
  const toImg = (u: number, vv: number): Point => applyH(H, u, vv);
  if (v.occluder) {
    const [ox, oy, ow, oh] = v.occluder;
    const q = [toImg(ox, oy), toImg(ox + ow, oy), toImg(ox + ow, oy + oh), toImg(ox, oy + oh)];
    const c = night ? 20 : 35;
    canvas.fillPolygons([q.flat()], c, c, c + 3);
  }
  if (v.shadow && !night) {
    const tw = v.texture.width;
    const th = v.texture.height;
    const { angle, offset, factor } = v.shadow;
    // a half-plane through the plate, as a big quad in texture space
    const cx = tw * offset;
    const dx = Math.cos(angle) * tw * 3;
    const dy = Math.sin(angle) * tw * 3;
    const quadTex: Point[] = [
      [cx - dx, th / 2 - dy],
      [cx + dx, th / 2 + dy],
      [cx + dx - dy * 2, th / 2 + dy + dx * 2],
      [cx - dx - dy * 2, th / 2 - dy + dx * 2],
    ];
    // clip to the plate by intersecting with the plate rectangle: shade only plate + body, approximated
    // by shading the quad limited to 1.5x the plate box
    const pts = quadTex.map(
      ([u, vv]) => [Math.min(tw * 1.3, Math.max(-tw * 0.3, u)), Math.min(th * 2, Math.max(-th, vv))] as Point,
    );
    canvas.shadePolygons([pts.flatMap(([u, vv]) => toImg(u, vv))], factor);
  }
  if (v.glare) {
    const [gx, gy] = toImg(v.glare.u * v.texture.width, v.glare.v * v.texture.height);
    const scale = Math.hypot(...sub(toImg(v.texture.width, 0), toImg(0, 0))) / v.texture.width;
    glare(canvas, gx, gy, v.glare.radius * v.texture.width * scale, v.glare.strength);
  }
  return plateTruth(cam, v, H);
}

function sub(a: Point, b: Point): [number, number] {
  return [a[0] - b[0], a[1] - b[1]];
}

/** The truth of a vehicle's plate as it projects through the camera (no drawing). */
export function plateTruthFor(cam: Camera, v: PlacedVehicle): PlateTruth {
  return plateTruth(cam, v, v.plateHomography(cam));
}

function plateTruth(cam: Camera, v: PlacedVehicle, H: Mat3): PlateTruth {
  const tw = v.texture.width;
  const th = v.texture.height;
  const corners: Quad = [applyH(H, 0, 0), applyH(H, tw, 0), applyH(H, tw, th), applyH(H, 0, th)];
  const chars: CharTruth[] = v.charBoxes.map((cb, i) => {
    const [x, y, w, h] = cb.box;
    const q: Quad = [applyH(H, x, y), applyH(H, x + w, y), applyH(H, x + w, y + h), applyH(H, x, y + h)];
    return { char: cb.char, box: roundBox(bboxOf(q)), corners: roundQuad(q), occluded: i === v.occludedChar };
  });
  const heights = chars.map((c) => (dist(c.corners[0], c.corners[3]) + dist(c.corners[1], c.corners[2])) / 2);
  const inside = corners.every(([x, y]) => x >= 0 && y >= 0 && x <= cam.widthPx && y <= cam.heightPx);
  return {
    text: v.plate.text,
    format: v.plate.format,
    colour: v.plate.style.colour,
    twoLine: v.plate.style.twoLine,
    glyphs: v.plate.eu?.style.glyphs ?? v.plate.style.glyphs,
    box: roundBox(bboxOf(corners)),
    corners: roundQuad(corners),
    charHeightPx: Math.round((heights.reduce((a, b) => a + b, 0) / Math.max(1, heights.length)) * 10) / 10,
    whole: inside,
    chars,
  };
}

function dist(a: Point, b: Point): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

const r2 = (x: number): number => Math.round(x * 100) / 100;
function roundBox(b: Box): Box {
  return [r2(b[0]), r2(b[1]), r2(b[2]), r2(b[3])];
}
function roundQuad(q: Quad): Quad {
  return q.map(([x, y]) => [r2(x), r2(y)]) as Quad;
}

/** Do two boxes overlap? */
export function overlaps(a: Box, b: Box): boolean {
  return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
}

export interface RoadLayout {
  laneWidthM: number;
  /** Lane centres, X in metres. */
  lanes: number[];
  roadLeftM: number;
  roadRightM: number;
}

function hash(x: number, y: number): number {
  let h = Math.imul(x | 0, 374761393) + Math.imul(y | 0, 668265263);
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/**
 * The static background: sky and a tree line above the horizon, tarmac with lane markings, kerbs and
 * verges below, all from the camera's ground mapping (per pixel, once per scene).
 */
export function renderBackground(cam: Camera, road: RoadLayout, rng: Rng): Canvas {
  const W = cam.widthPx;
  const H = cam.heightPx;
  const c = new Canvas(W, H);
  const d = c.rgb;
  const tar = rng.range(70, 110);
  const tarTint = rng.range(-6, 6);
  const grass: [number, number, number] = rng.chance(0.5) ? [70, 100, 50] : [110, 110, 100];
  const sky: [number, number, number] = [rng.range(150, 200), rng.range(175, 210), rng.range(200, 235)];
  const treeSeed = rng.int(0, 1 << 20);
  const dash = rng.range(2, 4);
  const gap = rng.range(5, 8);
  const dashPhase = rng.range(0, 9);
  const markings = road.lanes.slice(1).map((_, i) => road.roadLeftM + road.laneWidthM * (i + 1));
  const [horizonX, horizonY] = project(cam, cam.xM, cam.heightM, 1e7);
  const slope = Math.tan(cam.rollRad);
  const treeBand = cam.focalPx * rng.range(0.02, 0.06);
  /** Smooth value noise in [0, 1). */
  const smooth = (q: number): number => {
    const i = Math.floor(q);
    const fr = q - i;
    const w = fr * fr * (3 - 2 * fr);
    return hash(i, 3) * (1 - w) + hash(i + 1, 3) * w;
  };
  const edgeL = road.roadLeftM + 0.25;
  const edgeR = road.roadRightM - 0.25;
  const sr = Math.sin(cam.rollRad);
  const cr = Math.cos(cam.rollRad);
  const st = Math.sin(cam.tiltRad);
  const ct = Math.cos(cam.tiltRad);
  const f = cam.focalPx;
  for (let y = 0; y < H; y++) {
    const dy = y + 0.5 - H / 2;
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      // the ground point under this pixel (camera.ts groundAt, inlined)
      const dx = x + 0.5 - W / 2;
      const u = (dx * cr + dy * sr) / f;
      const v = (-dx * sr + dy * cr) / f;
      const ry = -v * ct - st;
      const t = ry < -1e-6 ? cam.heightM / -ry : -1;
      const X = cam.xM + t * u;
      const Z = t * (-v * st + ct);
      if (t < 0 || Z > 400) {
        // sky above a band of trees and buildings standing on the horizon
        const top = horizonY + (x - horizonX) * slope - treeBand * (0.45 + 0.55 * smooth(x / 37 + treeSeed));
        const fy = y / H;
        let r = sky[0] - fy * 40;
        let gg = sky[1] - fy * 30;
        let b = sky[2] - fy * 20;
        if (y >= top) {
          const dark = 0.35 + 0.25 * hash(x >> 1, y >> 1);
          r = 60 * dark + 45;
          gg = 80 * dark + 50;
          b = 55 * dark + 50;
        }
        d[o] = r;
        d[o + 1] = gg;
        d[o + 2] = b;
        continue;
      }
      const px = Math.max(0.01, Z / f); // metres per pixel here
      const grain = (hash(Math.floor(X / 0.05), Math.floor(Z / 0.05)) - 0.5) * 12 + (hash(x, y) - 0.5) * 8;
      let r: number;
      let gg: number;
      let b: number;
      if (X < road.roadLeftM - 0.3 || X > road.roadRightM + 0.3) {
        r = grass[0] + grain;
        gg = grass[1] + grain;
        b = grass[2] + grain;
      } else if (X < road.roadLeftM || X > road.roadRightM) {
        r = 150 + grain;
        gg = 150 + grain;
        b = 145 + grain;
      } else {
        r = tar + grain + tarTint;
        gg = tar + grain;
        b = tar + grain - tarTint;
        // edge lines and dashed lane lines, 0.15 m wide, anti-aliased by pixel footprint
        const lw = 0.075;
        let near = Math.min(Math.abs(X - edgeL), Math.abs(X - edgeR));
        if ((Z + dashPhase) % (dash + gap) < dash)
          for (let mi = 0; mi < markings.length; mi++)
            near = Math.min(near, Math.abs(X - (markings[mi] as number)));
        const paint = Math.min(1, Math.max(0, (lw - near) / px + 0.5));
        if (paint > 0) {
          r += (225 - r) * paint;
          gg += (225 - gg) * paint;
          b += (215 - b) * paint;
        }
      }
      // haze with distance
      const haze = Math.min(0.6, Z / 500);
      d[o] = r + (sky[0] - r) * haze;
      d[o + 1] = gg + (sky[1] - gg) * haze;
      d[o + 2] = b + (sky[2] - b) * haze;
    }
  }
  return c;
}

/** Copies a canvas's pixels into another of the same size. */
export function copyInto(dst: Canvas, src: Canvas): void {
  dst.rgb.set(src.rgb);
}

export { rect };
