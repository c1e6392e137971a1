import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { KestrelError } from "../errors/index.js";
import { encodePng } from "../image/png.js";
import { ffmpegPath } from "../ingest/ffmpeg-path.js";

/** Writes 8-bit RGB pixels as PNG (own encoder) or JPEG (ffmpeg's mjpeg encoder, quality 2-31, lower is better). */
export function writeImage(
  path: string,
  width: number,
  height: number,
  rgb: Uint8Array,
  format: "png" | "jpg",
  jpegQuality = 4,
): void {
  if (format === "png") {
    writeFileSync(path, encodePng(width, height, rgb, 3));
    return;
  }
  const r = spawnSync(
    ffmpegPath(),
    [
      "-hide_banner",
      "-loglevel",
      "error",
      "-y",
      "-f",
      "rawvideo",
      "-pix_fmt",
      "rgb24",
      "-s",
      `${width}x${height}`,
      "-i",
      "-",
      "-frames:v",
      "1",
      "-q:v",
      String(jpegQuality),
      path,
    ],
    { input: rgb, maxBuffer: 1 << 20 },
  );
  if (r.status !== 0) {
    throw new KestrelError(
      "KESTREL_E_FFMPEG_FAILED",
      `writing ${path}: ${r.stderr?.toString().trim() ?? r.error}`,
    );
  }
}
