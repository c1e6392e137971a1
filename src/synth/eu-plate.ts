import type { EuMark, EuSeparator } from "./eu-marks.js";
import { contoursBox } from "./glyphs/font-glyphs.js";
import { TRAINING_FONT_NAMES, type TrainingFontName, trainingFont } from "./glyphs/training-fonts.js";
import type { CharLayout, RenderedPlate } from "./plate.js";
import { smallText } from "./plate.js";
import { Canvas, type Contour, ellipse, mapContours, rect, reversed, roundRect } from "./raster.js";
import type { Rng } from "./rng.js";

/**
 * European plates (`--region eu` material), laid out in millimetres like the real ones: 520 × 110 mm,
 * characters 75–80 mm high in a narrow DIN-1451- or FE-Schrift-like face with the font's own widths and
 * 5–11 mm between characters, a blue EU band (twelve stars and the country code) or, on older plates, a
 * small black crest and code at the left, and between the main groups a dash, a coat of arms, the German
 * round seals or a wide space. Often a thin border, screws, and a dark mount around the plate (a dealer's
 * holder with its name under the plate, or the bumper's recess) whose sides can be as wide as characters.
 * The glyphs are the upright OFL training faces (`training-fonts.ts`); none of this shares code with the
 * recogniser.
 */
export interface EuPlateStyle {
  colour: "white" | "yellow";
  /** "eu": blue band with stars and code; "tab": small crest and code in black (older plates); "none". */
  band: "eu" | "tab" | "none";
  country: string;
  separator: EuSeparator;
  glyphs: TrainingFontName;
  /** Horizontal scale of the face (narrow and wide plate fonts). */
  widthScale: number;
  /** Glyph height in mm (75–80). */
  glyphHeightMm: number;
  /** Space between characters, share of the glyph height. */
  charGap: number;
  border: boolean;
  screws: boolean;
  /** A dark mount around the plate (millimetres beyond each edge, its grey, dealer text or ""). */
  mount?: { sideMm: number; topMm: number; bottomMm: number; grey: number; text: string };
}

/** Upright faces only: plate fonts are not italic. */
export const EU_FONTS: readonly TrainingFontName[] = TRAINING_FONT_NAMES.filter((n) => !n.endsWith("i"));

const HOLDERS = ["AUTO CENTRUM", "AUTOMOBIL SK", "CAR SERVIS", "AUTOHAUS", "MOTOR CENTRUM"];

export function randomEuPlateStyle(rng: Rng, mark: EuMark): EuPlateStyle {
  const f = mark.format;
  return {
    colour: f.country === "NL" || rng.chance(0.05) ? "yellow" : "white",
    band: rng.weighted({ eu: 0.6, tab: f.country === "SK" || f.country === "CZ" ? 0.3 : 0, none: 0.1 }),
    country: f.country,
    separator: rng.pick(f.separators),
    glyphs: rng.pick(EU_FONTS),
    widthScale: rng.range(0.85, 1.25),
    glyphHeightMm: rng.range(75, 80),
    charGap: rng.range(0.06, 0.14),
    border: rng.chance(0.6),
    screws: rng.chance(0.35),
    ...(rng.chance(0.45)
      ? {
          mount: {
            sideMm: rng.range(4, 30),
            topMm: rng.range(4, 12),
            bottomMm: rng.range(6, 22),
            grey: rng.range(20, 75),
            text: rng.chance(0.6) ? rng.pick(HOLDERS) : "",
          },
        }
      : {}),
  };
}

const PLATE_MM = { width: 520, height: 110, margin: 8 } as const;
const BAND_MM = { width: 44, tab: 30 } as const;

interface Piece {
  kind: "char" | "space" | "separator";
  char?: string;
  widthMm: number;
}

/** A glyph of the face at height h (mm), its contours from x = 0, and its width. */
function glyphAt(style: EuPlateStyle, ch: string, h: number): { contours: Contour[]; widthMm: number } {
  const raw = trainingFont(style.glyphs).glyph(ch, { widthMm: h, heightMm: h, strokeMm: h / 7 });
  const contours = mapContours(raw, (x, y) => [x * style.widthScale, y]);
  const [x0, , x1] = contoursBox(contours);
  return { contours: mapContours(contours, (x, y) => [x - x0, y]), widthMm: x1 - x0 };
}

function separatorWidth(sep: EuSeparator, h: number): number {
  switch (sep) {
    case "space":
      return 0.32 * h;
    case "dash":
      return 0.42 * h;
    case "crest":
      return 0.62 * h;
    case "seals":
      return 0.62 * h;
  }
}

/** A shield (flat top, sides curving to a point), width w, height h, top-left at (x, y). */
function shield(x: number, y: number, w: number, h: number): Contour {
  const c: Contour = [x, y, x + w, y, x + w, y + h * 0.55];
  for (let i = 1; i <= 8; i++) {
    const t = i / 8;
    c.push(x + w - (w / 2) * Math.sin((t * Math.PI) / 2), y + h * 0.55 + h * 0.45 * t ** 0.8);
  }
  for (let i = 1; i <= 8; i++) {
    const t = 1 - i / 8;
    c.push(x + (w / 2) * Math.sin((t * Math.PI) / 2), y + h * 0.55 + h * 0.45 * t ** 0.8);
  }
  return c;
}

