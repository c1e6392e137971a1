// Trains the classifier's convolutional net with its loops in WebAssembly SIMD (assembly/classify/
// train-cnn.ts, compiled here into .cache/ on first use; its forward pass is the inference kernel's
// conv.ts). Same schedule as the perceptron trainers: minibatch SGD with momentum, weight decay and a
// cosine learning rate; He initialisation and shuffling drawn from the seed.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../src/paths.js";
import type { ClassifierModel, ConvLayer } from "../../src/recognition/classify-reference.js";
import { pad4 } from "../../src/recognition/classify-reference.js";
import { Rng } from "../../src/synth/rng.js";
import { asImports } from "../../src/wasm/module.js";
import type { Dataset, TrainOptions } from "./mlp.js";

const SOURCES = ["train-cnn.ts", "conv.ts"].map((f) => join(PACKAGE_ROOT, "assembly", "classify", f));
const OUT = join(PACKAGE_ROOT, ".cache", "classify", "train-cnn.wasm");

interface TrainExports {
  memory: WebAssembly.Memory;
  cnnInit(
    iw: number,
    ih: number,
    features: number,
    c1: number,
    c2: number,
    c3: number,
    hidden: number,
  ): number;
  cnnConvWeights(l: number): number;
  cnnConvBias(l: number): number;
  cnnW1(): number;
  cnnB1(): number;
  cnnW2(): number;
  cnnB2(): number;
  cnnCorrect(): number;
  cnnBatchAlloc(count: number): number;
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
  const newest = Math.max(...SOURCES.map((f) => statSync(f).mtimeMs));
  if (!existsSync(OUT) || statSync(OUT).mtimeMs < newest) {
    mkdirSync(join(PACKAGE_ROOT, ".cache", "classify"), { recursive: true });
    execFileSync(
      join(PACKAGE_ROOT, "node_modules", ".bin", "asc"),
      [SOURCES[0]!, "-O3", "--noAssert", "--enable", "simd", "--runtime", "stub", "-o", OUT],
      { stdio: "inherit" },
    );
  }
  return new WebAssembly.Module(readFileSync(OUT));
}

const CLASSES = 36;

/** Trains conv layers with `channels` output channels each (multiples of 8), then o.hidden dense units. */
export function trainCnnWasm(
  d: Dataset,
  geometry: { inputWidth: number; inputHeight: number; featureCount: number },
  channels: readonly number[],
  o: TrainOptions,
): ClassifierModel {
  const k = new WebAssembly.Instance(compile(), asImports()).exports as unknown as TrainExports;
  const { inputWidth: iw, inputHeight: ih, featureCount: nf } = geometry;
  const H = o.hidden;
  const HP = pad4(H);
  const nIn = k.cnnInit(iw, ih, nf, channels[0] ?? 0, channels[1] ?? 0, channels[2] ?? 0, H);
  if (nIn < 0) throw new Error(`conv geometry rejected: ${iw}x${ih}, channels ${channels.join(",")}`);
  const nInP = pad4(nIn);
  const stride = pad4(d.inputLength);
  const batchPtr = k.cnnBatchAlloc(o.batch);
  // Memory does not grow after this point: views stay valid.
  const mem = k.memory.buffer;
  const convs = channels.map((cOut, l) => {
    const cIn = l === 0 ? 1 : channels[l - 1]!;
    return {
      cIn,
      cOut,
      w: new Float32Array(mem, k.cnnConvWeights(l), 9 * cIn * cOut),
      b: new Float32Array(mem, k.cnnConvBias(l), cOut),
    };
  });
  const w1 = new Float32Array(mem, k.cnnW1(), H * nInP);
  const b1 = new Float32Array(mem, k.cnnB1(), HP);
  const w2 = new Float32Array(mem, k.cnnW2(), CLASSES * HP);
  const b2 = new Float32Array(mem, k.cnnB2(), CLASSES);
  const xs = new Float32Array(mem, batchPtr, o.batch * stride);
  const labels = new Int32Array(mem, batchPtr + o.batch * stride * 4, o.batch);
  // He initialisation; the kernel keeps conv weights as [tap][cIn][cOut].
  const rng = new Rng(o.seed, 0x636e6e);
  for (const c of convs) {
    const s = Math.sqrt(2 / (9 * c.cIn));
    for (let i = 0; i < c.w.length; i++) c.w[i] = rng.normal() * s;
  }
  const s1 = Math.sqrt(2 / nIn);
  for (let j = 0; j < H; j++) for (let i = 0; i < nIn; i++) w1[j * nInP + i] = rng.normal() * s1;
  const s2 = Math.sqrt(2 / H);
  for (let c = 0; c < CLASSES; c++) for (let j = 0; j < H; j++) w2[c * HP + j] = rng.normal() * s2 * 0.5;
  const snapshot = (): ClassifierModel => ({
    ...geometry,
    convs: convs.map((c): ConvLayer => {
      // To the file's layout: a row per output channel, [tap][cIn] within it, padded to 4.
      const rowLen = pad4(9 * c.cIn);
      const weights = new Float32Array(c.cOut * rowLen);
      for (let t = 0; t < 9 * c.cIn; t++)
        for (let oc = 0; oc < c.cOut; oc++) weights[oc * rowLen + t] = c.w[t * c.cOut + oc]!;
      return { cIn: c.cIn, cOut: c.cOut, weights, bias: c.b.slice() };
    }),
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
        const base = b * stride;
        const g = s * d.gridLength;
        for (let i = 0; i < d.gridLength; i++) xs[base + i] = d.grid[g + i]! / 255;
        for (let f = 0; f < d.featureCount; f++)
          xs[base + d.gridLength + f] = d.features[s * d.featureCount + f]!;
        labels[b] = d.labels[s]!;
      }
      const lr = 0.5 * o.learningRate * (1 + Math.cos((Math.PI * step) / steps));
      step++;
      lossSum += k.trainBatch(batchPtr, labels.byteOffset, count, lr, o.momentum, o.weightDecay);
      correct += k.cnnCorrect();
    }
    o.onEpoch?.(epoch, lossSum / d.count, correct / d.count, snapshot());
  }
  return snapshot();
}
