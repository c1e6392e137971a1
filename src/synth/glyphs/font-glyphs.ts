import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import opentype, { type Font } from "opentype.js";
import type { Contour } from "../raster.js";
import type { GlyphCell, GlyphSource } from "./glyph-source.js";

const require = createRequire(import.meta.url);

/** Narrow sans fonts shipped as files inside npm packages (SIL Open Font License). */
export const FONT_FILES = {
  "roboto-condensed-700": "@fontsource/roboto-condensed/files/roboto-condensed-latin-700-normal.woff",
  "barlow-condensed-600": "@fontsource/barlow-condensed/files/barlow-condensed-latin-600-normal.woff",
  "barlow-condensed-700": "@fontsource/barlow-condensed/files/barlow-condensed-latin-700-normal.woff",
} as const;

export type FontName = keyof typeof FONT_FILES;

const fonts = new Map<string, Font>();

/** Parses (once) the font file an npm package ships, named by its module path. */
export function loadFontFile(modulePath: string): Font {
  let font = fonts.get(modulePath);
  if (!font) {
    const buf = readFileSync(require.resolve(modulePath));
    font = opentype.parse(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
    fonts.set(modulePath, font);
  }
  return font;
}

/** Flattens a glyph's outline (quadratic and cubic Béziers) into contours in font units, y down. */
export function outline(font: Font, ch: string): Contour[] {
  const path = font.charToGlyph(ch).getPath(0, 0, font.unitsPerEm);
  const out: Contour[] = [];
  let cur: Contour = [];
  let x = 0;
  let y = 0;
  for (const c of path.commands) {
    switch (c.type) {
      case "M":
        if (cur.length >= 6) out.push(cur);
        cur = [c.x as number, c.y as number];
        x = c.x as number;
        y = c.y as number;
        break;
      case "L":
        cur.push(c.x as number, c.y as number);
        x = c.x as number;
        y = c.y as number;
        break;
      case "Q": {
        const n = 6;
        for (let i = 1; i <= n; i++) {
          const t = i / n;
          const u = 1 - t;
          cur.push(
            u * u * x + 2 * u * t * (c.x1 as number) + t * t * (c.x as number),
            u * u * y + 2 * u * t * (c.y1 as number) + t * t * (c.y as number),
          );
        }
        x = c.x as number;
        y = c.y as number;
        break;
      }
      case "C": {
        const n = 8;
        for (let i = 1; i <= n; i++) {
          const t = i / n;
          const u = 1 - t;
          cur.push(
            u * u * u * x +
              3 * u * u * t * (c.x1 as number) +
              3 * u * t * t * (c.x2 as number) +
              t * t * t * (c.x as number),
            u * u * u * y +
              3 * u * u * t * (c.y1 as number) +
              3 * u * t * t * (c.y2 as number) +
              t * t * t * (c.y as number),
          );
        }
        x = c.x as number;
        y = c.y as number;
        break;
      }
      case "Z":
        if (cur.length >= 6) out.push(cur);
        cur = [];
        break;
    }
  }
  if (cur.length >= 6) out.push(cur);
  return out;
}

/**
 * A condensed sans font from npm as a glyph source. Each outline is scaled so its bounding box fills the
 * cell: the mandated 79x50 mm (or two-line 64x44 mm) box, whatever the font's own proportions.
 */
/** The bounding box [x0, y0, x1, y1] of a glyph's contours (font units). */
export function contoursBox(contours: Contour[]): [number, number, number, number] {
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const c of contours)
    for (let i = 0; i < c.length; i += 2) {
      x0 = Math.min(x0, c[i] as number);
      x1 = Math.max(x1, c[i] as number);
      y0 = Math.min(y0, c[i + 1] as number);
      y1 = Math.max(y1, c[i + 1] as number);
    }
  return [x0, y0, x1, y1];
}

export class FontGlyphs implements GlyphSource {
  private readonly raw = new Map<string, { contours: Contour[]; box: [number, number, number, number] }>();

  constructor(readonly name: FontName) {}

  private rawGlyph(ch: string): { contours: Contour[]; box: [number, number, number, number] } {
    let g = this.raw.get(ch);
    if (!g) {
      const contours = outline(loadFontFile(FONT_FILES[this.name]), ch);
      g = { contours, box: contoursBox(contours) };
      this.raw.set(ch, g);
    }
    return g;
  }

  glyph(ch: string, cell: GlyphCell): Contour[] {
    const { contours, box } = this.rawGlyph(ch);
    if (contours.length === 0) return [];
    const [x0, y0, x1, y1] = box;
    const sx = cell.widthMm / (x1 - x0);
    const sy = cell.heightMm / (y1 - y0);
    return contours.map((c) => {
      const o: Contour = new Array(c.length);
      for (let i = 0; i < c.length; i += 2) {
        o[i] = ((c[i] as number) - x0) * sx;
        o[i + 1] = ((c[i + 1] as number) - y0) * sy;
      }
      return o;
    });
  }
}
