import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import type { FinalRead } from "../domain/read.js";
import { isKestrelError, KestrelError } from "../errors/index.js";
import { PACKAGE_ROOT } from "../paths.js";
import { probeMedia } from "../recognition/decode.js";
import { readImageFile, readVideoFile } from "../recognition/read-file.js";
import { Recogniser, type Roi } from "../recognition/recogniser.js";

interface ReadOptions {
  region: "gb" | "any";
  top: string;
  roi?: string;
  minConfidence: string;
  provisionalConfidence: string;
}

export function engineVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string };
  return `kestrel-${pkg.version}`;
}

function parseRoi(text: string): Roi {
  const parts = text.split(",").map(Number);
  if (
    parts.length !== 4 ||
    parts.some((n) => !Number.isInteger(n) || n < 0) ||
    parts[2] === 0 ||
    parts[3] === 0
  ) {
    throw new KestrelError("KESTREL_E_INPUT_INVALID", `--roi ${text}: expected x,y,w,h (pixels)`);
  }
  return parts as Roi;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** `kestrel read FILE...`: plates in images (one line per file) and videos (one line per vehicle pass). */
export function registerRead(program: Command): void {
  program
    .command("read")
    .description("read plates in images (JPEG/PNG) and video files; one JSON object per line")
    .argument("<files...>", "images or videos")
    .option("--region <region>", "gb: UK marks only; any: foreign plates", "gb")
    .option("--top <n>", "alternatives per read", "5")
    .option("--roi <x,y,w,h>", "search only this rectangle (pixels of the original frame)")
    .option("--min-confidence <p>", "videos: weakest vehicle read reported", "0.6")
    .option("--provisional-confidence <p>", "videos: (tracker) instant-read threshold", "0.8")
    .action(async (files: string[], opts: ReadOptions) => {
      if (opts.region !== "gb" && opts.region !== "any") {
        throw new KestrelError("KESTREL_E_INPUT_INVALID", `--region ${opts.region}: expected gb or any`);
      }
      const top = Number(opts.top);
      if (!Number.isInteger(top) || top < 1 || top > 20) {
        throw new KestrelError("KESTREL_E_INPUT_INVALID", `--top ${opts.top}: expected 1..20`);
      }
      const roi = opts.roi ? parseRoi(opts.roi) : undefined;
      const recogniser = Recogniser.create({ region: opts.region, topCandidates: top });
      let failed = 0;
      for (const file of files) {
        try {
          await readFile(recogniser, file, roi, opts);
        } catch (err) {
          failed++;
          const error = isKestrelError(err)
            ? { ...err.toJSON(), file }
            : { code: "KESTREL_E_INTERNAL", message: String(err), file };
          process.stderr.write(`${JSON.stringify({ error })}\n`);
        }
      }
      if (failed > 0) process.exitCode = 1;
    });
}

async function readFile(
  recogniser: Recogniser,
  file: string,
  roi: Roi | undefined,
  opts: ReadOptions,
): Promise<void> {
  const info = probeMedia(file);
  if (info.kind === "image") {
    const { reads, ms } = readImageFile(recogniser, file, roi, info);
    const line = {
      file,
      reads: reads.map((r) => ({
        plate: r.plate,
        confidence: round3(r.confidence),
        box: r.box,
        candidates: r.candidates.map((c) => ({ plate: c.plate, confidence: round3(c.confidence) })),
      })),
      ms: Math.round(ms * 10) / 10,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    return;
  }
  const tracker = {
    provisionalConfidence: Number(opts.provisionalConfidence),
    minConfidence: Number(opts.minConfidence),
    engineVersion: engineVersion(),
  };
  await readVideoFile(recogniser, file, tracker, (r) => writeFinal(file, r), { roi, info });
}

function writeFinal(file: string, r: FinalRead): void {
  const line = {
    file,
    plate: r.plate,
    confidence: round3(r.confidence),
    firstFrame: r.firstFrame,
    lastFrame: r.lastFrame,
    box: r.box,
    candidates: r.candidates.map((c) => ({ plate: c.plate, confidence: round3(c.confidence) })),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
