export * from "./camera.js";
export {
  type ClipFrameTruth,
  type ClipOptions,
  type ClipTruth,
  type ClipVehicleTruth,
  type GenerateClipOptions,
  type GeneratedClip,
  generateClip,
  SYNTH_VERSION,
} from "./clip.js";
export { writeImage } from "./files.js";
export * from "./glyphs/glyph-source.js";
export { PLATE_CHARS } from "./glyphs/plate-font.js";
export * from "./glyphs/sources.js";
export * from "./marks.js";
export * from "./plate.js";
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
export type { StillTruth, SynthTruth } from "./truth-file.js";
