import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ffmpegPath } from "../src/ingest/ffmpeg-path.js";
import { type ClipTruth, generateClip } from "../src/synth/clip.js";
import { formatOf } from "../src/synth/marks.js";
import { EVAL_SEEDS, seedAt } from "../src/synth/seeds.js";
import type { SynthTruth } from "../src/synth/truth-file.js";

const tmp = mkdtempSync(join(tmpdir(), "kestrel-synth-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const W = 640;
const H = 360;
const small = {
  widthPx: W,
  heightPx: H,
  fps: 25,
  durationS: 2.4,
  vehicles: 3,
  night: false,
  conditions: false,
};

/** Decodes every frame of a clip to RGB with the real ffmpeg. */
function decode(path: string): Buffer[] {
  const r = spawnSync(
    ffmpegPath(),
    ["-hide_banner", "-loglevel", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
    {
      maxBuffer: 1 << 30,
    },
  );
  expect(r.status).toBe(0);
  const size = W * H * 3;
  const frames: Buffer[] = [];
  for (let o = 0; o + size <= r.stdout.length; o += size) frames.push(r.stdout.subarray(o, o + size));
  return frames;
}

function sha(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

describe("clips", () => {
  let truth: ClipTruth;
  let path: string;

  it("writes an H.264 clip whose frame count and truth agree", async () => {
    const r = await generateClip(seedAt(EVAL_SEEDS, 11), { ...small, outFile: join(tmp, "a.mp4") });
    truth = r.truth;
    path = r.path;
    expect(truth.frameCount).toBe(60);
    expect(truth.vehicles).toHaveLength(3);
    const frames = decode(path);
    expect(frames).toHaveLength(60);
    const seenWhole = truth.vehicles.filter((v) => v.firstFrame !== null);
    expect(seenWhole.length).toBeGreaterThan(0);
    for (const v of truth.vehicles) {
      expect(formatOf(v.plate)).toBe(v.format);
      expect(v.colour).toBe(v.facing === "front" ? "white" : "yellow");
      if (v.firstFrame === null || v.lastFrame === null) continue;
      expect(v.firstFrame).toBeGreaterThanOrEqual(0);
      expect(v.lastFrame).toBeGreaterThanOrEqual(v.firstFrame);
      expect(v.lastFrame).toBeLessThan(truth.frameCount);
      const whole = v.frames.filter((f) => f.whole);
      expect(whole[0]?.frame).toBe(v.firstFrame);
      expect(whole.at(-1)?.frame).toBe(v.lastFrame);
      for (const f of whole) {
        const [x, y, w, h] = f.box;
        expect(x).toBeGreaterThanOrEqual(0);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(x + w).toBeLessThanOrEqual(W);
        expect(y + h).toBeLessThanOrEqual(H);
      }
    }
  });

  it("moves vehicles as they would: approaching plates grow and descend, departing ones shrink and rise", () => {
    let checked = 0;
    for (const v of truth.vehicles) {
      if (v.frames.length < 4) continue;
      const a = v.frames[0];
      const b = v.frames.at(-1);
      if (!a || !b) continue;
      if (v.facing === "front") {
        expect(b.charHeightPx).toBeGreaterThan(a.charHeightPx);
        expect(b.box[1]).toBeGreaterThan(a.box[1]);
      } else {
        expect(b.charHeightPx).toBeLessThan(a.charHeightPx);
        expect(b.box[1]).toBeLessThan(a.box[1]);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });

  it("has plate-coloured pixels inside the truth's plate box on the decoded frames", () => {
    const frames = decode(path);
    let checked = 0;
    for (const v of truth.vehicles) {
      const best = v.frames.filter((f) => f.whole).sort((p, q) => q.charHeightPx - p.charHeightPx)[0];
      if (!best || best.charHeightPx < 14) continue;
      const frame = frames[best.frame] as Buffer;
      // the middle band of the plate between the top and bottom margins: plate colour around the ink
      const [x, y, w, h] = best.box;
      const r: number[] = [];
      const b: number[] = [];
      const l: number[] = [];
      for (let yy = Math.ceil(y + h * 0.3); yy < y + h * 0.7; yy++)
        for (let xx = Math.ceil(x + w * 0.2); xx < x + w * 0.8; xx++) {
          const o = (yy * W + xx) * 3;
          r.push(frame[o] as number);
          b.push(frame[o + 2] as number);
          l.push(
            (frame[o] as number) * 0.3 + (frame[o + 1] as number) * 0.59 + (frame[o + 2] as number) * 0.11,
          );
        }
      l.sort((p, q) => p - q);
      const bright = l[Math.floor(l.length * 0.85)] as number;
      const dark = l[Math.floor(l.length * 0.05)] as number;
      expect(bright, `${v.plate} plate background`).toBeGreaterThan(150);
      expect(bright - dark, `${v.plate} ink contrast`).toBeGreaterThan(70);
      const meanR = r.reduce((p, q) => p + q, 0) / r.length;
      const meanB = b.reduce((p, q) => p + q, 0) / b.length;
      if (v.colour === "yellow") expect(meanR - meanB, `${v.plate} yellow`).toBeGreaterThan(60);
      else expect(Math.abs(meanR - meanB), `${v.plate} white`).toBeLessThan(40);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });

  it("is deterministic for a seed: the same bytes twice", async () => {
    const again = await generateClip(seedAt(EVAL_SEEDS, 11), { ...small, outFile: join(tmp, "b.mp4") });
    expect(sha(again.path)).toBe(sha(path));
    expect(again.truth.vehicles).toEqual(truth.vehicles);
  });

  it("caches clips by seed and options", async () => {
    const cacheDir = join(tmp, "cache");
    const opts = { ...small, durationS: 0.4, format: "ts" as const, cacheDir };
    const first = await generateClip(seedAt(EVAL_SEEDS, 12), opts);
    expect(first.cached).toBe(false);
    expect(first.path.endsWith(".ts")).toBe(true);
    const second = await generateClip(seedAt(EVAL_SEEDS, 12), opts);
    expect(second.cached).toBe(true);
    expect(second.path).toBe(first.path);
    expect(second.truth).toEqual(first.truth);
    const other = await generateClip(seedAt(EVAL_SEEDS, 13), opts);
    expect(other.path).not.toBe(first.path);
  });
});

describe("kestrel synth", () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "synth", ...args], {
      encoding: "utf8",
    });

  it("writes clips, stills and truth.json", () => {
    const out = join(tmp, "cli");
    const r = cli([
      "--out",
      out,
      "--clips",
      "1",
      "--duration",
      "0.4",
      "--size",
      "320x240",
      "--stills",
      "2",
      "--vehicles-per-clip",
      "2",
    ]);
    expect(r.status, r.stderr).toBe(0);
    const truth = JSON.parse(readFileSync(join(out, "truth.json"), "utf8")) as SynthTruth;
    expect(truth.seed).toBe(EVAL_SEEDS.start);
    expect(truth.clips).toHaveLength(1);
    expect(truth.clips[0]?.vehicles).toHaveLength(2);
    expect(truth.clips[0]?.frameCount).toBe(10);
    expect(truth.stills).toHaveLength(2);
    for (const s of truth.stills) {
      expect(readFileSync(join(out, s.file)).subarray(1, 4).toString()).toBe("PNG");
      for (const p of s.plates) expect(formatOf(p.text)).toBe(p.format);
    }
    expect(existsSync(join(out, "clip-000.mp4"))).toBe(true);
  });

  it("refuses bad options with a coded error, and runs that would mix train and eval seeds", () => {
    const bad = cli(["--out", join(tmp, "bad"), "--size", "640by480"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("KESTREL_E_SYNTH_OPTION");
    const mixed = cli(["--out", join(tmp, "bad"), "--seed", "999999", "--stills", "2", "--clips", "0"]);
    expect(mixed.status).toBe(1);
    expect(mixed.stderr).toContain("train and eval seeds must not mix");
  });
});
