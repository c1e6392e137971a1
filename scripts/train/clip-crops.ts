// Character crops as the pipeline sees them: synthetic TRAIN clips (scripts/diagnose-clips.ts --train)
// encoded and decoded by ffmpeg, localised and segmented by the recogniser's own kernels. A segmentation
// of a vehicle's whole plate with exactly as many boxes as the plate has characters is labelled by
// position (top line first, as the segmenter orders the boxes). The labels come from the clip's truth,
// never from a read, so the classifier that ships does not choose its own training material. Unlike the
// glyph and plate crops (src/recognition/classify-samples.ts) these carry what the video path does to a
// character: H.264 blocks and smear at low bit rates, motion blur along the vehicle's travel, the
// segmenter's own boxes and the crop's upsampling.
import { CHAR_CLASSES } from "../../assembly/shared/constants.js";
import type { GlyphSample } from "../../src/recognition/classify-samples.js";
import { decodeVideo, probeMedia } from "../../src/recognition/decode.js";
import { benchClip } from "../../test/recognition-fixtures.js";
import { localiseFrame, segmentAt } from "../diagnose-lib.js";

export interface ClipCropOptions {
  /** First TRAIN clip index (seed 900,000 + index) and how many clips. */
  from: number;
  count: number;
  /** Every how many frames of a vehicle's pass a frame is taken (neighbouring frames are near copies). */
  every: number;
  /** Smallest true character height (px) taken. */
  minCharPx: number;
}

/** The labelled character boxes of `options.count` TRAIN clips, in clip, frame and box order. */
export async function clipCharSamples(options: ClipCropOptions): Promise<GlyphSample[]> {
  const out: GlyphSample[] = [];
  for (let i = options.from; i < options.from + options.count; i++) {
    const clip = await benchClip(i, true);
    const info = probeMedia(clip.path);
    const wanted = new Map<number, { plate: string; box: readonly number[] }[]>();
    for (const v of clip.truth.vehicles) {
      v.frames.forEach((f, k) => {
        if (!f.whole || f.charHeightPx < options.minCharPx || k % options.every !== 0) return;
        const at = wanted.get(f.frame) ?? [];
        at.push({ plate: v.plate, box: f.box });
        wanted.set(f.frame, at);
      });
    }
    await decodeVideo(clip.path, info, info.widthPx, info.heightPx, (index, pixels) => {
      const want = wanted.get(index);
      if (!want) return;
      const cands = localiseFrame(pixels, info.widthPx, info.heightPx);
      for (const w of want) {
        const s = segmentAt(info.widthPx, info.heightPx, cands, w.box);
        if (!s || s.chars !== w.plate.length) continue;
        s.boxes.forEach(([x, y, bw, bh], k) => {
          out.push({
            grey: s.crop,
            width: s.cw,
            height: s.ch,
            box: { x, y, w: bw, h: bh },
            inverted: false,
            label: CHAR_CLASSES.indexOf(w.plate[k]!),
          });
        });
      }
    });
    process.stderr.write(`\rclip crops: clip ${i + 1 - options.from}/${options.count}, ${out.length} boxes`);
  }
  process.stderr.write("\n");
  return out;
}
