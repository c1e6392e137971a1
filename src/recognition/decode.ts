import { spawn, spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { KestrelError } from "../errors/index.js";
import { ffmpegPath } from "../ingest/ffmpeg-path.js";

export interface MediaInfo {
  kind: "image" | "video";
  widthPx: number;
  heightPx: number;
  /** Frames per second of a video (25 when the container does not say). */
  fps: number;
}

/** Image demuxers: everything else with a video stream is read as a video. */
const IMAGE_FORMATS = /^(image2|\w+_pipe)$/;

/** What a file holds, from ffmpeg's own description; throws KESTREL_E_INPUT_* for unusable files. */
export function probeMedia(file: string): MediaInfo {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new Error("not a regular file");
    size = st.size;
  } catch (cause) {
    throw new KestrelError("KESTREL_E_INPUT_UNREADABLE", file, { cause, details: { file } });
  }
  if (size === 0) throw new KestrelError("KESTREL_E_INPUT_EMPTY", file, { details: { file } });
  const probe = spawnSync(ffmpegPath(), ["-hide_banner", "-i", file], { encoding: "utf8", timeout: 30_000 });
  const text = probe.stderr ?? "";
  const format = /Input #0, ([\w,]+), from/.exec(text)?.[1]?.split(",")[0] ?? "";
  const video = /Stream #\d+:\d+.*?: Video: .*?(\d{2,5})x(\d{2,5})/.exec(text);
  if (!video) throw new KestrelError("KESTREL_E_INPUT_NOT_IMAGE", file, { details: { file } });
  const fps = Number(/(\d+(?:\.\d+)?) fps/.exec(text)?.[1] ?? /(\d+(?:\.\d+)?) tbr/.exec(text)?.[1] ?? 25);
  return {
    kind: IMAGE_FORMATS.test(format) ? "image" : "video",
    widthPx: Number(video[1]),
    heightPx: Number(video[2]),
    fps: fps > 0 && fps < 1000 ? fps : 25,
  };
}

/** Size a frame is decoded at so it fits maxWidth × maxHeight (aspect kept, even dimensions). */
export function fitSize(info: MediaInfo, maxWidthPx: number, maxHeightPx: number): [number, number] {
  const f = Math.min(1, maxWidthPx / info.widthPx, maxHeightPx / info.heightPx);
  if (f === 1) return [info.widthPx, info.heightPx];
  return [
    Math.max(2, Math.floor((info.widthPx * f) / 2) * 2),
    Math.max(2, Math.floor((info.heightPx * f) / 2) * 2),
  ];
}

function grayArgs(file: string, widthPx: number, heightPx: number, info: MediaInfo): string[] {
  const scale =
    widthPx !== info.widthPx || heightPx !== info.heightPx ? ["-vf", `scale=${widthPx}:${heightPx}`] : [];
  return [
    "-hide_banner",
    "-loglevel",
    "error",
    "-i",
    file,
    ...scale,
    "-f",
    "rawvideo",
    "-pix_fmt",
    "gray",
    "-",
  ];
}

/** Decodes the first frame of an image file to grey bytes (widthPx × heightPx). */
export function decodeImage(file: string, info: MediaInfo, widthPx: number, heightPx: number): Uint8Array {
  const run = spawnSync(
    ffmpegPath(),
    [...grayArgs(file, widthPx, heightPx, info).slice(0, -1), "-frames:v", "1", "-"],
    {
      maxBuffer: widthPx * heightPx + 1024,
      timeout: 60_000,
    },
  );
  const bytes = run.stdout as Buffer | null;
  if (run.status !== 0 || !bytes || bytes.length < widthPx * heightPx) {
    throw new KestrelError("KESTREL_E_INPUT_NOT_IMAGE", `${file}: ${String(run.stderr ?? "").trim()}`, {
      details: { file },
    });
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, widthPx * heightPx);
}

/**
 * Decodes a video to grey frames, calling onFrame(frameIndex, pixels) for each in order; the pixels view
 * is only valid during the call. Resolves with the frame count.
 */
export function decodeVideo(
  file: string,
  info: MediaInfo,
  widthPx: number,
  heightPx: number,
  onFrame: (frameIndex: number, pixels: Uint8Array) => void,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath(), grayArgs(file, widthPx, heightPx, info), {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const frameBytes = widthPx * heightPx;
    const frame = new Uint8Array(frameBytes);
    let filled = 0;
    let index = 0;
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString();
    });
    child.stdout.on("data", (chunk: Buffer) => {
      let off = 0;
      try {
        while (off < chunk.length) {
          const take = Math.min(frameBytes - filled, chunk.length - off);
          frame.set(chunk.subarray(off, off + take), filled);
          filled += take;
          off += take;
          if (filled === frameBytes) {
            onFrame(index++, frame);
            filled = 0;
          }
        }
      } catch (err) {
        child.kill();
        reject(err);
      }
    });
    child.on("error", (cause) => reject(new KestrelError("KESTREL_E_FFMPEG_FAILED", file, { cause })));
    child.on("close", (code) => {
      if (code !== 0 && index === 0) {
        reject(
          new KestrelError("KESTREL_E_INPUT_NOT_IMAGE", `${file}: ${stderr.trim()}`, { details: { file } }),
        );
      } else {
        resolve(index);
      }
    });
  });
}
