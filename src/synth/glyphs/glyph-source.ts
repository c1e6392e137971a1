import type { Contour } from "../raster.js";

/** The box one character is drawn into, in millimetres. */
export interface GlyphCell {
  widthMm: number;
  heightMm: number;
  strokeMm: number;
  /** Plate font only: superellipse exponent of its bowls (default BOWL_EXPONENT), varied for training. */
  bowlExponent?: number;
}

/**
 * Where character shapes come from. Each source returns, for a character and a cell, closed contours
 * in millimetres (origin at the cell's top-left, y down) whose non-zero-winding fill is the glyph.
 */
export interface GlyphSource {
  readonly name: string;
  glyph(ch: string, cell: GlyphCell): Contour[];
}
