import { FONT_FILES, FontGlyphs, type FontName } from "./font-glyphs.js";
import type { GlyphSource } from "./glyph-source.js";
import { PlateFont } from "./plate-font.js";

/** Every glyph source by name: the generator's own plate-font outlines and the npm fonts. */
export type GlyphSourceName = "plate-font" | FontName;

export const GLYPH_SOURCE_NAMES: readonly GlyphSourceName[] = [
  "plate-font",
  ...(Object.keys(FONT_FILES) as FontName[]),
];

const sources = new Map<GlyphSourceName, GlyphSource>();

export function glyphSource(name: GlyphSourceName): GlyphSource {
  let s = sources.get(name);
  if (!s) {
    s = name === "plate-font" ? new PlateFont() : new FontGlyphs(name);
    sources.set(name, s);
  }
  return s;
}
