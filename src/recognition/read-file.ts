import type { FinalRead, FrameRead, ProvisionalRead } from "../domain/read.js";
import { Tracker, type TrackerOptions } from "../tracking/tracker.js";
import { decodeImage, decodeVideo, fitSize, type MediaInfo, probeMedia } from "./decode.js";
import type { Recogniser, Roi } from "./recogniser.js";

export interface ImageFileRead {
  info: MediaInfo;
  /** Reads with boxes in the file's own pixels. */
  reads: FrameRead[];
  /** Recognition time (decode excluded). */
  ms: number;
}

export interface VideoFileRead {
  info: MediaInfo;
  frames: number;
}

const scaleBox = (b: FrameRead["box"], f: number): FrameRead["box"] =>
  f === 1 ? b : [Math.round(b[0] / f), Math.round(b[1] / f), Math.round(b[2] / f), Math.round(b[3] / f)];

/** Scale to fit the recogniser's largest frame, and the ROI in those pixels. */
function fitToFrame(
  recogniser: Recogniser,
  info: MediaInfo,
  roi?: Roi,
): { w: number; h: number; f: number; roi?: Roi } {
  const [w, h] = fitSize(info, recogniser.maxWidthPx, recogniser.maxHeightPx);
  const f = w / info.widthPx;
  return { w, h, f, ...(roi ? { roi: roi.map((v) => Math.round(v * f)) as Roi } : {}) };
}

/** Reads one image file (decoded to grey by ffmpeg, scaled down to fit if larger than the recogniser's frame). */
export function readImageFile(
  recogniser: Recogniser,
  file: string,
  roi?: Roi,
  info = probeMedia(file),
): ImageFileRead {
  const { w, h, f, roi: r } = fitToFrame(recogniser, info, roi);
  const grey = decodeImage(file, info, w, h);
  const t0 = performance.now();
  const reads = recogniser.readImage(grey, w, h, r);
  const ms = performance.now() - t0;
  return { info, reads: reads.map((x) => ({ ...x, box: scaleBox(x.box, f) })), ms };
}

export interface VideoReadOptions {
  roi?: Roi;
  /** The file's probe, when the caller already has it. */
  info?: MediaInfo;
  /** Every frame's own reads before the tracker sees them (boxes in the recogniser's frame pixels). */
  onFrame?: (frameIndex: number, reads: FrameRead[]) => void;
  /** The tracker's provisional reads (what would raise an alert), boxes in the recogniser's frame pixels. */
  onProvisional?: (read: ProvisionalRead) => void;
}

/**
 * Reads a video file frame by frame through a Tracker (capture time = frame index / fps); onFinal gets one
 * FinalRead per vehicle pass (boxes in the file's own pixels), including those flushed at the end.
 */
export async function readVideoFile(
  recogniser: Recogniser,
  file: string,
  tracker: Omit<TrackerOptions, "cameraId"> & { cameraId?: string },
  onFinal: (read: FinalRead) => void,
  options: VideoReadOptions = {},
): Promise<VideoFileRead> {
  const info = options.info ?? probeMedia(file);
  const { w, h, f, roi: r } = fitToFrame(recogniser, info, options.roi);
  const t = new Tracker({ cameraId: "file", topCandidates: recogniser.topCandidates, ...tracker });
  const slot = new Uint8Array(recogniser.memory.buffer, recogniser.frameSlot().offset, w * h);
  const frameMs = 1000 / info.fps;
  const emit = (fin: FinalRead) => onFinal({ ...fin, box: scaleBox(fin.box, f) });
  const frames = await decodeVideo(file, info, w, h, (index, pixels) => {
    slot.set(pixels);
    const reads = recogniser.read(w, h, r);
    options.onFrame?.(index, reads);
    for (const out of t.push(index, Math.round(index * frameMs), reads)) {
      if (out.kind === "final") emit(out);
      else options.onProvisional?.(out);
    }
  });
  for (const fin of t.flush()) emit(fin);
  return { info, frames };
}
