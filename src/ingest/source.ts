import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { CameraConfig } from "../config/index.js";

/** What kind of input a camera URL names; decides pacing and network flags. */
export type SourceKind = "file" | "rtsp" | "http" | "tcp" | "udp";

export type RtspTransport = "tcp" | "udp";

export function sourceKind(url: string): SourceKind {
  const scheme = /^([a-z]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case undefined:
    case "file":
      return "file";
    case "rtsp":
    case "rtsps":
      return "rtsp";
    case "http":
    case "https":
      return "http";
    case "tcp":
      return "tcp";
    case "udp":
      return "udp";
    default:
      return "file";
  }
}

/** The path ffmpeg should open: `file://` URLs become plain paths, everything else passes through. */
export function ffmpegInput(url: string): string {
  return url.startsWith("file://") ? fileURLToPath(url) : url;
}

/** True when the input is a local file that does not exist (a configuration fault, not a network blip). */
export function missingFile(url: string): boolean {
  return sourceKind(url) === "file" && !existsSync(ffmpegInput(url));
}

/**
 * ffmpeg input options for one camera. Files are demo "live" cameras: read at native rate (`-re`), looped
 * when asked. Network sources are read as fast as they arrive with ffmpeg's own buffering off and a small
 * probe, so a reconnect shows a picture within about a second and no stale frames queue up inside ffmpeg.
 */
export function inputOptions(camera: Pick<CameraConfig, "url" | "loop">, rtsp: RtspTransport): string[] {
  const kind = sourceKind(camera.url);
  // "repeat": ffmpeg must not fold identical log lines into "Last message repeated", or a frame's
  // timestamp line could vanish.
  // "-threads 1": one decoding thread per camera. Many cameras already fill the cores, frame threading
  // costs ~15% more CPU per frame at 720p and adds a frame of latency per thread.
  const common = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "repeat+info", "-threads", "1"];
  if (kind === "file") {
    return [...common, "-re", ...(camera.loop ? ["-stream_loop", "-1"] : [])];
  }
  const lowLatency = [
    "-fflags",
    "nobuffer",
    "-flags",
    "low_delay",
    "-probesize",
    "262144",
    "-analyzeduration",
    "500000",
  ];
  if (kind === "rtsp") return [...common, "-rtsp_transport", rtsp, ...lowLatency];
  return [...common, ...lowLatency];
}

/** The frame-rate cap as a filter: the first frame of each 1/fps bin of stream time, never a duplicate. */
function fpsCapFilters(fpsCap: number | undefined): string[] {
  if (fpsCap === undefined) return [];
  // Keep the first frame of each 1/fps time bin: at most `fps` frames a second, exactly `fps` on average
  // from a faster source, and never a duplicated frame from a slower one (the fps filter would invent some).
  const f = String(fpsCap);
  return [
    `select='isnan(prev_selected_t)+gte(floor(t*${f}+0.000001)-floor(prev_selected_t*${f}+0.000001)\\,1)'`,
  ];
}

/**
 * ffmpeg options of the frames output: grey 8-bit raw frames, one packet per decoded frame, no frame-rate
 * conversion (`-vsync 0`). `fpsCap` keeps at most `fpsCap` frames per second of stream time.
 */
export function outputOptions(fpsCap: number | undefined): string[] {
  const filters = [...fpsCapFilters(fpsCap), "format=gray"];
  return ["-an", "-sn", "-dn", "-vf", filters.join(","), "-vsync", "0", "-pix_fmt", "gray", "-f", "rawvideo"];
}

/**
 * ffmpeg options of the timestamps output: the same frames (same filter, so the same selection) as
 * `outputOptions`, each as a 2x2 crop (nothing worth encoding), written by the `mkvtimestamp_v2` muxer as
 * one line per frame: its pts in ms, in the order the frames output writes them.
 */
export function timestampOutputOptions(fpsCap: number | undefined): string[] {
  const filters = [...fpsCapFilters(fpsCap), "crop=2:2:0:0"];
  return ["-an", "-sn", "-dn", "-vf", filters.join(","), "-c:v", "rawvideo", "-f", "mkvtimestamp_v2"];
}
