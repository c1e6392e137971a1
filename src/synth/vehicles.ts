import { glyphSource } from "./glyphs/sources.js";
import { type Contour, ellipse, mapContours, rect, roundRect } from "./raster.js";
import type { Rng } from "./rng.js";

/**
 * Vehicles seen from the front or the rear as flat faces: coloured shapes in face coordinates (metres,
 * x right from the centre line, y up from the road), with the plate's position and size, and badges or
 * livery text that are not plates.
 */
export type VehicleKind = "car" | "suv" | "van" | "truck" | "motorcycle";
export type Facing = "front" | "rear";

export interface Shape {
  contours: Contour[];
  rgb: [number, number, number];
  /** Lights glow at night; everything else goes dark. */
  light?: boolean;
}

export interface VehicleDesign {
  kind: VehicleKind;
  facing: Facing;
  widthM: number;
  heightM: number;
  shapes: Shape[];
  /** Plate centre in face coordinates (metres). */
  plateX: number;
  plateY: number;
  twoLine: boolean;
}

export const KIND_WEIGHTS: Readonly<Record<VehicleKind, number>> = {
  car: 0.62,
  suv: 0.14,
  van: 0.12,
  truck: 0.06,
  motorcycle: 0.06,
};

const PAINT: [number, number, number][] = [
  [200, 200, 205],
  [30, 30, 34],
  [235, 235, 235],
  [120, 122, 128],
  [150, 20, 25],
  [20, 45, 110],
  [60, 90, 60],
  [170, 170, 160],
  [90, 60, 40],
  [210, 120, 20],
  [70, 120, 170],
  [15, 15, 15],
];

const BADGES = ["GTI", "TDI", "HYBRID", "SPORT", "4X4", "ECO", "A3", "320D", "XR5", "E-TECH"];
const LIVERY = ["FAST PARCELS", "ACME LOGISTICS", "PLUMBING 24H", "CITY FLOWERS", "NORTH DAIRY"];

/** Text in face coordinates, baseline at y, cap height h (metres), centred on cx. */
function textShape(text: string, cx: number, y: number, h: number, rgb: [number, number, number]): Shape {
  const src = glyphSource("roboto-condensed-700");
  const w = h * 0.55;
  const gap = h * 0.12;
  const total = text.length * w + (text.length - 1) * gap;
  let x = cx - total / 2;
  const contours: Contour[] = [];
  for (const ch of text) {
    if (ch !== " ") {
      const cw = ch === "I" || ch === "1" ? w * 0.35 : w;
      const g = src.glyph(ch, { widthMm: cw, heightMm: h, strokeMm: h * 0.15 });
      const ox = x + (w - cw) / 2;
      contours.push(...mapContours(g, (gx, gy) => [ox + gx, y + h - gy]));
    }
    x += w + gap;
  }
  return { contours, rgb };
}

function quad(...p: number[]): Contour {
  return p;
}

