// Trains the character classifier from synthetic crops and writes assets/classifier.bin.
//   npx tsx scripts/train-classifier.ts [--seed 1] [--samples 60000] [--epochs 12] [--hidden 128] [--conv 8,16]
// The shipped weights (a conv net) are exactly what this makes:
//   npx tsx scripts/train-classifier.ts --samples 100000 --plates 1500 --junk 8000 --epochs 12 --hidden 128 --conv 8,16 --eval 6000
// Deterministic for a seed: crops come from TRAIN seeds only (sample i uses TRAIN seed i), the seed
// drives weight initialisation and shuffling. Reports accuracy on held-out synthetic crops and plate
// characters from EVAL seeds: choose the model to ship by those, never by the real-data sets.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CHAR_CLASSES } from "../assembly/shared/constants.js";
import { PACKAGE_ROOT } from "../src/paths.js";
import { NormaliseScratch, normaliseBox } from "../src/recognition/classify-normalise.js";
import {
  type ClassifierModel,
  forward,
  inputLength,
  pad4,
  parseModel,
  quantiseModel,
  serialiseModel,
} from "../src/recognition/classify-reference.js";
import {
  type GlyphSample,
  glyphSample,
  junkSample,
  plateCharSamples,
} from "../src/recognition/classify-samples.js";
import { EVAL_SEEDS, seedAt, TRAIN_SEEDS } from "../src/synth/seeds.js";
import { trainCnnWasm } from "./train/cnn-wasm.js";
import { type Dataset, type TrainOptions, trainMlp } from "./train/mlp.js";
import { trainMlpWasm } from "./train/mlp-wasm.js";

/** Model input: a 20 × 28 grid (glyph aspect 50:79 fills it at 28 px high) plus the aspect ratio. */
export const GEOMETRY = { inputWidth: 20, inputHeight: 28, featureCount: 1 };

const { values } = parseArgs({
  options: {
    seed: { type: "string", default: "1" },
    samples: { type: "string", default: "60000" },
    eval: { type: "string", default: "4000" },
    /** Plate crops (full renderer) whose characters join the training crops. */
    plates: { type: "string", default: "0" },
    epochs: { type: "string", default: "12" },
    hidden: { type: "string", default: "128" },
    /** Conv layers before the dense ones: output channels per layer (multiples of 8), e.g. "8,16"; none = perceptron. */
    conv: { type: "string" },
    lr: { type: "string", default: "0.05" },
    /** Train with the plain TypeScript loops instead of the wasm SIMD kernel (same accuracy, other bytes, slower). */
    js: { type: "boolean", default: false },
    out: { type: "string", default: join(PACKAGE_ROOT, "assets", "classifier.bin") },
    /** Boxes that hold no character (dashes, screws, coats of arms, band stars, plate edges, dirt), trained towards equal scores. */
    junk: { type: "string", default: "0" },
    /** Plate crops from EVAL seeds whose characters form the second validation set. */
    "eval-plates": { type: "string", default: "600" },
    /** An existing weights file measured on the same validation sets, for comparison (default: the --out file). */
    compare: { type: "string" },
  },
});

/** Crops depend on the sample generator and the normalisation: their sources key the cache. */
const GENERATOR_FILES = [
  "src/recognition/classify-samples.ts",
  "src/recognition/classify-normalise.ts",
  "src/synth/glyphs/plate-font.ts",
  "src/synth/glyphs/font-glyphs.ts",
  "src/synth/glyphs/training-fonts.ts",
  "src/synth/raster.ts",
];
const generatorHash = createHash("sha256");
for (const f of GENERATOR_FILES) generatorHash.update(readFileSync(join(PACKAGE_ROOT, f)));
const GENERATOR_KEY = generatorHash.digest("hex").slice(0, 12);

/** Normalised crops, cached in .cache/classify keyed by name, size and generator (u32 count, grid, features, labels). */
function cachedDataset(
  name: string,
  make: () => GlyphSample[] | Iterable<GlyphSample>,
  count?: number,
): Dataset {
  const dir = join(PACKAGE_ROOT, ".cache", "classify");
  const path = join(dir, `crops-${name}-${GENERATOR_KEY}.bin`);
  const gridLength = GEOMETRY.inputWidth * GEOMETRY.inputHeight;
  if (existsSync(path)) {
    const buf = readFileSync(path);
    const n = buf.readUInt32LE(0);
    const gridBytes = n * gridLength;
    const featureBytes = n * GEOMETRY.featureCount * 4;
    const at = buf.byteOffset + 4;
    return {
      count: n,
      inputLength: inputLength(GEOMETRY),
      grid: new Uint8Array(buf.buffer, at, gridBytes),
      gridLength,
      features: new Float32Array(buf.buffer.slice(at + gridBytes, at + gridBytes + featureBytes)),
      featureCount: GEOMETRY.featureCount,
      labels: new Uint8Array(buf.buffer, at + gridBytes + featureBytes, n),
    };
  }
  const samples = make();
  const d = buildDataset(samples, count ?? (samples as GlyphSample[]).length);
  mkdirSync(dir, { recursive: true });
  const head = Buffer.alloc(4);
  head.writeUInt32LE(d.count, 0);
  writeFileSync(path, Buffer.concat([head, d.grid, new Uint8Array(d.features.buffer), d.labels]));
  return d;
}

