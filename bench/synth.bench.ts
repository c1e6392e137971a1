// Synthetic material speed: a 10 s 720p 25 fps clip, 720p stills, plate crops. Timings are CPU seconds
// (this process plus its ffmpeg children, from /proc) as well as wall seconds, because the machine is
// shared; each line carries a ratio against a baseline measured in the same run.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodePng } from "../src/image/png.js";
import { ffmpegPath } from "../src/ingest/ffmpeg-path.js";
import { generateClip } from "../src/synth/clip.js";
import { EVAL_SEEDS, seedAt } from "../src/synth/seeds.js";
import { generatePlateCrop, generateStill } from "../src/synth/still.js";

const TICKS_PER_S = 100;

/** CPU seconds of this process and of its waited-for children. */
function cpuS(): { self: number; children: number } {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]?.split(" ") ?? [];
  const num = (i: number): number => Number(fields[i - 3]) / TICKS_PER_S;
  return { self: num(14) + num(15), children: num(16) + num(17) };
}

async function measure<T>(fn: () => T | Promise<T>): Promise<{ wallS: number; cpuS: number; value: T }> {
  const c0 = cpuS();
  const t0 = performance.now();
  const value = await fn();
  const t1 = performance.now();
  const c1 = cpuS();
  return { wallS: (t1 - t0) / 1000, cpuS: c1.self - c0.self + c1.children - c0.children, value };
}

const dir = mkdtempSync(join(tmpdir(), "kestrel-synth-bench-"));
const f = (x: number): string => x.toFixed(2);

// Baseline: ffmpeg alone encoding 250 synthetic 720p frames with the same encoder settings.
const base = await measure(() =>
  execFileSync(ffmpegPath(), [
    "-hide_banner",
    "-loglevel",
    "error",
    "-y",
    "-f",
    "lavfi",
    "-i",
    "testsrc2=s=1280x720:r=25,format=rgb24",
    "-frames:v",
    "250",
    "-vf",
    "format=yuv420p,noise=alls=5:allf=t",
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-crf",
    "25",
    "-threads",
    "1",
    "-f",
    "mp4",
    join(dir, "base.mp4"),
  ]),
);
process.stdout.write(
  `baseline ffmpeg encode 250 frames 720p: wall ${f(base.wallS)} s, cpu ${f(base.cpuS)} s\n`,
);

const clip = await measure(() =>
  generateClip(seedAt(EVAL_SEEDS, 0), { outFile: join(dir, "clip.mp4"), durationS: 10, night: false }),
);
process.stdout.write(
  `synth clip 10 s 720p 25 fps (${clip.value.truth.vehicles.length} vehicles): wall ${f(clip.wallS)} s, cpu ${f(clip.cpuS)} s ` +
    `(target < 20 s on one core), ratio to encode-only baseline ${f(clip.cpuS / base.cpuS)}x cpu\n`,
);

generateStill(seedAt(EVAL_SEEDS, 0)); // warm up fonts and JIT
const n = 10;
const stills = await measure(() => {
  for (let i = 1; i <= n; i++) generateStill(seedAt(EVAL_SEEDS, i));
});
const still = generateStill(seedAt(EVAL_SEEDS, 1));
const png = await measure(() => {
  for (let i = 0; i < n; i++) encodePng(still.width, still.height, still.rgb, 3);
});
process.stdout.write(
  `synth stills 720p: ${f(n / stills.cpuS)} per cpu second (${f(n / stills.wallS)} per wall second), ` +
    `ratio to PNG-encoding the same still ${f(stills.cpuS / png.cpuS)}x\n`,
);

const m = 200;
const crops = await measure(() => {
  for (let i = 0; i < m; i++) generatePlateCrop(seedAt(EVAL_SEEDS, i));
});
process.stdout.write(
  `synth plate crops: ${f(m / crops.cpuS)} per cpu second (${f(m / crops.wallS)} per wall second), ${f(n / stills.cpuS > 0 ? m / crops.cpuS / (n / stills.cpuS) : 0)}x stills\n`,
);
rmSync(dir, { recursive: true, force: true });
