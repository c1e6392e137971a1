// The same trainer as mlp.ts with its loops in WebAssembly SIMD (assembly/classify/train-mlp.ts, compiled
// here into .cache/ on first use): several times faster on one core. Same initialisation and shuffling.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../src/paths.js";
import type { ClassifierModel } from "../../src/recognition/classify-reference.js";
import { pad4 } from "../../src/recognition/classify-reference.js";
import { Rng } from "../../src/synth/rng.js";
import { asImports } from "../../src/wasm/module.js";
import type { Dataset, TrainOptions } from "./mlp.js";

const SOURCE = join(PACKAGE_ROOT, "assembly", "classify", "train-mlp.ts");
const OUT = join(PACKAGE_ROOT, ".cache", "classify", "train-mlp.wasm");

interface TrainExports {
  memory: WebAssembly.Memory;
  mlpInit(inputs: number, hidden: number): void;
  mlpW1(): number;
  mlpB1(): number;
  mlpW2(): number;
  mlpB2(): number;
  mlpCorrect(): number;
  mlpBatchAlloc(count: number): number;
  trainBatch(
    batch: number,
    labels: number,
    count: number,
    lr: number,
    momentum: number,
    decay: number,
  ): number;
}

function compile(): WebAssembly.Module {
  if (!existsSync(OUT) || statSync(OUT).mtimeMs < statSync(SOURCE).mtimeMs) {
    mkdirSync(join(PACKAGE_ROOT, ".cache", "classify"), { recursive: true });
    execFileSync(
      join(PACKAGE_ROOT, "node_modules", ".bin", "asc"),
      [SOURCE, "-O3", "--noAssert", "--enable", "simd", "--runtime", "stub", "-o", OUT],
      { stdio: "inherit" },
    );
  }
  return new WebAssembly.Module(readFileSync(OUT));
}

const CLASSES = 36;

export function trainMlpWasm(
  d: Dataset,
  geometry: { inputWidth: number; inputHeight: number; featureCount: number },
  o: TrainOptions,
): ClassifierModel {
  const k = new WebAssembly.Instance(compile(), asImports()).exports as unknown as TrainExports;
  const nIn = d.inputLength;
  const nInP = pad4(nIn);
  const H = o.hidden;
  const HP = pad4(H);
  k.mlpInit(nIn, H);
  const batchPtr = k.mlpBatchAlloc(o.batch);
  // Memory does not grow after this point: views stay valid.
  const mem = k.memory.buffer;
  const w1 = new Float32Array(mem, k.mlpW1(), H * nInP);
  const b1 = new Float32Array(mem, k.mlpB1(), HP);
  const w2 = new Float32Array(mem, k.mlpW2(), CLASSES * HP);
  const b2 = new Float32Array(mem, k.mlpB2(), CLASSES);
  const xs = new Float32Array(mem, batchPtr, o.batch * nInP);
  const labels = new Int32Array(mem, batchPtr + o.batch * nInP * 4, o.batch);
  // Initialisation exactly as the JS trainer draws it.
  const rng = new Rng(o.seed, 0x6d6c70);
  const s1 = Math.sqrt(2 / nIn);
  for (let j = 0; j < H; j++) for (let i = 0; i < nIn; i++) w1[j * nInP + i] = rng.normal() * s1;
  const s2 = Math.sqrt(2 / H);
  for (let c = 0; c < CLASSES; c++) for (let j = 0; j < H; j++) w2[c * HP + j] = rng.normal() * s2 * 0.5;
  const snapshot = (): ClassifierModel => ({
    ...geometry,
    convs: [],
    layers: [
      { nIn, nOut: H, weights: w1.slice(), bias: b1.slice(0, H) },
      { nIn: H, nOut: CLASSES, weights: w2.slice(), bias: b2.slice() },
    ],
  });
  const order = new Int32Array(d.count);
  for (let i = 0; i < d.count; i++) order[i] = i;
  const steps = Math.ceil(d.count / o.batch) * o.epochs;
  let step = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (let i = d.count - 1; i > 0; i--) {
      const j = rng.int(0, i);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < d.count; start += o.batch) {
      const count = Math.min(o.batch, d.count - start);
      for (let b = 0; b < count; b++) {
        const s = order[start + b]!;
        const base = b * nInP;
        const g = s * d.gridLength;
        for (let i = 0; i < d.gridLength; i++) xs[base + i] = d.grid[g + i]! / 255;
        for (let f = 0; f < d.featureCount; f++)
          xs[base + d.gridLength + f] = d.features[s * d.featureCount + f]!;
        labels[b] = d.labels[s]!;
      }
      const lr = 0.5 * o.learningRate * (1 + Math.cos((Math.PI * step) / steps));
      step++;
      lossSum += k.trainBatch(batchPtr, labels.byteOffset, count, lr, o.momentum, o.weightDecay);
      correct += k.mlpCorrect();
    }
    o.onEpoch?.(epoch, lossSum / d.count, correct / d.count, snapshot());
  }
  return snapshot();
}