/** A random vehicle of a kind (or a kind drawn by KIND_WEIGHTS), facing the camera or going away. */
export function randomVehicle(rng: Rng, facing: Facing, kind?: VehicleKind): VehicleDesign {
  let k = kind ?? rng.weighted(KIND_WEIGHTS);
  if (k === "motorcycle" && facing === "front") k = "car"; // motorcycles carry rear plates only
  const paint = rng.pick(PAINT);
  const body: [number, number, number] = [
    paint[0] + rng.range(-12, 12),
    paint[1] + rng.range(-12, 12),
    paint[2] + rng.range(-12, 12),
  ];
  const dark: [number, number, number] = [body[0] * 0.55, body[1] * 0.55, body[2] * 0.55];
  const glass: [number, number, number] = [
    35 + rng.range(0, 20),
    45 + rng.range(0, 20),
    55 + rng.range(0, 20),
  ];
  const tyre: [number, number, number] = [22, 22, 24];
  const chrome: [number, number, number] = [190, 190, 195];
  const shapes: Shape[] = [];
  if (k === "motorcycle") {
    const jacket: [number, number, number] = rng.pick([
      [20, 20, 20],
      [60, 60, 70],
      [150, 30, 30],
      [200, 180, 40],
    ]);
    shapes.push({ contours: [rect(-0.07, 0, 0.07, 0.62)], rgb: tyre });
    shapes.push({ contours: [roundRect(-0.24, 0.55, 0.24, 0.95, 0.06)], rgb: body });
    shapes.push({ contours: [roundRect(-0.3, 0.92, 0.3, 1.55, 0.12)], rgb: jacket });
    shapes.push({ contours: [ellipse(0, 1.7, 0.15, 0.17, 20)], rgb: rng.pick(PAINT) });
    shapes.push({ contours: [rect(-0.06, 0.93, 0.06, 0.98)], rgb: [200, 20, 20], light: true });
    return { kind: k, facing, widthM: 0.6, heightM: 1.9, shapes, plateX: 0, plateY: 0.76, twoLine: true };
  }
  if (k === "truck") {
    const w = 2.5;
    const box: [number, number, number] = rng.chance(0.5) ? [225, 225, 225] : body;
    shapes.push({
      contours: [rect(-w / 2 + 0.1, 0, -w / 2 + 0.45, 0.55), rect(w / 2 - 0.45, 0, w / 2 - 0.1, 0.55)],
      rgb: tyre,
    });
    if (facing === "rear") {
      shapes.push({ contours: [rect(-w / 2, 0.85, w / 2, 3.7)], rgb: box });
      shapes.push({
        contours: [rect(-0.015, 0.9, 0.015, 3.6)],
        rgb: [box[0] * 0.6, box[1] * 0.6, box[2] * 0.6],
      });
      shapes.push({ contours: [rect(-w / 2 + 0.1, 0.42, w / 2 - 0.1, 0.55)], rgb: [40, 40, 40] });
      shapes.push({
        contours: [rect(-w / 2 + 0.05, 0.6, -w / 2 + 0.3, 0.8), rect(w / 2 - 0.3, 0.6, w / 2 - 0.05, 0.8)],
        rgb: [190, 20, 20],
        light: true,
      });
      shapes.push(textShape(rng.pick(LIVERY), 0, 2.4, 0.22, [30, 30, 90]));
      return {
        kind: k,
        facing,
        widthM: w,
        heightM: 3.7,
        shapes,
        plateX: rng.range(-0.4, 0.4),
        plateY: 0.72,
        twoLine: false,
      };
    }
    shapes.push({ contours: [rect(-w / 2, 0.45, w / 2, 3.2)], rgb: body });
    shapes.push({
      contours: [quad(-w / 2 + 0.12, 1.75, w / 2 - 0.12, 1.75, w / 2 - 0.15, 2.85, -w / 2 + 0.15, 2.85)],
      rgb: glass,
    });
    shapes.push({ contours: [rect(-0.8, 0.9, 0.8, 1.5)], rgb: dark });
    shapes.push({
      contours: [rect(-w / 2 + 0.1, 0.6, -w / 2 + 0.45, 0.78), rect(w / 2 - 0.45, 0.6, w / 2 - 0.1, 0.78)],
      rgb: [230, 230, 220],
      light: true,
    });
    shapes.push(textShape(rng.pick(["VOLVO", "SCANIA", "DAF", "MAN"]), 0, 1.58, 0.1, chrome));
    return { kind: k, facing, widthM: w, heightM: 3.2, shapes, plateX: 0, plateY: 0.7, twoLine: false };
  }
  if (k === "van") {
    const w = rng.range(1.9, 2.05);
    shapes.push({
      contours: [rect(-w / 2 + 0.08, 0, -w / 2 + 0.33, 0.4), rect(w / 2 - 0.33, 0, w / 2 - 0.08, 0.4)],
      rgb: tyre,
    });
    shapes.push({ contours: [roundRect(-w / 2, 0.25, w / 2, 2.3, 0.15)], rgb: body });
    if (facing === "front") {
      shapes.push({
        contours: [quad(-w / 2 + 0.12, 1.3, w / 2 - 0.12, 1.3, w / 2 - 0.22, 2.05, -w / 2 + 0.22, 2.05)],
        rgb: glass,
      });
      shapes.push({ contours: [roundRect(-0.5, 0.7, 0.5, 0.95, 0.04)], rgb: [35, 35, 38] });
      shapes.push({
        contours: [ellipse(-w / 2 + 0.22, 0.95, 0.16, 0.08, 16), ellipse(w / 2 - 0.22, 0.95, 0.16, 0.08, 16)],
        rgb: [225, 225, 215],
        light: true,
      });
      shapes.push({ contours: [ellipse(0, 1.05, 0.07, 0.05, 16)], rgb: chrome });
    } else {
      shapes.push({ contours: [rect(-0.012, 0.4, 0.012, 2.2)], rgb: dark });
      shapes.push({
        contours: [rect(-w / 2 + 0.15, 1.6, -0.1, 2.1), rect(0.1, 1.6, w / 2 - 0.15, 2.1)],
        rgb: glass,
      });
      shapes.push({
        contours: [rect(-w / 2 + 0.02, 0.9, -w / 2 + 0.14, 1.5), rect(w / 2 - 0.14, 0.9, w / 2 - 0.02, 1.5)],
        rgb: [180, 20, 20],
        light: true,
      });
      if (rng.chance(0.7))
        shapes.push(textShape(rng.pick(LIVERY), 0, 1.2, rng.range(0.08, 0.14), rng.pick(PAINT)));
    }
    shapes.push({ contours: [rect(-w / 2, 0.3, w / 2, 0.42)], rgb: [40, 40, 42] });
    return { kind: k, facing, widthM: w, heightM: 2.3, shapes, plateX: 0, plateY: 0.58, twoLine: false };
  }
  // car or suv
  const suv = k === "suv";
  const w = suv ? rng.range(1.85, 2.0) : rng.range(1.7, 1.88);
  const hs = suv ? 1.18 : 1;
  shapes.push({
    contours: [
      rect(-w / 2 + 0.06, 0, -w / 2 + 0.3, 0.34 * hs),
      rect(w / 2 - 0.3, 0, w / 2 - 0.06, 0.34 * hs),
    ],
    rgb: tyre,
  });
  shapes.push({ contours: [roundRect(-w / 2, 0.17 * hs, w / 2, 0.95 * hs, 0.12)], rgb: body });
  shapes.push({
    contours: [
      quad(-w / 2 + 0.1, 0.93 * hs, w / 2 - 0.1, 0.93 * hs, w / 2 - 0.3, 1.42 * hs, -w / 2 + 0.3, 1.42 * hs),
    ],
    rgb: body,
  });
  shapes.push({
    contours: [
      quad(
        -w / 2 + 0.2,
        0.97 * hs,
        w / 2 - 0.2,
        0.97 * hs,
        w / 2 - 0.36,
        1.36 * hs,
        -w / 2 + 0.36,
        1.36 * hs,
      ),
    ],
    rgb: glass,
  });
  shapes.push({ contours: [rect(-w / 2 + 0.02, 0.3 * hs, w / 2 - 0.02, 0.33 * hs)], rgb: dark });
  let plateY: number;
  if (facing === "front") {
    shapes.push({ contours: [roundRect(-0.36, 0.56 * hs, 0.36, 0.72 * hs, 0.05)], rgb: [32, 32, 36] });
    shapes.push({
      contours: [
        ellipse(-w / 2 + 0.24, 0.78 * hs, 0.17, 0.06, 16),
        ellipse(w / 2 - 0.24, 0.78 * hs, 0.17, 0.06, 16),
      ],
      rgb: [228, 228, 222],
      light: true,
    });
    shapes.push({ contours: [ellipse(0, 0.64 * hs, 0.06, 0.045, 16)], rgb: chrome });
    plateY = 0.45 * hs;
  } else {
    shapes.push({
      contours: [
        rect(-w / 2 + 0.03, 0.72 * hs, -w / 2 + 0.36, 0.86 * hs),
        rect(w / 2 - 0.36, 0.72 * hs, w / 2 - 0.03, 0.86 * hs),
      ],
      rgb: [175, 18, 22],
      light: true,
    });
    shapes.push({ contours: [ellipse(0, 0.84 * hs, 0.06, 0.045, 16)], rgb: chrome });
    if (rng.chance(0.6)) shapes.push(textShape(rng.pick(BADGES), w / 2 - 0.4, 0.74 * hs, 0.045, chrome));
    if (rng.chance(0.2)) shapes.push(textShape(rng.pick(BADGES), -w / 2 + 0.4, 0.74 * hs, 0.04, chrome));
    plateY = 0.58 * hs;
  }
  return {
    kind: k,
    facing,
    widthM: w,
    heightM: 1.42 * hs,
    shapes,
    plateX: 0,
    plateY,
    twoLine: rng.chance(0.03),
  };
}