/** A coat of arms: a red shield with a white double cross on blue hills (as on Slovak plates). */
function drawCrest(c: Canvas, cx: number, cy: number, w: number, h: number, s: number): void {
  const x = cx - w / 2;
  const y = cy - h / 2;
  c.fillPolygons([shield(x * s, y * s, w * s, h * s)], 205, 30, 40);
  const bar = w * 0.12;
  c.fillPolygons(
    [
      rect((cx - bar / 2) * s, (y + h * 0.12) * s, (cx + bar / 2) * s, (y + h * 0.72) * s),
      rect((cx - w * 0.22) * s, (y + h * 0.25) * s, (cx + w * 0.22) * s, (y + h * 0.25 + bar) * s),
      rect((cx - w * 0.3) * s, (y + h * 0.42) * s, (cx + w * 0.3) * s, (y + h * 0.42 + bar) * s),
    ],
    250,
    250,
    250,
  );
  c.fillPolygons([ellipse(cx * s, (y + h * 0.82) * s, w * 0.3 * s, h * 0.12 * s, 16)], 20, 60, 170);
}

/** The German seals: a round inspection sticker over a round state seal. */
function drawSeals(c: Canvas, cx: number, cy: number, h: number, s: number, rng?: Rng): void {
  const r = h * 0.22;
  const tint = (): [number, number, number] =>
    rng ? [rng.range(60, 240), rng.range(60, 220), rng.range(40, 200)] : [200, 120, 60];
  for (const [dy, col] of [
    [-r * 1.05, tint()],
    [r * 1.05, [170, 170, 175]],
  ] as const) {
    c.fillPolygons([ellipse(cx * s, (cy + dy) * s, r * s, r * s, 20)], 40, 40, 45);
    c.fillPolygons([ellipse(cx * s, (cy + dy) * s, r * 0.85 * s, r * 0.85 * s, 20)], col[0], col[1], col[2]);
  }
}

