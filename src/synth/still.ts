import type { Camera } from "./camera.js";
import { addNoise, blockCompress, boxBlur1d, defocus, glare, nightInfrared } from "./effects.js";
import { randomEuMark } from "./eu-marks.js";
import { randomEuPlateStyle } from "./eu-plate.js";
import { type PlateFormat, randomForeignText, randomMark } from "./marks.js";
import { randomPlateStyle } from "./plate.js";
import { Canvas } from "./raster.js";
import { Rng } from "./rng.js";
import {
  type Box,
  bboxOf,
  drawVehicle,
  overlaps,
  PlacedVehicle,
  type PlateSpec,
  type PlateTruth,
  plateTruthFor,
  type RoadLayout,
  renderBackground,
} from "./scene.js";
import { type Facing, randomVehicle, type VehicleKind } from "./vehicles.js";
import { applyH, homography, type Mat3, type Quad, warpInto } from "./warp.js";

/** Glyph height in metres: what sets a plate's character height in pixels at a given distance. */
export const GLYPH_HEIGHT_M = 0.079;

export interface StillOptions {
  /** Frame size, default 1280x720. */
  widthPx?: number;
  heightPx?: number;
  /** Probability of an infrared night frame (default 0.25); true/false forces it. */
  night?: number | boolean;
  /** Number of vehicles (default 1-3 at random). */
  vehicles?: number;
  /**
   * "uk" (default): every plate a valid UK mark. "any": about 30% carry foreign-style text. "eu": every
   * plate a European one (eu-plate.ts: blue band, crest, dash or seals between groups, EU fonts).
   */
  region?: "uk" | "any" | "eu";
  /** Character height range of the main vehicle's plate in pixels (default [12, 40]). */
  charHeightPx?: [number, number];
  /** Restrict marks to these formats (default: all, weighted as on real roads). */
  formats?: readonly PlateFormat[];
  /** Blur, noise, compression, glare, shadows, occlusion (default true). */
  conditions?: boolean;
}

export interface Still {
  seed: number;
  width: number;
  height: number;
  night: boolean;
  /** 8-bit RGB, row-major, no padding. */
  rgb: Uint8Array;
  /** 8-bit grey (BT.601 luma) of the same frame. */
  grey: Uint8Array;
  /** Every plate at least partly in the frame, far to near. */
  plates: PlateTruth[];
}

/** Streams of the seed: each kind of product draws from its own stream so they never coincide. */
export const STREAM = { still: 1, crop: 2, clip: 3 } as const;

export function randomPlateSpec(
  rng: Rng,
  colour: "white" | "yellow",
  twoLine: boolean,
  region: "uk" | "any" | "eu",
  formats?: readonly PlateFormat[],
): PlateSpec {
  if (region === "eu") {
    // one stream of its own, so the UK and "any" material draws exactly as before
    const r = rng.fork(77);
    const mark = randomEuMark(r);
    const eu = { mark, style: randomEuPlateStyle(r, mark) };
    const style = randomPlateStyle(r, undefined, { colour: eu.style.colour, twoLine: false });
    return { text: mark.text, format: "eu", style, eu };
  }
  if (region === "any" && rng.chance(0.3)) {
    const text = randomForeignText(rng);
    return { text, format: "foreign", style: randomPlateStyle(rng, undefined, { colour, twoLine }) };
  }
  const fmt = formats && formats.length > 0 ? rng.pick(formats) : undefined;
  const m = randomMark(rng, fmt);
  return { text: m.text, format: m.format, style: randomPlateStyle(rng, m.format, { colour, twoLine }) };
}

/** A camera whose frame fits plates of 12-40 px characters in one lane (see docs/synth.md). */
export function randomCamera(
  rng: Rng,
  widthPx: number,
  heightPx: number,
  charRange: [number, number] = [12, 40],
): Camera {
  const focalPx = widthPx * rng.range(1.5, 2.6);
  // Height above the plate such that the near and far plates both fit the frame vertically.
  const rel = (rng.range(0.5, 0.85) * heightPx) / (((charRange[1] - charRange[0]) / GLYPH_HEIGHT_M) * 1.0);
  const heightM = 0.55 + Math.min(rel, 6);
  const zNear = (GLYPH_HEIGHT_M * focalPx) / charRange[1];
  const zFar = (GLYPH_HEIGHT_M * focalPx) / charRange[0];
  const h = heightM - 0.55;
  const tiltRad = (Math.atan(h / zNear) + Math.atan(h / zFar)) / 2;
  return {
    widthPx,
    heightPx,
    focalPx,
    xM: 0,
    heightM,
    tiltRad,
    rollRad: (rng.range(-4, 4) * Math.PI) / 180,
  };
}

