import { GLYPH_SOURCE_NAMES, type GlyphSourceName, glyphSource } from "./glyphs/sources.js";
import { groupsOf, type PlateFormat } from "./marks.js";
import { Canvas, type Contour, ellipse, mapContours, rect } from "./raster.js";
import type { Rng } from "./rng.js";

/**
 * UK number plates laid out in millimetres to the mandated geometry and rasterised at any resolution.
 * Car plates: 520x111 mm, glyphs 79x50 mm with a 14 mm stroke, 11 mm between characters, 33 mm between
 * the two groups, 11 mm margins ("1" and "I" narrower). Two-line (motorcycle/square) plates: glyphs
 * 64x44 mm with a 10 mm stroke and a 19 mm gap between the lines.
 */
export type PlateColour = "white" | "yellow";
export type PlateBand = "none" | "uk" | "green";

export interface PlateStyle {
  /** Front plates are black on white, rear plates black on yellow. */
  colour: PlateColour;
  twoLine: boolean;
  band: PlateBand;
  border: boolean;
  screws: boolean;
  /** Small supplier text along the bottom edge, or "" for none. */
  dealer: string;
  glyphs: GlyphSourceName;
  /** Pre-2001 plates may use 57 mm-wide glyphs (single-line, no band only). */
  wideGlyphs: boolean;
}

export const CAR_PLATE_MM = { width: 520, height: 111, glyphWidth: 50, glyphHeight: 79, stroke: 14 } as const;
export const TWO_LINE_PLATE_MM = {
  width: 229,
  height: 178,
  glyphWidth: 44,
  glyphHeight: 64,
  stroke: 10,
  lineGap: 19,
} as const;
const CHAR_GAP_MM = 11;
const GROUP_GAP_MM = 33;
const MARGIN_MM = 11;
const BAND_MM = 50;
const TWO_LINE_CHAR_GAP_MM = 10;

export interface CharLayout {
  char: string;
  /** Cell in millimetres from the plate's top-left: x, y, width, height. */
  xMm: number;
  yMm: number;
  widthMm: number;
  heightMm: number;
  strokeMm: number;
}

export interface PlateLayout {
  widthMm: number;
  heightMm: number;
  chars: CharLayout[];
  /** Where the two groups split (single-line: the 33 mm gap; two-line: the line break). */
  groups: [string, string];
}

function charWidth(ch: string, glyphWidth: number, stroke: number): number {
  if (ch === "I") return stroke;
  if (ch === "1") return Math.round(glyphWidth * 0.52);
  return glyphWidth;
}

/** Lays the text out on the plate. Text that would not fit widens the plate rather than overlap. */
export function layoutPlate(
  text: string,
  format: PlateFormat | undefined,
  style: Pick<PlateStyle, "twoLine" | "band" | "wideGlyphs">,
): PlateLayout {
  const groups = groupsOf(text, format);
  const band = style.band === "none" ? 0 : style.band === "green" ? BAND_MM * 0.7 : BAND_MM;
  if (!style.twoLine) {
    const g = CAR_PLATE_MM;
    const glyphWidth = style.wideGlyphs && style.band === "none" ? 57 : g.glyphWidth;
    const widths = [...text].map((c) => charWidth(c, glyphWidth, g.stroke));
    const content =
      widths.reduce((a, b) => a + b, 0) +
      CHAR_GAP_MM * Math.max(0, text.length - 2) +
      (groups[1].length > 0 && groups[0].length > 0 ? GROUP_GAP_MM : 0);
    const left = band > 0 ? band + 6 : MARGIN_MM;
    const widthMm = Math.max(g.width, left + content + MARGIN_MM);
    let x = left + (widthMm - MARGIN_MM - left - content) / 2;
    const yMm = (g.height - g.glyphHeight) / 2;
    const chars: CharLayout[] = [];
    [...text].forEach((char, i) => {
      const w = widths[i] as number;
      chars.push({ char, xMm: x, yMm, widthMm: w, heightMm: g.glyphHeight, strokeMm: g.stroke });
      x += w + (i === groups[0].length - 1 ? GROUP_GAP_MM : CHAR_GAP_MM);
    });
    return { widthMm, heightMm: g.height, chars, groups };
  }
  const g = TWO_LINE_PLATE_MM;
  const lineWidth = (s: string): number =>
    [...s].reduce((a, c) => a + charWidth(c, g.glyphWidth, g.stroke), 0) +
    TWO_LINE_CHAR_GAP_MM * Math.max(0, s.length - 1);
  const left = band > 0 ? band * 0.7 + 4 : MARGIN_MM;
  const widest = Math.max(lineWidth(groups[0]), lineWidth(groups[1]));
  const widthMm = Math.max(g.width, left + widest + MARGIN_MM);
  const top = (g.height - 2 * g.glyphHeight - g.lineGap) / 2;
  const chars: CharLayout[] = [];
  groups.forEach((line, li) => {
    let x = left + (widthMm - MARGIN_MM - left - lineWidth(line)) / 2;
    const yMm = top + li * (g.glyphHeight + g.lineGap);
    for (const char of line) {
      const w = charWidth(char, g.glyphWidth, g.stroke);
      chars.push({ char, xMm: x, yMm, widthMm: w, heightMm: g.glyphHeight, strokeMm: g.stroke });
      x += w + TWO_LINE_CHAR_GAP_MM;
    }
  });
  return { widthMm, heightMm: g.height, chars, groups };
}

