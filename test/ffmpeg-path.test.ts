import { describe, expect, it } from "vitest";
import { type FfmpegProbe, resolveFfmpeg } from "../src/ingest/ffmpeg-path.js";

function probe(opts: {
  env?: NodeJS.ProcessEnv;
  files?: string[];
  packages?: Record<string, string>;
}): FfmpegProbe {
  const files = new Set(opts.files ?? []);
  return {
    env: opts.env ?? {},
    exists: (p) => files.has(p),
    packageBinary: (pkg) => opts.packages?.[pkg],
  };
}

const all = {
  env: { FFMPEG_PATH: "/opt/ff/ffmpeg", PATH: "/usr/bin:/bin" },
  files: ["/opt/ff/ffmpeg", "/nm/static/ffmpeg", "/nm/installer/ffmpeg", "/usr/bin/ffmpeg"],
  packages: { "ffmpeg-static": "/nm/static/ffmpeg", "@ffmpeg-installer/ffmpeg": "/nm/installer/ffmpeg" },
};

describe("ffmpeg resolution order", () => {
  it("prefers FFMPEG_PATH", () => {
    expect(resolveFfmpeg(probe(all))).toEqual({ path: "/opt/ff/ffmpeg", source: "FFMPEG_PATH" });
  });

  it("fails loudly when FFMPEG_PATH names a missing file rather than silently using another", () => {
    expect(() => resolveFfmpeg(probe({ ...all, files: all.files.slice(1) }))).toThrow(/FFMPEG_PATH/);
  });

  it("then ffmpeg-static's binary when its download succeeded", () => {
    expect(resolveFfmpeg(probe({ ...all, env: { PATH: "/usr/bin" } }))).toEqual({
      path: "/nm/static/ffmpeg",
      source: "ffmpeg-static",
    });
  });

  it("skips ffmpeg-static when it is installed without its binary", () => {
    const files = all.files.filter((f) => f !== "/nm/static/ffmpeg");
    expect(resolveFfmpeg(probe({ ...all, env: { PATH: "/usr/bin" }, files })).source).toBe(
      "@ffmpeg-installer/ffmpeg",
    );
  });

  it("then ffmpeg on PATH", () => {
    expect(resolveFfmpeg(probe({ env: { PATH: "/nope:/usr/bin" }, files: ["/usr/bin/ffmpeg"] }))).toEqual({
      path: "/usr/bin/ffmpeg",
      source: "PATH",
    });
  });

  it("reports when there is none", () => {
    expect(() => resolveFfmpeg(probe({ env: { PATH: "/nope" } }))).toThrow(/no ffmpeg binary/);
  });

  it("finds a working ffmpeg on this machine", () => {
    expect(resolveFfmpeg().path).toMatch(/ffmpeg$/);
  });
});