export function randomRoad(
  rng: Rng,
  cam: Camera,
): { road: RoadLayout; cameraLane: number; directions: Facing[] } {
  const laneWidthM = rng.range(3.3, 3.7);
  const n = rng.int(2, 4);
  const cameraLane = rng.int(0, n - 1);
  const lanes = Array.from({ length: n }, (_, i) => (i - cameraLane) * laneWidthM);
  // Aimed at one lane, or over the line between two so both lanes' traffic passes through the view.
  const between = n > 1 && rng.chance(0.5);
  const side = cameraLane === 0 ? 1 : cameraLane === n - 1 ? -1 : rng.chance(0.5) ? 1 : -1;
  cam.xM = between ? (side * laneWidthM) / 2 + rng.range(-0.2, 0.2) : rng.range(-0.4, 0.4);
  const mainFacing: Facing = rng.chance(0.6) ? "front" : "rear";
  const directions = lanes.map((_, i) =>
    i === cameraLane ? mainFacing : rng.chance(0.5) ? "front" : "rear",
  );
  return {
    road: {
      laneWidthM,
      lanes,
      roadLeftM: (lanes[0] as number) - laneWidthM / 2,
      roadRightM: (lanes[n - 1] as number) + laneWidthM / 2,
    },
    cameraLane,
    directions,
  };
}

/** Z (metres along the road) at which a plate at height plateY shows characters of charPx pixels. */
export function zForCharHeight(cam: Camera, charPx: number, plateY: number): number {
  const depthM = (GLYPH_HEIGHT_M * cam.focalPx) / charPx;
  return (depthM + (plateY - cam.heightM) * Math.sin(cam.tiltRad)) / Math.cos(cam.tiltRad);
}

/** Tilts the camera so a plate with characters of charPx pixels appears at image row targetY. */
export function aimAt(cam: Camera, charPx: number, plateY: number, targetY: number): void {
  for (let i = 0; i < 4; i++) {
    const z = zForCharHeight(cam, charPx, plateY);
    const below = Math.atan((cam.heightM - plateY) / z);
    cam.tiltRad = below - Math.atan((targetY - cam.heightPx / 2) / cam.focalPx);
  }
}

/** Per-plate conditions: brightness, occluder over part of one character, shadow, glare. */
export function decoratePlate(v: PlacedVehicle, rng: Rng, conditions: boolean): void {
  v.plateGain = rng.range(0.82, 1.08);
  if (!conditions) return;
  if (rng.chance(0.07) && v.charBoxes.length > 0) {
    const i = rng.int(0, v.charBoxes.length - 1);
    const [x, y, w, h] = (v.charBoxes[i] as { box: [number, number, number, number] }).box;
    const ow = w * rng.range(0.25, 0.45);
    const fromTop = rng.chance(0.5);
    v.occludedChar = i;
    v.occluder = fromTop
      ? [x + w * rng.range(0, 0.6), y - h * 0.3, ow, h * 0.65]
      : [x + w * rng.range(0, 0.6), y + h * 0.55, ow, h * 0.7];
  }
  if (rng.chance(0.15))
    v.shadow = { angle: rng.range(-1.2, 1.2), offset: rng.range(0.2, 0.8), factor: rng.range(0.45, 0.75) };
  if (rng.chance(0.1))
    v.glare = {
      u: rng.range(0.1, 0.9),
      v: rng.range(0.1, 0.9),
      radius: rng.range(0.1, 0.35),
      strength: rng.range(60, 160),
    };
}

function resolveNight(rng: Rng, night: number | boolean | undefined): boolean {
  if (typeof night === "boolean") return night;
  return rng.chance(night ?? 0.25);
}

/** Marks plates covered by a nearer vehicle as not whole. Vehicles are sorted far to near. */
export function applyOcclusion(plates: (PlateTruth | undefined)[], bodies: Box[]): void {
  plates.forEach((p, i) => {
    if (!p) return;
    for (let j = i + 1; j < bodies.length; j++) if (overlaps(p.box, bodies[j] as Box)) p.whole = false;
  });
}

/**
 * A still of a road scene with ground truth for every plate, including each character's box and corners.
 * Deterministic for (seed, options).
 */
