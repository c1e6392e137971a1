// What the classifier's three trainers share (mlp.ts in TypeScript; mlp-wasm.ts and cnn-wasm.ts on the
// WebAssembly kernels assembly/classify/train-*.ts): the dataset and options, He initialisation of the
// dense layers, the epoch loop (a fresh shuffle per epoch, minibatches, cosine learning rate), and the
// compile/load wrapper of a training kernel with its batch loader.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../src/paths.js";
import type { ClassifierModel, DenseLayer } from "../../src/recognition/classify-reference.js";
import { pad4 } from "../../src/recognition/classify-reference.js";
import type { Rng } from "../../src/synth/rng.js";
import { asImports } from "../../src/wasm/module.js";

export interface Dataset {
  /** Number of samples. */
  count: number;
  /** Input vector length (grid + features), unpadded. */
  inputLength: number;
  /** Grid part of the inputs, 0..255 (value / 255), count × gridLength. */
  grid: Uint8Array;
  gridLength: number;
  /** Feature part, count × featureCount. */
  features: Float32Array;
  featureCount: number;
  labels: Uint8Array;
}

export interface TrainOptions {
  hidden: number;
  epochs: number;
  batch: number;
  learningRate: number;
  momentum: number;
  weightDecay: number;
  seed: number;
  /** Called after each epoch with the epoch's mean loss and training accuracy. */
  onEpoch?(epoch: number, loss: number, accuracy: number, model: ClassifierModel): void;
}

export type Geometry = Pick<ClassifierModel, "inputWidth" | "inputHeight" | "featureCount">;

export const CLASSES = 36;

/**
 * He initialisation of the dense layers, drawn from `rng` in this order: w1 [H][pad4(nIn)] at
 * √(2 / nIn), then w2 [36][pad4(H)] at half of √(2 / H); padding and biases stay zero.
 */
export function initDense(rng: Rng, w1: Float32Array, nIn: number, w2: Float32Array, H: number): void {
  const nInP = pad4(nIn);
  const HP = pad4(H);
  const s1 = Math.sqrt(2 / nIn);
  for (let j = 0; j < H; j++) for (let i = 0; i < nIn; i++) w1[j * nInP + i] = rng.normal() * s1;
  const s2 = Math.sqrt(2 / H);
  for (let c = 0; c < CLASSES; c++) for (let j = 0; j < H; j++) w2[c * HP + j] = rng.normal() * s2 * 0.5;
}

/** An epoch's running sums, added to by each batch. */
export interface EpochTotals {
  /** Summed cross-entropy. */
  loss: number;
  /** Correct top-1 answers. */
  correct: number;
}

/**
 * Minibatch SGD's outer loop: o.epochs passes over d, each in a fresh order (Fisher–Yates from `rng`),
 * in batches of o.batch (the last may be shorter) at a cosine learning rate falling from o.learningRate.
 * `train` runs one batch (samples order[start .. start + count)); `snapshot` gives the model after an
 * epoch for o.onEpoch.
 */
export function sgdEpochs(
  d: Dataset,
  o: TrainOptions,
  rng: Rng,
  train: (order: Int32Array, start: number, count: number, lr: number, totals: EpochTotals) => void,
  snapshot: () => ClassifierModel,
): void {
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
    const totals: EpochTotals = { loss: 0, correct: 0 };
    for (let start = 0; start < d.count; start += o.batch) {
      const count = Math.min(o.batch, d.count - start);
      const lr = 0.5 * o.learningRate * (1 + Math.cos((Math.PI * step) / steps));
      step++;
      train(order, start, count, lr, totals);
    }
    o.onEpoch?.(epoch, totals.loss / d.count, totals.correct / d.count, snapshot());
  }
}

