// Measuring the character classifier: the real UK character crops in ../shared/data/uk-chars (decoded
// with ffmpeg, for measurement only) and held-out synthetic crops from EVAL seeds, as lists of glyph
// images with their truth. Used by the benchmark and the regression tests.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CHAR_CLASSES } from "../../assembly/shared/constants.js";
import { ffmpegPath } from "../ingest/ffmpeg-path.js";
import { PACKAGE_ROOT } from "../paths.js";
import { EVAL_SEEDS, seedAt } from "../synth/seeds.js";
import { type GlyphSample, glyphSample } from "./classify-samples.js";

/** Where the real character crops live, relative to the package root (a symlink from worktrees). */
export const UK_CHARS_DIR = join(PACKAGE_ROOT, "..", "shared", "data", "uk-chars");

/** Every uk-chars crop is padded to this square (white) when decoded; the largest is 34 × 54. */
const PAD_PX = 64;
/** ffmpeg output options: each crop padded (white) to PAD_PX square, as raw 8-bit grey on stdout. */
const PADDED_GREY = ["-vf", `pad=${PAD_PX}:${PAD_PX}:0:0:white`, "-f", "rawvideo", "-pix_fmt", "gray", "-"];

function imageSize(bytes: Buffer): { width: number; height: number } {
  if (bytes[0] === 0x89 && bytes[1] === 0x50)
    return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) {
      i++;
      continue;
    }
    const marker = bytes[i + 1]!;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: bytes.readUInt16BE(i + 5), width: bytes.readUInt16BE(i + 7) };
    }
    i += 2 + bytes.readUInt16BE(i + 2);
  }
  throw new Error("no JPEG frame header");
}

/**
 * The uk-chars crops as glyph samples (black on white, box = whole crop), or undefined when the data
 * folder is absent. Decoded once into .cache/ (one ffmpeg run over all the JPEGs, padded to 64 × 64).
 */
export function loadUkChars(dir = UK_CHARS_DIR): GlyphSample[] | undefined {
  const labelsPath = join(dir, "labels.tsv");
  if (!existsSync(labelsPath)) return undefined;
  const rows = readFileSync(labelsPath, "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((l) => l.split("\t") as [string, string])
    .filter(([, ch]) => CHAR_CLASSES.includes(ch));
  const cacheDir = join(PACKAGE_ROOT, ".cache", "classify");
  const cachePath = join(cacheDir, `uk-chars-${rows.length}.gray`);
  const files = rows.map(([f]) => f).sort();
  const index = new Map(files.map((f, i) => [f, i]));
  let pixels: Buffer;
  if (existsSync(cachePath)) pixels = readFileSync(cachePath);
  else {
    pixels = Buffer.alloc(files.length * PAD_PX * PAD_PX, 255);
    // One decoder run for every JPEG (glob order in the C locale = byte order of names = sorted order).
    const out = execFileSync(
      ffmpegPath(),
      ["-v", "error", "-pattern_type", "glob", "-i", join(dir, "*.jpg"), "-vsync", "0", ...PADDED_GREY],
      { maxBuffer: 1 << 28, env: { ...process.env, LC_ALL: "C" } },
    );
    const all = readdirSync(dir)
      .filter((f) => f.endsWith(".jpg"))
      .sort();
    const frame = PAD_PX * PAD_PX;
    if (out.length !== all.length * frame)
      throw new Error(`uk-chars: decoded ${out.length / frame} of ${all.length}`);
    all.forEach((f, k) => {
      const i = index.get(f);
      if (i !== undefined) out.copy(pixels, i * frame, k * frame, (k + 1) * frame);
    });
    for (const f of files.filter((name) => !name.endsWith(".jpg"))) {
      const one = execFileSync(ffmpegPath(), ["-v", "error", "-i", join(dir, f), ...PADDED_GREY]);
      one.copy(pixels, index.get(f)! * frame);
    }
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(cachePath, pixels);
  }
  return rows.map(([file, ch]) => {
    const { width, height } = imageSize(readFileSync(join(dir, file)));
    const i = index.get(file)!;
    const grey = new Uint8Array(pixels.buffer, pixels.byteOffset + i * PAD_PX * PAD_PX, PAD_PX * PAD_PX);
    return {
      grey,
      width: PAD_PX,
      height: PAD_PX,
      box: { x: 0, y: 0, w: Math.min(width, PAD_PX), h: Math.min(height, PAD_PX) },
      inverted: false,
      label: CHAR_CLASSES.indexOf(ch),
    };
  });
}

/** `count` held-out synthetic crops: EVAL seeds from `offset` on (never used in training). */
export function evalGlyphs(count: number, offset = 0): GlyphSample[] {
  return Array.from({ length: count }, (_, i) => glyphSample(seedAt(EVAL_SEEDS, offset + i)));
}

export interface AccuracyReport {
  count: number;
  correct: number;
  accuracy: number;
  /** Most frequent confusions as "truth→read:count". */
  confusions: string[];
}

/** Top-1 accuracy of `classify` (36 probabilities per sample) over `samples`. */
export function measureAccuracy(
  samples: readonly GlyphSample[],
  classify: (s: GlyphSample) => Float32Array,
): AccuracyReport {
  let correct = 0;
  const conf = new Map<string, number>();
  for (const s of samples) {
    const p = classify(s);
    let best = 0;
    for (let c = 1; c < CHAR_CLASSES.length; c++) if (p[c]! > p[best]!) best = c;
    if (best === s.label) correct++;
    else {
      const key = `${CHAR_CLASSES[s.label]}→${CHAR_CLASSES[best]}`;
      conf.set(key, (conf.get(key) ?? 0) + 1);
    }
  }
  const confusions = [...conf]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([k, n]) => `${k}:${n}`);
  return { count: samples.length, correct, accuracy: correct / Math.max(1, samples.length), confusions };
}
