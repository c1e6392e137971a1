// Trains the character classifier from synthetic crops and writes assets/classifier.bin.
//   npx tsx scripts/train-classifier.ts [--seed 1] [--samples 60000] [--epochs 12] [--hidden 128]
// Deterministic for a seed: crops come from TRAIN seeds only (sample i uses TRAIN seed i), the seed
// drives weight initialisation and shuffling. Reports accuracy on held-out crops from EVAL seeds.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CHAR_CLASSES } from "../assembly/shared/constants.js";
import { PACKAGE_ROOT } from "../src/paths.js";
import {
  type ClassifierModel,
  forward,
  inputLength,
  NormaliseScratch,
  normaliseBox,
  pad4,
  quantiseModel,
  serialiseModel,
} from "../src/recognition/classify-reference.js";
import { glyphSample } from "../src/recognition/classify-samples.js";
import { EVAL_SEEDS, seedAt, TRAIN_SEEDS } from "../src/synth/seeds.js";
import { type Dataset, trainMlp } from "./train/mlp.js";

/** Model input: a 20 × 28 grid (glyph aspect 50:79 fills it at 28 px high) plus the aspect ratio. */
export const GEOMETRY = { inputWidth: 20, inputHeight: 28, featureCount: 1 };

const { values } = parseArgs({
  options: {
    seed: { type: "string", default: "1" },
    samples: { type: "string", default: "60000" },
    eval: { type: "string", default: "4000" },
    epochs: { type: "string", default: "12" },
    hidden: { type: "string", default: "128" },
    lr: { type: "string", default: "0.05" },
    out: { type: "string", default: join(PACKAGE_ROOT, "assets", "classifier.bin") },
  },
});

function buildDataset(count: number, seedOf: (i: number) => number): Dataset {
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
  for (let i = 0; i < count; i++) {
    const s = glyphSample(seedOf(i));
    normaliseBox(s.grey, s.width, s.box.x, s.box.y, s.box.w, s.box.h, s.inverted, GEOMETRY, input, scratch);
    for (let j = 0; j < gridLength; j++)
      d.grid[i * gridLength + j] = Math.round(Math.min(1, input[j]!) * 255);
    for (let f = 0; f < GEOMETRY.featureCount; f++)
      d.features[i * GEOMETRY.featureCount + f] = input[gridLength + f]!;
    d.labels[i] = s.label;
  }
  return d;
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
const train = buildDataset(samples, (i) => seedAt(TRAIN_SEEDS, i));
const evalSet = buildDataset(Number(values.eval), (i) => seedAt(EVAL_SEEDS, i));
console.log(`crops: ${samples} train, ${evalSet.count} eval, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
const t1 = Date.now();
const model = trainMlp(train, GEOMETRY, {
  hidden: Number(values.hidden),
  epochs: Number(values.epochs),
  batch: 32,
  learningRate: Number(values.lr),
  momentum: 0.9,
  weightDecay: 5e-5,
  seed: Number(values.seed),
  onEpoch(epoch, loss, acc, live) {
    const held = accuracy(live, evalSet);
    console.log(
      `epoch ${epoch + 1}: loss ${loss.toFixed(4)} train ${(acc * 100).toFixed(2)}% ` +
        `eval ${(held.accuracy * 100).toFixed(2)}% (${((Date.now() - t1) / 1000).toFixed(0)} s)`,
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
const bytes = serialiseModel(shipped);
writeFileSync(values.out!, bytes);
console.log(`wrote ${values.out} (${bytes.byteLength} bytes) in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