/** The exports every training kernel has (assembly/classify/train-dense.ts). */
export interface TrainKernel {
  memory: WebAssembly.Memory;
  denseW1(): number;
  denseB1(): number;
  denseW2(): number;
  denseB2(): number;
  trainCorrect(): number;
  trainBatchAlloc(count: number): number;
  trainBatch(
    batch: number,
    labels: number,
    count: number,
    lr: number,
    momentum: number,
    decay: number,
  ): number;
}

/**
 * Instantiates training kernel `entry` (assembly/classify/<entry>.ts, which imports `sources` there),
 * compiled with SIMD into .cache/classify/<entry>.wasm when that is missing or older than a source.
 */
export function loadTrainKernel<T extends TrainKernel>(entry: string, sources: readonly string[]): T {
  const dir = join(PACKAGE_ROOT, "assembly", "classify");
  const main = join(dir, `${entry}.ts`);
  const out = join(PACKAGE_ROOT, ".cache", "classify", `${entry}.wasm`);
  const newest = Math.max(...[main, ...sources.map((f) => join(dir, f))].map((f) => statSync(f).mtimeMs));
  if (!existsSync(out) || statSync(out).mtimeMs < newest) {
    mkdirSync(join(PACKAGE_ROOT, ".cache", "classify"), { recursive: true });
    execFileSync(
      join(PACKAGE_ROOT, "node_modules", ".bin", "asc"),
      [main, "-O3", "--noAssert", "--enable", "simd", "--runtime", "stub", "-o", out],
      { stdio: "inherit" },
    );
  }
  return new WebAssembly.Instance(new WebAssembly.Module(readFileSync(out)), asImports())
    .exports as unknown as T;
}

/** Views of a kernel's dense layers (nIn inputs, H hidden units) and of its batch buffer. */
export interface KernelViews {
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
  /** Trains one batch of the epoch loop on the kernel (`sgdEpochs`' `train`). */
  train: (order: Int32Array, start: number, count: number, lr: number, totals: EpochTotals) => void;
  /** The dense layers as the model file holds them (copies). */
  denseLayers(): DenseLayer[];
}

/**
 * Lays out a batch buffer of o.batch inputs of pad4(d.inputLength) f32 (the kernel must be initialised:
 * memory does not grow after this, so the views stay valid) and returns the views and the batch step.
 */
export function kernelViews(k: TrainKernel, d: Dataset, nIn: number, o: TrainOptions): KernelViews {
  const H = o.hidden;
  const HP = pad4(H);
  const stride = pad4(d.inputLength);
  const batchPtr = k.trainBatchAlloc(o.batch);
  const mem = k.memory.buffer;
  const w1 = new Float32Array(mem, k.denseW1(), H * pad4(nIn));
  const b1 = new Float32Array(mem, k.denseB1(), HP);
  const w2 = new Float32Array(mem, k.denseW2(), CLASSES * HP);
  const b2 = new Float32Array(mem, k.denseB2(), CLASSES);
  const xs = new Float32Array(mem, batchPtr, o.batch * stride);
  const labels = new Int32Array(mem, batchPtr + o.batch * stride * 4, o.batch);
  return {
    w1,
    b1,
    w2,
    b2,
    train(order, start, count, lr, totals) {
      for (let b = 0; b < count; b++) {
        const s = order[start + b]!;
        const base = b * stride;
        const g = s * d.gridLength;
        for (let i = 0; i < d.gridLength; i++) xs[base + i] = d.grid[g + i]! / 255;
        for (let f = 0; f < d.featureCount; f++)
          xs[base + d.gridLength + f] = d.features[s * d.featureCount + f]!;
        labels[b] = d.labels[s]!;
      }
      totals.loss += k.trainBatch(batchPtr, labels.byteOffset, count, lr, o.momentum, o.weightDecay);
      totals.correct += k.trainCorrect();
    },
    denseLayers: () => [
      { nIn, nOut: H, weights: w1.slice(), bias: b1.slice(0, H) },
      { nIn: H, nOut: CLASSES, weights: w2.slice(), bias: b2.slice() },
    ],
  };
}
