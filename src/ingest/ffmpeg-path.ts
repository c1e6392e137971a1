import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, join } from "node:path";
import { KestrelError } from "../errors/index.js";

export type FfmpegSource = "FFMPEG_PATH" | "ffmpeg-static" | "@ffmpeg-installer/ffmpeg" | "PATH";

export interface ResolvedFfmpeg {
  path: string;
  source: FfmpegSource;
}

/** What resolution looks at; injectable so the order can be tested without touching the machine. */
export interface FfmpegProbe {
  env: NodeJS.ProcessEnv;
  exists(path: string): boolean;
  /** The path a package reports for its binary, or undefined when the package is not installed. */
  packageBinary(pkg: "ffmpeg-static" | "@ffmpeg-installer/ffmpeg"): string | undefined;
}

const require = createRequire(import.meta.url);

export const systemProbe: FfmpegProbe = {
  env: process.env,
  exists: existsSync,
  packageBinary(pkg) {
    try {
      const mod = require(pkg) as string | { path?: string } | null;
      return typeof mod === "string" ? mod : (mod?.path ?? undefined);
    } catch {
      return undefined;
    }
  },
};

/**
 * Finds ffmpeg in the documented order: FFMPEG_PATH, then ffmpeg-static's binary if its download worked,
 * then the binary shipped inside @ffmpeg-installer/ffmpeg, then `ffmpeg` on PATH.
 */
export function resolveFfmpeg(probe: FfmpegProbe = systemProbe): ResolvedFfmpeg {
  const fromEnv = probe.env.FFMPEG_PATH;
  if (fromEnv) {
    if (!probe.exists(fromEnv)) {
      throw new KestrelError("KESTREL_E_FFMPEG_NOT_FOUND", `FFMPEG_PATH=${fromEnv} does not exist`);
    }
    return { path: fromEnv, source: "FFMPEG_PATH" };
  }
  for (const pkg of ["ffmpeg-static", "@ffmpeg-installer/ffmpeg"] as const) {
    const path = probe.packageBinary(pkg);
    if (path && probe.exists(path)) return { path, source: pkg };
  }
  for (const dir of (probe.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, "ffmpeg");
    if (probe.exists(path)) return { path, source: "PATH" };
  }
  throw new KestrelError(
    "KESTREL_E_FFMPEG_NOT_FOUND",
    "set FFMPEG_PATH, install @ffmpeg-installer/ffmpeg, or put ffmpeg on PATH",
  );
}

let cached: ResolvedFfmpeg | undefined;

/** The ffmpeg every part of Kestrel uses, resolved once per process. */
export function ffmpegPath(): string {
  cached ??= resolveFfmpeg();
  return cached.path;
}

export function ffmpegVersion(path: string): string {
  const out = execFileSync(path, ["-hide_banner", "-version"], { encoding: "utf8", timeout: 10_000 });
  return out.split("\n", 1)[0] ?? "";
}