function buildDataset(samples: Iterable<GlyphSample>, count: number): Dataset {
  const gridLength = GEOMETRY.inputWidth * GEOMETRY.inputHeight;
  const d: Dataset = {
    count,
    inputLength: inputLength(GEOMETRY),
    grid: new Uint8Array(count * gridLength),
    gridLength,
    features: new Float32Array(count * GEOMETRY.featureCount),
    featureCount: GEOMETRY.featureCount,
    labels: new Uint8Array(count),
  };
  const input = new Float32Array(pad4(d.inputLength));
  const scratch = new NormaliseScratch(GEOMETRY.inputWidth);
  let i = 0;
  for (const s of samples) {
    normaliseBox(s.grey, s.width, s.box.x, s.box.y, s.box.w, s.box.h, s.inverted, GEOMETRY, input, scratch);
    for (let j = 0; j < gridLength; j++)
      d.grid[i * gridLength + j] = Math.round(Math.min(1, input[j]!) * 255);
    for (let f = 0; f < GEOMETRY.featureCount; f++)
      d.features[i * GEOMETRY.featureCount + f] = input[gridLength + f]!;
    d.labels[i] = s.label;
    i++;
  }
  return d;
}

function* glyphs(count: number, seedOf: (i: number) => number): Iterable<GlyphSample> {
  for (let i = 0; i < count; i++) yield glyphSample(seedOf(i));
}

function* glyphsOf(count: number, make: (i: number) => GlyphSample): Iterable<GlyphSample> {
  for (let i = 0; i < count; i++) yield make(i);
}

/** How flat the scores are on boxes that hold no character: mean top score, and the share under 0.04. */
function junkFlatness(model: ClassifierModel, d: Dataset): string {
  const x = new Float32Array(pad4(d.inputLength));
  const p = new Float32Array(36);
  let sumTop = 0;
  let flat = 0;
  for (let k = 0; k < d.count; k++) {
    for (let i = 0; i < d.gridLength; i++) x[i] = d.grid[k * d.gridLength + i]! / 255;
    for (let f = 0; f < d.featureCount; f++) x[d.gridLength + f] = d.features[k * d.featureCount + f]!;
    forward(model, x, p);
    const top = Math.max(...p);
    sumTop += top;
    if (top < 0.04) flat++;
  }
  return `junk top score ${(sumTop / d.count).toFixed(3)}, ${((100 * flat) / d.count).toFixed(1)}% under 0.04`;
}

function concat(a: Dataset, b: Dataset): Dataset {
  const grid = new Uint8Array(a.grid.length + b.grid.length);
  grid.set(a.grid);
  grid.set(b.grid, a.grid.length);
  const features = new Float32Array(a.features.length + b.features.length);
  features.set(a.features);
  features.set(b.features, a.features.length);
  const labels = new Uint8Array(a.count + b.count);
  labels.set(a.labels);
  labels.set(b.labels, a.count);
  return { ...a, count: a.count + b.count, grid, features, labels };
}

export function accuracy(model: ClassifierModel, d: Dataset): { accuracy: number; confusions: string[] } {
  const x = new Float32Array(pad4(d.inputLength));
  const p = new Float32Array(36);
  let right = 0;
  const conf = new Map<string, number>();
  for (let k = 0; k < d.count; k++) {
    for (let i = 0; i < d.gridLength; i++) x[i] = d.grid[k * d.gridLength + i]! / 255;
    for (let f = 0; f < d.featureCount; f++) x[d.gridLength + f] = d.features[k * d.featureCount + f]!;
    forward(model, x, p);
    let best = 0;
    for (let c = 1; c < 36; c++) if (p[c]! > p[best]!) best = c;
    if (best === d.labels[k]) right++;
    else {
      const key = `${CHAR_CLASSES[d.labels[k]!]}→${CHAR_CLASSES[best]}`;
      conf.set(key, (conf.get(key) ?? 0) + 1);
    }
  }
  const confusions = [...conf]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([k, n]) => `${k}:${n}`);
  return { accuracy: right / d.count, confusions };
}