/** Rasterises an EU plate at `pxPerMm`; `rng` adds colour, dirt and seal variation. */
export function renderEuPlate(mark: EuMark, style: EuPlateStyle, pxPerMm: number, rng?: Rng): RenderedPlate {
  const h = style.glyphHeightMm;
  const gap = style.charGap * h;
  const pieces: Piece[] = [];
  mark.groups.forEach((g, gi) => {
    if (gi > 0) pieces.push({ kind: "separator", widthMm: separatorWidth(style.separator, h) });
    for (const ch of g) {
      if (ch === " ") pieces.push({ kind: "space", widthMm: 0.26 * h });
      else pieces.push({ kind: "char", char: ch, widthMm: glyphAt(style, ch, h).widthMm });
    }
  });
  const bandW = style.band === "eu" ? BAND_MM.width : style.band === "tab" ? BAND_MM.tab : 0;
  const left = bandW + PLATE_MM.margin;
  let content = 0;
  pieces.forEach((p, i) => {
    content += p.widthMm + (i > 0 && p.kind === "char" && pieces[i - 1]!.kind === "char" ? gap : 0);
  });
  // Real plates condense a long mark rather than grow: squeeze down to 70%, then widen the plate.
  const squeeze = Math.max(0.7, Math.min(1, (PLATE_MM.width - left - PLATE_MM.margin) / content));
  const plateW = Math.max(PLATE_MM.width, left + content * squeeze + PLATE_MM.margin);
  const mount = style.mount;
  const ox = mount?.sideMm ?? 0;
  const oy = mount?.topMm ?? 0;
  const widthMm = plateW + 2 * ox;
  const heightMm = PLATE_MM.height + oy + (mount?.bottomMm ?? 0);
  const s = pxPerMm;
  const c = new Canvas(Math.max(4, Math.round(widthMm * s)), Math.max(2, Math.round(heightMm * s)));
  const jitter = (v: number, d: number): number => (rng ? v + rng.range(-d, d) : v);
  const ground: [number, number, number] =
    style.colour === "white"
      ? [jitter(234, 12), jitter(235, 12), jitter(230, 12)]
      : [jitter(246, 6), jitter(204, 14), jitter(20, 14)];
  if (mount) {
    c.fill(mount.grey, mount.grey, mount.grey + 2);
    if (mount.text && mount.bottomMm >= 12)
      smallText(
        c,
        mount.text,
        widthMm / 2,
        oy + PLATE_MM.height + (mount.bottomMm - 7) / 2,
        7,
        s,
        [200, 200, 195],
      );
  } else c.fill(...ground);
  const plate = roundRect(ox * s, oy * s, (ox + plateW) * s, (oy + PLATE_MM.height) * s, 5 * s);
  c.fillPolygons([plate], ...ground);
  if (style.band === "eu") {
    c.fillPolygons(
      [roundRect(ox * s, oy * s, (ox + bandW) * s, (oy + PLATE_MM.height) * s, 4 * s)],
      0,
      51,
      153,
    );
    const stars: Contour[] = [];
    for (let k = 0; k < 12; k++) {
      const a = (k / 12) * Math.PI * 2;
      stars.push(
        ellipse((ox + bandW / 2 + Math.cos(a) * 12) * s, (oy + 30 + Math.sin(a) * 12) * s, 2 * s, 2 * s, 6),
      );
    }
    c.fillPolygons(stars, 255, 204, 0);
    smallText(c, style.country, ox + bandW / 2, oy + 62, 26, s, [255, 255, 255]);
  } else if (style.band === "tab") {
    drawCrest(c, ox + bandW / 2 + 2, oy + 36, 14, 18, s);
    smallText(c, style.country, ox + bandW / 2 + 2, oy + 58, 14, s, [20, 20, 22]);
  }
  if (style.border) {
    const t = 2.2;
    c.fillPolygons(
      [
        roundRect(
          (ox + 1.5) * s,
          (oy + 1.5) * s,
          (ox + plateW - 1.5) * s,
          (oy + PLATE_MM.height - 1.5) * s,
          5 * s,
        ),
        reversed(
          roundRect(
            (ox + 1.5 + t) * s,
            (oy + 1.5 + t) * s,
            (ox + plateW - 1.5 - t) * s,
            (oy + PLATE_MM.height - 1.5 - t) * s,
            4 * s,
          ),
        ),
      ],
      20,
      20,
      22,
    );
  }
  const ink: [number, number, number] = [jitter(20, 10), jitter(20, 10), jitter(22, 10)];
  const yMm = oy + (PLATE_MM.height - h) / 2 + (rng ? rng.range(-2, 2) : 0);
  let x = ox + left + (plateW - left - PLATE_MM.margin - content * squeeze) / 2;
  const chars: CharLayout[] = [];
  const boxes: RenderedPlate["chars"] = [];
  const sepCentres: number[] = [];
  pieces.forEach((p, i) => {
    if (i > 0 && p.kind === "char" && pieces[i - 1]!.kind === "char") x += gap * squeeze;
    const w = p.widthMm * squeeze;
    if (p.kind === "separator") {
      const cx = x + w / 2;
      const cy = yMm + h / 2;
      sepCentres.push(cx);
      if (style.separator === "dash")
        c.fillPolygons(
          [rect((cx - 0.13 * h) * s, (cy - 0.05 * h) * s, (cx + 0.13 * h) * s, (cy + 0.05 * h) * s)],
          ...ink,
        );
      else if (style.separator === "crest") drawCrest(c, cx, cy - 0.05 * h, 0.42 * h, 0.55 * h, s);
      else if (style.separator === "seals") drawSeals(c, cx, cy, h, s, rng);
    } else if (p.kind === "char") {
      const g = glyphAt(style, p.char!, h);
      c.fillPolygons(
        mapContours(g.contours, (gx, gy) => [(x + gx * squeeze) * s, (yMm + gy) * s]),
        ...ink,
      );
      chars.push({ char: p.char!, xMm: x, yMm, widthMm: w, heightMm: h, strokeMm: h / 7 });
      boxes.push({ char: p.char!, box: [x * s, yMm * s, w * s, h * s] });
    }
    x += w;
  });
  if (style.screws) {
    const r = 4;
    const first = chars[0];
    const last = chars[chars.length - 1];
    const cy = oy + (rng?.chance(0.5) ? PLATE_MM.height / 2 : 12);
    const spots: number[] = [];
    if (first && last) {
      if (first.xMm - (ox + bandW) >= 14 && ox + plateW - (last.xMm + last.widthMm) >= 14)
        spots.push((ox + bandW + first.xMm) / 2, (last.xMm + last.widthMm + ox + plateW) / 2);
      else if (sepCentres.length > 0 && style.separator === "space") spots.push(sepCentres[0]!);
    }
    for (const sx of spots) {
      c.fillPolygons([ellipse(sx * s, cy * s, r * s, r * s, 16)], 150, 150, 145);
      c.fillPolygons([ellipse(sx * s, cy * s, r * 0.7 * s, r * 0.7 * s, 16)], 205, 205, 198);
    }
  }
  if (rng) {
    const n = rng.int(0, 4);
    for (let k = 0; k < n; k++) {
      const dx = rng.range(0, c.width);
      const dy = rng.range(0, c.height);
      const r = rng.range(2, 12) * s;
      c.fillPolygons([ellipse(dx, dy, r, r * rng.range(0.4, 1), 12)], 120, 110, 90, rng.range(0.05, 0.2));
    }
  }
  const first = mark.groups[0]!.replace(/ /g, "");
  return {
    canvas: c,
    layout: { widthMm, heightMm, chars, groups: [first, mark.text.slice(first.length)] },
    pxPerMm,
    chars: boxes,
  };
}
