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
  const common = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "repeat+info", "-debug_ts"];
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

/**
 * ffmpeg output options: grey 8-bit raw frames on stdout, one packet per decoded frame, no frame-rate
 * conversion (`-vsync 0`), and `-debug_ts` so each frame written is announced on stderr with its pts
 * (the cheapest per-frame timestamp ffmpeg offers: `showinfo` checksums every pixel).
 * `fpsCap` keeps at most `fpsCap` frames per second of stream time.
 */
export function outputOptions(fpsCap: number | undefined): string[] {
  const filters: string[] = [];
  if (fpsCap !== undefined) {
    // Keep the first frame of each 1/fps time bin: at most `fps` frames a second, exactly `fps` on average
    // from a faster source, and never a duplicated frame from a slower one (the fps filter would invent some).
    const f = String(fpsCap);
    filters.push(
      `select='isnan(prev_selected_t)+gte(floor(t*${f}+0.000001)-floor(prev_selected_t*${f}+0.000001)\\,1)'`,
    );
  }
  filters.push("format=gray");
  return ["-an", "-sn", "-dn", "-vf", filters.join(","), "-vsync", "0", "-pix_fmt", "gray", "-f", "rawvideo"];
}