const DEALERS = [
  "KESTREL MOTORS",
  "A1 PLATES LTD",
  "NORTHGATE AUTOS",
  "SWIFT CARS",
  "DOVER VW",
  "M25 MOTORS",
];

export interface StyleOptions {
  colour?: PlateColour;
  twoLine?: boolean;
  glyphs?: GlyphSourceName;
}

/** A random plausible style: mostly plain, some bands, borders, screws and dealer text. */
export function randomPlateStyle(
  rng: Rng,
  format: PlateFormat | undefined,
  opts: StyleOptions = {},
): PlateStyle {
  const old = format === "prefix" || format === "suffix" || format === "dateless";
  const band = rng.weighted({ none: 0.55, uk: 0.35, green: 0.1 }) as PlateBand;
  return {
    colour: opts.colour ?? (rng.chance(0.5) ? "white" : "yellow"),
    twoLine: opts.twoLine ?? false,
    band,
    border: rng.chance(0.25),
    screws: rng.chance(0.3),
    dealer: rng.chance(0.5) ? rng.pick(DEALERS) : "",
    glyphs: opts.glyphs ?? (rng.chance(0.55) ? "plate-font" : rng.pick(GLYPH_SOURCE_NAMES.slice(1))),
    wideGlyphs: old && band === "none" && rng.chance(0.4),
  };
}

export interface RenderedPlate {
  canvas: Canvas;
  layout: PlateLayout;
  pxPerMm: number;
  /** Character cells in plate pixels: [x, y, width, height]. */
  chars: { char: string; box: [number, number, number, number] }[];
}

const INK: [number, number, number] = [18, 18, 20];

/** Draws text with a glyph source at a given cap height (mm), centred on cx. Used for dealer and band text. */
export function smallText(
  c: Canvas,
  text: string,
  cxMm: number,
  yMm: number,
  heightMm: number,
  s: number,
  colour: [number, number, number],
): void {
  const src = glyphSource("barlow-condensed-600");
  const w = heightMm * 0.5;
  const gap = heightMm * 0.15;
  const total = text.length * w + (text.length - 1) * gap;
  let x = cxMm - total / 2;
  const contours: Contour[] = [];
  for (const ch of text) {
    if (ch !== " ") {
      const cw = ch === "I" || ch === "1" ? w * 0.4 : w;
      const g = src.glyph(ch, { widthMm: cw, heightMm, strokeMm: heightMm * 0.15 });
      const ox = x + (w - cw) / 2;
      contours.push(...mapContours(g, (gx, gy) => [(ox + gx) * s, (yMm + gy) * s]));
    }
    x += w + gap;
  }
  c.fillPolygons(contours, ...colour);
}

