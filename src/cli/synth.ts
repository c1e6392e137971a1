import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { KestrelError } from "../errors/index.js";
import { generateClip, SYNTH_VERSION } from "../synth/clip.js";
import { writeImage } from "../synth/files.js";
import { EVAL_SEEDS, inRange, TRAIN_SEEDS } from "../synth/seeds.js";
import { generateStill } from "../synth/still.js";
import type { SynthTruth } from "../synth/truth-file.js";

interface SynthFlags {
  out: string;
  seed: string;
  clips: string;
  vehiclesPerClip: string;
  stills: string;
  size: string;
  fps: string;
  duration: string;
  night: string;
  format: string;
  stillFormat: string;
  region: string;
}

function bad(field: string, reason: string): never {
  throw new KestrelError("KESTREL_E_SYNTH_OPTION", `--${field}: ${reason}`, { details: { field } });
}

function int(field: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    bad(field, `expected an integer in [${min}, ${max}], got ${v}`);
  return n;
}

/** `kestrel synth`: synthetic UK traffic clips and stills with ground truth. */
export function registerSynth(program: Command): void {
  program
    .command("synth")
    .description("write synthetic UK traffic: H.264 clips, stills and truth.json")
    .requiredOption("--out <dir>", "output folder")
    .option("--seed <n>", "first seed (clip i and still i use seed + i)", String(EVAL_SEEDS.start))
    .option("--clips <n>", "number of clips", "1")
    .option("--vehicles-per-clip <n>", "vehicles passing in each clip", "4")
    .option("--stills <n>", "number of stills", "0")
    .option("--size <WxH>", "frame size", "1280x720")
    .option("--fps <n>", "clip frame rate", "25")
    .option("--duration <s>", "clip length in seconds", "10")
    .option("--night <p>", "probability of an infrared night clip or still", "0.25")
    .option("--format <mp4|ts>", "clip container", "mp4")
    .option("--still-format <png|jpg>", "still image format", "png")
    .option(
      "--region <uk|any|eu>",
      "uk: valid UK marks only; any: some foreign-style text too; eu: European plates",
      "uk",
    )
    .action(async (flags: SynthFlags) => {
      const seed = int("seed", flags.seed, 0, 2 ** 31);
      const clips = int("clips", flags.clips, 0, 10_000);
      const stills = int("stills", flags.stills, 0, 1_000_000);
      const vehicles = int("vehicles-per-clip", flags.vehiclesPerClip, 1, 50);
      const fps = int("fps", flags.fps, 1, 120);
      const durationS = Number(flags.duration);
      if (!(durationS > 0 && durationS <= 600))
        bad("duration", `expected seconds in (0, 600], got ${flags.duration}`);
      const m = /^(\d+)x(\d+)$/.exec(flags.size);
      if (!m) bad("size", `expected WxH, got ${flags.size}`);
      const widthPx = Number(m[1]);
      const heightPx = Number(m[2]);
      if (
        widthPx < 160 ||
        heightPx < 120 ||
        widthPx % 2 ||
        heightPx % 2 ||
        widthPx > 7680 ||
        heightPx > 4320
      ) {
        bad("size", "width and height must be even, at least 160x120 and at most 7680x4320");
      }
      const night = Number(flags.night);
      if (!(night >= 0 && night <= 1)) bad("night", `expected a probability in [0, 1], got ${flags.night}`);
      if (flags.format !== "mp4" && flags.format !== "ts") bad("format", "expected mp4 or ts");
      if (flags.stillFormat !== "png" && flags.stillFormat !== "jpg")
        bad("still-format", "expected png or jpg");
      if (flags.region !== "uk" && flags.region !== "any" && flags.region !== "eu")
        bad("region", "expected uk, any or eu");
      const last = seed + Math.max(clips, stills, 1) - 1;
      for (const r of [TRAIN_SEEDS, EVAL_SEEDS]) {
        if (inRange(seed, r) && !inRange(last, r)) {
          bad(
            "seed",
            `seeds ${seed}..${last} cross the end of their range [${r.start}, ${r.end}): train and eval seeds must not mix`,
          );
        }
      }
      const out = resolve(flags.out);
      mkdirSync(out, { recursive: true });
      const format = flags.format as "mp4" | "ts";
      const region = flags.region as "uk" | "any" | "eu";
      const truth: SynthTruth = {
        generator: "kestrel-synth",
        version: SYNTH_VERSION,
        seed,
        options: { clips, stills, vehicles, widthPx, heightPx, fps, durationS, night, format, region },
        clips: [],
        stills: [],
      };
      for (let i = 0; i < clips; i++) {
        const file = `clip-${String(i).padStart(3, "0")}.${format}`;
        const t0 = performance.now();
        const r = await generateClip(seed + i, {
          outFile: join(out, file),
          widthPx,
          heightPx,
          fps,
          durationS,
          vehicles,
          night,
          format,
          region,
        });
        truth.clips.push(r.truth);
        process.stdout.write(
          `${file}  ${r.truth.frameCount} frames  ${r.truth.vehicles.length} vehicles  ${r.truth.night ? "night" : "day"}  ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
        );
      }
      for (let i = 0; i < stills; i++) {
        const file = `still-${String(i).padStart(4, "0")}.${flags.stillFormat}`;
        const s = generateStill(seed + i, { widthPx, heightPx, night, region });
        writeImage(join(out, file), s.width, s.height, s.rgb, flags.stillFormat as "png" | "jpg");
        truth.stills.push({
          seed: s.seed,
          file,
          width: s.width,
          height: s.height,
          night: s.night,
          plates: s.plates,
        });
      }
      if (stills > 0) process.stdout.write(`${stills} stills\n`);
      writeFileSync(join(out, "truth.json"), `${JSON.stringify(truth)}\n`);
      process.stdout.write(`${join(out, "truth.json")}\n`);
    });
}
