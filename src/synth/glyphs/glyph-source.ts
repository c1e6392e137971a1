import type { Contour } from "../raster.js";

/** The box one character is drawn into, in millimetres. */
export interface GlyphCell {
  widthMm: number;
  heightMm: number;
  strokeMm: number;
  /** Plate font only: superellipse exponent of its bowls (default BOWL_EXPONENT), varied for training. */
  bowlExponent?: number;
  /**
   * Plate font only: depth of the W's middle apex below the top, as a share of the height (default
   * W_APEX, the scene's 0.3); 0 draws it at full height, as some makers' dies do. Varied for training.
   */
  wApex?: number;
}

/**
 * Where character shapes come from. Each source returns, for a character and a cell, closed contours
 * in millimetres (origin at the cell's top-left, y down) whose non-zero-winding fill is the glyph.
 */
export interface GlyphSource {
  readonly name: string;
  glyph(ch: string, cell: GlyphCell): Contour[];
}