/** Rasterises a plate at `pxPerMm`; `rng` adds per-plate colour and dirt variation. */
export function renderPlate(
  text: string,
  format: PlateFormat | undefined,
  style: PlateStyle,
  pxPerMm: number,
  rng?: Rng,
): RenderedPlate {
  const layout = layoutPlate(text, format, style);
  const s = pxPerMm;
  const W = Math.max(4, Math.round(layout.widthMm * s));
  const H = Math.max(2, Math.round(layout.heightMm * s));
  const c = new Canvas(W, H);
  const jitter = (v: number, d: number): number => (rng ? v + rng.range(-d, d) : v);
  if (style.colour === "white") c.fill(jitter(236, 10), jitter(237, 10), jitter(232, 10));
  else c.fill(jitter(248, 6), jitter(206, 14), jitter(18, 14));
  // A faint top-to-bottom gradient from the reflective film.
  if (rng) {
    const k = rng.range(-0.08, 0.05);
    for (let y = 0; y < H; y++) {
      const f = 1 + (k * (y - H / 2)) / H;
      for (let x = 0; x < W; x++) {
        const i = (y * W + x) * 3;
        c.rgb[i] = (c.rgb[i] as number) * f;
        c.rgb[i + 1] = (c.rgb[i + 1] as number) * f;
        c.rgb[i + 2] = (c.rgb[i + 2] as number) * f;
      }
    }
  }
  const band = style.band === "none" ? 0 : style.band === "green" ? BAND_MM * 0.7 : BAND_MM;
  const bandW = style.twoLine ? band * 0.7 : band;
  if (style.band === "uk") {
    c.fillPolygons([rect(0, 0, bandW * s, H)], 0, 51, 153);
    const bandCx = bandW / 2;
    const ring = layout.heightMm * 0.3;
    const stars: Contour[] = [];
    for (let k = 0; k < 12; k++) {
      const a = (k / 12) * Math.PI * 2;
      stars.push(
        ellipse(
          (bandCx + Math.cos(a) * bandW * 0.28) * s,
          (ring + Math.sin(a) * bandW * 0.28) * s,
          2 * s,
          2 * s,
          8,
        ),
      );
    }
    c.fillPolygons(stars, 255, 204, 0);
    smallText(
      c,
      "UK",
      bandCx,
      layout.heightMm * 0.62,
      Math.min(30, layout.heightMm * 0.26),
      s,
      [255, 255, 255],
    );
  } else if (style.band === "green") {
    c.fillPolygons([rect(0, 0, bandW * s, H)], 0, 140, 70);
  }
  if (style.border) {
    const o = 2 * s;
    const t = 2.5 * s;
    c.fillPolygons(
      [rect(o, o, W - o, H - o), [o + t, o + t, o + t, H - o - t, W - o - t, H - o - t, W - o - t, o + t]],
      ...INK,
    );
  }
  const ink: [number, number, number] = rng ? [jitter(18, 10), jitter(18, 10), jitter(20, 10)] : INK;
  const src = glyphSource(style.glyphs);
  const chars: RenderedPlate["chars"] = [];
  for (const ch of layout.chars) {
    const g = src.glyph(ch.char, { widthMm: ch.widthMm, heightMm: ch.heightMm, strokeMm: ch.strokeMm });
    c.fillPolygons(
      mapContours(g, (x, y) => [(ch.xMm + x) * s, (ch.yMm + y) * s]),
      ...ink,
    );
    chars.push({ char: ch.char, box: [ch.xMm * s, ch.yMm * s, ch.widthMm * s, ch.heightMm * s] });
  }
  if (style.screws) {
    const r = 4 * s;
    const first = layout.chars[0];
    const last = layout.chars[layout.chars.length - 1];
    const midY = style.twoLine ? layout.heightMm / 2 : layout.heightMm / 2;
    const spots: [number, number][] = [];
    if (first && last) {
      const leftRoom = first.xMm - bandW;
      const rightRoom = layout.widthMm - (last.xMm + last.widthMm);
      if (leftRoom >= 12 && rightRoom >= 12) {
        spots.push([bandW + leftRoom / 2, midY], [layout.widthMm - rightRoom / 2, midY]);
      } else if (!style.twoLine) {
        const split = layout.groups[0].length;
        const a = layout.chars[split - 1];
        const b = layout.chars[split];
        if (a && b) spots.push([(a.xMm + a.widthMm + b.xMm) / 2, midY]);
      }
    }
    for (const [x, y] of spots) {
      c.fillPolygons([ellipse(x * s, y * s, r, r, 16)], 150, 150, 145);
      c.fillPolygons([ellipse(x * s, y * s, r * 0.7, r * 0.7, 16)], 205, 205, 198);
    }
  }
  if (style.dealer) {
    const bottomRoom = layout.heightMm - Math.max(...layout.chars.map((ch) => ch.yMm + ch.heightMm));
    const h = Math.min(6, bottomRoom * 0.5);
    if (h >= 3) {
      const x0 = bandW;
      smallText(
        c,
        style.dealer,
        (x0 + layout.widthMm) / 2,
        layout.heightMm - bottomRoom / 2 - h / 2,
        h,
        s,
        [60, 60, 60],
      );
    }
  }
  if (rng) {
    // Dirt: a few faint blotches.
    const n = rng.int(0, 4);
    for (let k = 0; k < n; k++) {
      const x = rng.range(0, W);
      const y = rng.range(0, H);
      const r = rng.range(2, 12) * s;
      c.fillPolygons([ellipse(x, y, r, r * rng.range(0.4, 1), 12)], 120, 110, 90, rng.range(0.05, 0.2));
    }
  }
  return { canvas: c, layout, pxPerMm, chars };
}