export function generateStill(seed: number, options: StillOptions = {}): Still {
  const W = options.widthPx ?? 1280;
  const H = options.heightPx ?? 720;
  const rng = new Rng(seed, STREAM.still);
  const conditions = options.conditions ?? true;
  const region = options.region ?? "uk";
  const range = options.charHeightPx ?? [12, 40];
  const cam = randomCamera(rng, W, H, range);
  const { road, cameraLane, directions } = randomRoad(rng, cam);
  const night = resolveNight(rng, options.night);
  // The main vehicle first: the camera is aimed so its plate lands at a random height in the frame.
  const mainDesign = randomVehicle(rng, directions[cameraLane] as Facing);
  const mainCharPx = rng.range(range[0], range[1]);
  aimAt(cam, mainCharPx, mainDesign.plateY, rng.range(0.3, 0.85) * H);
  const bg = renderBackground(cam, road, rng.fork(1));
  const canvas = new Canvas(W, H, bg.rgb);
  if (night) nightInfrared(canvas, rng.range(0.1, 0.2));
  const count = options.vehicles ?? rng.int(1, 3);
  const placed: PlacedVehicle[] = [];
  for (let k = 0; k < count; k++) {
    const lane = k === 0 ? cameraLane : rng.int(0, road.lanes.length - 1);
    const facing = directions[lane] as Facing;
    const design = k === 0 ? mainDesign : randomVehicle(rng, facing);
    const charPx = k === 0 ? mainCharPx : rng.range(range[0] * 0.8, range[1] * 0.6);
    const z = zForCharHeight(cam, charPx, design.plateY);
    const depthM = (GLYPH_HEIGHT_M * cam.focalPx) / charPx;
    const halfViewM = ((W / 2) * depthM) / cam.focalPx;
    // The main vehicle is placed in view of the camera (whichever lane that is); others in their lanes.
    const x =
      k === 0
        ? cam.xM + rng.range(-1, 1) * Math.max(0, Math.min(1.2, halfViewM - 0.5))
        : (road.lanes[lane] as number) + rng.range(-0.4, 0.4);
    const spec = randomPlateSpec(
      rng,
      facing === "front" ? "white" : "yellow",
      design.twoLine,
      region,
      options.formats,
    );
    const texPxPerMm = Math.max(0.3, (charPx / 79) * 2.2);
    const v = new PlacedVehicle(
      design,
      spec,
      x,
      z,
      (rng.range(-18, 18) * Math.PI) / 180,
      (rng.range(-5, 5) * Math.PI) / 180,
      texPxPerMm,
      rng.fork(10 + k),
    );
    decoratePlate(v, rng, conditions);
    placed.push(v);
  }
  placed.sort((a, b) => b.zM - a.zM);
  const truths: PlateTruth[] = [];
  const bodies: Box[] = [];
  for (const v of placed) {
    const t = drawVehicle(canvas, cam, v, night);
    const body = v.bodyBox(cam);
    if (conditions && rng.chance(0.3)) boxBlur1d(canvas, rng.range(1.5, 4), "y", body);
    if (night && v.design.facing === "front") {
      for (const side of [-1, 1]) {
        const [gx, gy] = v.toImage(cam, side * (v.design.widthM / 2 - 0.24), v.design.plateY + 0.33);
        glare(canvas, gx, gy, (0.25 * cam.focalPx) / Math.max(1, v.zM), 120);
      }
    }
    truths.push(t);
    bodies.push(body);
  }
  applyOcclusion(truths, bodies);
  if (conditions) {
    if (rng.chance(0.4)) defocus(canvas, rng.range(0.4, 1.3));
    addNoise(canvas, night ? rng.range(3, 9) : rng.range(1, 5), rng);
    // Compression artefacts where they matter (around plates): the whole frame would cost 10x more.
    if (rng.chance(0.3)) {
      const step = rng.range(3, 14);
      for (const t of truths)
        blockCompress(canvas, step, [t.box[0] - 16, t.box[1] - 16, t.box[2] + 32, t.box[3] + 32]);
    }
  }
  const visible = truths.filter(
    (t) => t.box[0] + t.box[2] > 0 && t.box[1] + t.box[3] > 0 && t.box[0] < W && t.box[1] < H,
  );
  return { seed, width: W, height: H, night, rgb: canvas.toRgb8(), grey: canvas.toGrey8(), plates: visible };
}

export interface CropOptions {
  /** Character height range in pixels (default [14, 48]). */
  charHeightPx?: [number, number];
  night?: number | boolean;
  region?: "uk" | "any";
  formats?: readonly PlateFormat[];
  /** Probability of a two-line plate (default 0.1). */
  twoLine?: number;
  conditions?: boolean;
}

export interface PlateCrop {
  seed: number;
  width: number;
  height: number;
  night: boolean;
  rgb: Uint8Array;
  grey: Uint8Array;
  /** The plate's truth in crop pixels (`whole` is always true). */
  plate: PlateTruth;
}

