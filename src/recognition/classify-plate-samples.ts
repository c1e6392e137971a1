// Training and validation crops from the scene generator's own plate renderer: the characters of a
// synthetic plate crop (plate texture, dirt, infrared night, rotation, perspective) with their true
// boxes jittered as a segmenter cuts them, at the scale the segmenter crops them. Apart from the glyph
// crops (classify-samples.ts) because the two are cached under different keys: these change with the
// scene generator, those with the glyph sources.
import { CHAR_CLASSES } from "../../assembly/shared/constants.js";
import { Rng } from "../synth/rng.js";
import { type CropOptions, generatePlateCrop } from "../synth/still.js";
import type { GlyphSample } from "./classify-samples.js";

/**
 * The characters of one synthetic plate crop (the generator's full plate renderer: plate texture, dirt,
 * infrared night, rotation and perspective), each with its true box jittered as a segmenter would cut
 * it. Characters an object hides are left out. All samples share the crop's pixels. `options` go to the
 * renderer (e.g. a character height range).
 *
 * Small plates are upsampled first, bilinearly, by the factor the segmenter crops them at (2× for
 * characters under about 14.5 px, 3× under about 9.5 px: assembly/segment/segment.ts, whose band
 * thickness is about 1.4 character heights), since that crop is what the classifier reads there.
 */
export function plateCharSamples(seed: number, options?: CropOptions): GlyphSample[] {
  const rendered = generatePlateCrop(seed, options);
  const heights = rendered.plate.chars.map((c) => c.box[3]).sort((a, b) => a - b);
  const charPx = heights[heights.length >> 1] ?? 0;
  const factor = charPx < 9.5 ? 3 : charPx < 14.5 ? 2 : 1;
  const crop =
    factor === 1
      ? rendered
      : { ...rendered, ...upsample(rendered.grey, rendered.width, rendered.height, factor) };
  const rng = new Rng(seed, 0x706c63);
  const out: GlyphSample[] = [];
  for (const ch of rendered.plate.chars) {
    const label = CHAR_CLASSES.indexOf(ch.char);
    if (label < 0 || ch.occluded) continue;
    const [x, y, w, h] = ch.box.map((v) => v * factor) as [number, number, number, number];
    const j = (f: number): number => rng.range(-f, f) * h;
    const x0 = Math.max(0, Math.round(x + j(0.06)));
    const y0 = Math.max(0, Math.round(y + j(0.06)));
    const x1 = Math.min(crop.width, Math.round(x + w + j(0.06)));
    const y1 = Math.min(crop.height, Math.round(y + h + j(0.06)));
    if (x1 - x0 < 2 || y1 - y0 < 4) continue;
    out.push({
      grey: crop.grey,
      width: crop.width,
      height: crop.height,
      box: { x: x0, y: y0, w: x1 - x0, h: y1 - y0 },
      inverted: false,
      label,
    });
  }
  return out;
}

/**
 * Bilinear upsampling by an integer factor, pixel centres aligned (dst (u, v) samples src at
 * ((u + 0.5) / f − 0.5, (v + 0.5) / f − 0.5), edges clamped), as the segmenter's crop resamples a frame.
 */
function upsample(
  grey: Uint8Array,
  width: number,
  height: number,
  factor: number,
): { grey: Uint8Array; width: number; height: number } {
  const W = width * factor;
  const H = height * factor;
  const out = new Uint8Array(W * H);
  for (let v = 0; v < H; v++) {
    const sy = Math.min(height - 1, Math.max(0, (v + 0.5) / factor - 0.5));
    const y0 = Math.min(height - 2, Math.floor(sy));
    const fy = sy - y0;
    for (let u = 0; u < W; u++) {
      const sx = Math.min(width - 1, Math.max(0, (u + 0.5) / factor - 0.5));
      const x0 = Math.min(width - 2, Math.floor(sx));
      const fx = sx - x0;
      const i = y0 * width + x0;
      const top = grey[i]! * (1 - fx) + grey[i + 1]! * fx;
      const bottom = grey[i + width]! * (1 - fx) + grey[i + width + 1]! * fx;
      out[v * W + u] = Math.round(top * (1 - fy) + bottom * fy);
    }
  }
  return { grey: out, width: W, height: H };
}
