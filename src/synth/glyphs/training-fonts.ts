import type { Contour } from "../raster.js";
import { contoursBox, loadFontFile, outline } from "./font-glyphs.js";
import type { GlyphCell, GlyphSource } from "./glyph-source.js";

/**
 * Extra fonts for training the character classifier only (the scene generator never draws them, so the
 * synthetic stills and clips stay as they are): narrow and regular sans faces in several weights and
 * italics, standing in for the European plate fonts (DIN 1451-like, FE-Schrift-like, slanted, narrower,
 * bolder). All are files inside @fontsource npm packages under the SIL Open Font License 1.1.
 */
export const TRAINING_FONT_FILES = {
  "roboto-condensed-400": "@fontsource/roboto-condensed/files/roboto-condensed-latin-400-normal.woff",
  "roboto-condensed-500i": "@fontsource/roboto-condensed/files/roboto-condensed-latin-500-italic.woff",
  "barlow-condensed-400": "@fontsource/barlow-condensed/files/barlow-condensed-latin-400-normal.woff",
  "barlow-condensed-500i": "@fontsource/barlow-condensed/files/barlow-condensed-latin-500-italic.woff",
  "barlow-400": "@fontsource/barlow/files/barlow-latin-400-normal.woff",
  "barlow-600": "@fontsource/barlow/files/barlow-latin-600-normal.woff",
  "barlow-500i": "@fontsource/barlow/files/barlow-latin-500-italic.woff",
  "oswald-400": "@fontsource/oswald/files/oswald-latin-400-normal.woff",
  "oswald-600": "@fontsource/oswald/files/oswald-latin-600-normal.woff",
  "pt-sans-narrow-400": "@fontsource/pt-sans-narrow/files/pt-sans-narrow-latin-400-normal.woff",
  "pt-sans-narrow-700": "@fontsource/pt-sans-narrow/files/pt-sans-narrow-latin-700-normal.woff",
  "archivo-narrow-500": "@fontsource/archivo-narrow/files/archivo-narrow-latin-500-normal.woff",
  "archivo-narrow-600i": "@fontsource/archivo-narrow/files/archivo-narrow-latin-600-italic.woff",
  "fira-sans-condensed-400":
    "@fontsource/fira-sans-condensed/files/fira-sans-condensed-latin-400-normal.woff",
  "fira-sans-condensed-600":
    "@fontsource/fira-sans-condensed/files/fira-sans-condensed-latin-600-normal.woff",
  "fira-sans-condensed-500i":
    "@fontsource/fira-sans-condensed/files/fira-sans-condensed-latin-500-italic.woff",
  "saira-condensed-500": "@fontsource/saira-condensed/files/saira-condensed-latin-500-normal.woff",
  "saira-condensed-700": "@fontsource/saira-condensed/files/saira-condensed-latin-700-normal.woff",
} as const;

export type TrainingFontName = keyof typeof TRAINING_FONT_FILES;
export const TRAINING_FONT_NAMES = Object.keys(TRAINING_FONT_FILES) as TrainingFontName[];

/**
 * A training font as a glyph source with its own proportions: each outline is scaled so its ink height
 * fills the cell's height and its width keeps the font's aspect (a narrow face stays narrow, a "1" keeps
 * its flag and foot as drawn); an italic keeps its slant. The cell's width and stroke are not used.
 */
export class TrainingFontGlyphs implements GlyphSource {
  private readonly cache = new Map<string, { contours: Contour[]; box: [number, number, number, number] }>();

  constructor(readonly name: TrainingFontName) {}

  glyph(ch: string, cell: GlyphCell): Contour[] {
    let g = this.cache.get(ch);
    if (!g) {
      const contours = outline(loadFontFile(TRAINING_FONT_FILES[this.name]), ch);
      g = { contours, box: contoursBox(contours) };
      this.cache.set(ch, g);
    }
    const { contours, box } = g;
    if (contours.length === 0) return [];
    const [x0, y0, , y1] = box;
    const s = cell.heightMm / (y1 - y0);
    return contours.map((c) => {
      const o: Contour = new Array(c.length);
      for (let i = 0; i < c.length; i += 2) {
        o[i] = ((c[i] as number) - x0) * s;
        o[i + 1] = ((c[i + 1] as number) - y0) * s;
      }
      return o;
    });
  }
}

const sources = new Map<TrainingFontName, TrainingFontGlyphs>();

export function trainingFont(name: TrainingFontName): TrainingFontGlyphs {
  let s = sources.get(name);
  if (!s) {
    s = new TrainingFontGlyphs(name);
    sources.set(name, s);
  }
  return s;
}