/**
 * A tight image of one plate (a margin of vehicle body around it) with per-character boxes: fast training
 * material for character classifiers. Rotation up to ±8°, mild perspective.
 */
export function generatePlateCrop(seed: number, options: CropOptions = {}): PlateCrop {
  const rng = new Rng(seed, STREAM.crop);
  const conditions = options.conditions ?? true;
  const [lo, hi] = options.charHeightPx ?? [14, 48];
  const charPx = rng.range(lo, hi);
  const night = resolveNight(rng, options.night ?? 0.2);
  const twoLine = rng.chance(options.twoLine ?? 0.1);
  const colour = rng.chance(0.5) ? "white" : "yellow";
  const spec = randomPlateSpec(rng, colour, twoLine, options.region ?? "uk", options.formats);
  const kind: VehicleKind = twoLine ? "motorcycle" : "car";
  const design = randomVehicle(rng, colour === "white" ? "front" : "rear", kind);
  const glyphMm = twoLine ? 64 : 79;
  const pxPerMm = charPx / glyphMm;
  const v = new PlacedVehicle(design, spec, 0, 0, 0, 0, Math.max(0.3, pxPerMm * 2), rng.fork(5));
  decoratePlate(v, rng, conditions);
  const pw = v.plateWidthM * 1000 * pxPerMm;
  const ph = v.plateHeightM * 1000 * pxPerMm;
  const mx = pw * rng.range(0.08, 0.25);
  const my = ph * rng.range(0.15, 0.5);
  // The rotated, slightly perspective plate around the origin; the crop is its bounding box plus margins.
  const ang = (rng.range(-8, 8) * Math.PI) / 180;
  const persp = (): number => rng.range(-0.04, 0.04) * ph;
  const corner = (dx: number, dy: number): [number, number] => [
    dx * Math.cos(ang) - dy * Math.sin(ang) + persp(),
    dx * Math.sin(ang) + dy * Math.cos(ang) + persp(),
  ];
  const quad: Quad = [
    corner(-pw / 2, -ph / 2),
    corner(pw / 2, -ph / 2),
    corner(pw / 2, ph / 2),
    corner(-pw / 2, ph / 2),
  ];
  const [qx, qy, qw, qh] = bboxOf(quad);
  const W = Math.ceil(qw + 2 * mx);
  const H = Math.ceil(qh + 2 * my);
  const dst = quad.map(([x, y]) => [x - qx + (W - qw) / 2, y - qy + (H - qh) / 2]) as Quad;
  const canvas = new Canvas(W, H);
  const paint = design.shapes.find((s) => s.contours.length > 0 && !s.light)?.rgb ?? [120, 120, 120];
  const body = design.shapes[1]?.rgb ?? paint;
  canvas.fill(body[0], body[1], body[2]);
  const tw = v.texture.width;
  const th = v.texture.height;
  const Hm = homography(
    [
      [0, 0],
      [tw, 0],
      [tw, th],
      [0, th],
    ],
    dst,
  );
  if (night) nightInfrared(canvas, 0.15);
  warpInto(canvas, night ? v.infraredTexture() : v.texture, Hm, {
    gain: [v.plateGain, v.plateGain, v.plateGain],
  });
  if (v.occluder) {
    const [ox, oy, ow, oh] = v.occluder;
    const q = [
      applyH(Hm, ox, oy),
      applyH(Hm, ox + ow, oy),
      applyH(Hm, ox + ow, oy + oh),
      applyH(Hm, ox, oy + oh),
    ];
    canvas.fillPolygons([q.flat()], 30, 30, 33);
  }
  if (conditions) {
    if (rng.chance(0.4)) defocus(canvas, rng.range(0.3, 1.2));
    if (rng.chance(0.2)) boxBlur1d(canvas, rng.range(1.5, 3.5), "y");
    addNoise(canvas, night ? rng.range(3, 8) : rng.range(1, 5), rng);
    if (rng.chance(0.25)) blockCompress(canvas, rng.range(3, 12));
  }
  const cam: Camera = { widthPx: W, heightPx: H, focalPx: 1, xM: 0, heightM: 0, tiltRad: 0, rollRad: 0 };
  const plate = cropTruth(v, Hm, cam);
  return { seed, width: W, height: H, night, rgb: canvas.toRgb8(), grey: canvas.toGrey8(), plate };
}

function cropTruth(v: PlacedVehicle, Hm: Mat3, cam: Camera): PlateTruth {
  // The scene's truth builder, through a view of the vehicle whose homography is the crop's.
  const fixed = Object.create(v) as PlacedVehicle;
  fixed.plateHomography = () => Hm;
  const t = plateTruthFor(cam, fixed);
  t.whole = true;
  return t;
}
