export * from "./camera.js";
export * from "./glyphs/glyph-source.js";
export { PLATE_CHARS } from "./glyphs/plate-font.js";
export * from "./glyphs/sources.js";
export * from "./marks.js";
export * from "./plate.js";
export { encodePng } from "./png.js";
export { Canvas, type Contour } from "./raster.js";
export { Rng } from "./rng.js";
export type { Box, CharTruth, PlateTruth } from "./scene.js";
export * from "./seeds.js";
export {
  type CropOptions,
  generatePlateCrop,
  generateStill,
  type PlateCrop,
  type Still,
  type StillOptions,
} from "./still.js";