const t0 = Date.now();
const samples = Number(values.samples);
const nEval = Number(values.eval);
const nPlates = Number(values.plates);
let train = cachedDataset(`train-${samples}`, () => glyphs(samples, (i) => seedAt(TRAIN_SEEDS, i)), samples);
// Plate crops take TRAIN seeds after the glyph crops' (the generator's streams differ anyway).
if (nPlates > 0) {
  const plates = cachedDataset(`plates-${nPlates}`, () =>
    Array.from({ length: nPlates }, (_, i) => plateCharSamples(seedAt(TRAIN_SEEDS, samples + i))).flat(),
  );
  console.log(`plate characters: ${plates.count} from ${nPlates} plate crops`);
  train = concat(train, plates);
}
const nJunk = Number(values.junk);
if (nJunk > 0) {
  // Junk boxes take TRAIN seeds after the plate crops'.
  const junk = cachedDataset(
    `junk-${nJunk}`,
    () => glyphsOf(nJunk, (i) => junkSample(seedAt(TRAIN_SEEDS, samples + nPlates + i))),
    nJunk,
  );
  console.log(`junk boxes: ${junk.count}`);
  train = concat(train, junk);
}
const evalJunk = cachedDataset(
  `eval-junk-1000`,
  () => glyphsOf(1000, (i) => junkSample(seedAt(EVAL_SEEDS, 400_000 + i))),
  1000,
);
const evalSet = cachedDataset(`eval-${nEval}`, () => glyphs(nEval, (i) => seedAt(EVAL_SEEDS, i)), nEval);
// Second validation set: characters of the scene generator's plate crops (EVAL seeds), the material the
// recogniser meets in the synthetic stills; unlike the glyph crops it does not change with the
// training-crop generator, so models trained on different crop generators compare on it fairly.
const nEvalPlates = Number(values["eval-plates"]);
const evalPlates = cachedDataset(`eval-plates-${nEvalPlates}`, () =>
  Array.from({ length: nEvalPlates }, (_, i) => plateCharSamples(seedAt(EVAL_SEEDS, 300_000 + i))).flat(),
);
console.log(
  `crops: ${train.count} train, ${evalSet.count} eval glyphs, ${evalPlates.count} eval plate characters, ` +
    `${((Date.now() - t0) / 1000).toFixed(1)} s`,
);
const comparePath = values.compare ?? values.out!;
if (existsSync(comparePath)) {
  const before = parseModel(new Uint8Array(readFileSync(comparePath)));
  const g = accuracy(before, evalSet);
  const pl = accuracy(before, evalPlates);
  console.log(
    `existing ${comparePath}: eval glyphs ${(g.accuracy * 100).toFixed(2)}%, eval plate characters ` +
      `${(pl.accuracy * 100).toFixed(2)}% (${pl.confusions.join(" ")}); ${junkFlatness(before, evalJunk)}`,
  );
}
const t1 = Date.now();
const cpu1 = process.cpuUsage();
const channels = values.conv ? values.conv.split(",").map(Number) : [];
if (channels.length > 0 && values.js) throw new Error("--js trains perceptrons only");
const trainer =
  channels.length > 0
    ? (d: Dataset, g: typeof GEOMETRY, o: TrainOptions) => trainCnnWasm(d, g, channels, o)
    : values.js
      ? trainMlp
      : trainMlpWasm;
const model = trainer(train, GEOMETRY, {
  hidden: Number(values.hidden),
  epochs: Number(values.epochs),
  batch: 32,
  learningRate: Number(values.lr),
  momentum: 0.9,
  weightDecay: 5e-5,
  seed: Number(values.seed),
  onEpoch(epoch, loss, acc, live) {
    const held = accuracy(live, evalSet);
    const heldPlates = accuracy(live, evalPlates);
    console.log(
      `epoch ${epoch + 1}: loss ${loss.toFixed(4)} train ${(acc * 100).toFixed(2)}% ` +
        `eval ${(held.accuracy * 100).toFixed(2)}% plates ${(heldPlates.accuracy * 100).toFixed(2)}% ` +
        `(${((Date.now() - t1) / 1000).toFixed(0)} s, ` +
        `cpu ${(process.cpuUsage(cpu1).user / 1e6).toFixed(0)} s)`,
    );
  },
});
// The file stores i8 weights with a scale per row: measure exactly what ships.
const shipped = quantiseModel(model);
const result = accuracy(shipped, evalSet);
console.log(
  `eval accuracy ${(result.accuracy * 100).toFixed(2)}% on ${evalSet.count} EVAL-seed crops (i8 weights)`,
);
console.log(`top confusions: ${result.confusions.join(" ")}`);
console.log(`EVAL-seed ${junkFlatness(shipped, evalJunk)}`);
const plateResult = accuracy(shipped, evalPlates);
console.log(
  `eval plate characters ${(plateResult.accuracy * 100).toFixed(2)}% of ${evalPlates.count} (i8 weights): ` +
    plateResult.confusions.join(" "),
);
const bytes = serialiseModel(shipped);
writeFileSync(values.out!, bytes);
console.log(`wrote ${values.out} (${bytes.byteLength} bytes) in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
