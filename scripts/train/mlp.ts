// A small multi-layer perceptron trainer (one ReLU hidden layer, softmax output, cross-entropy) in plain
// TypeScript for the character classifier: minibatch SGD with momentum, weight decay and a cosine
// learning-rate schedule. Inputs are mostly zero (background), so sums run over non-zero inputs only.

import type { ClassifierModel } from "../../src/recognition/classify-reference.js";
import { pad4 } from "../../src/recognition/classify-reference.js";
import { Rng } from "../../src/synth/rng.js";
import {
  CLASSES,
  type Dataset,
  type EpochTotals,
  type Geometry,
  initDense,
  sgdEpochs,
  type TrainOptions,
} from "./sgd.js";

/** Loads sample `k` of the dataset into x (padded length) and returns its non-zero indices count. */
function loadSample(d: Dataset, k: number, x: Float32Array, nz: Int32Array): number {
  let n = 0;
  const g = d.grid;
  const base = k * d.gridLength;
  for (let i = 0; i < d.gridLength; i++) {
    const v = g[base + i]!;
    if (v !== 0) {
      x[i] = v / 255;
      nz[n++] = i;
    } else x[i] = 0;
  }
  for (let f = 0; f < d.featureCount; f++) {
    x[d.gridLength + f] = d.features[k * d.featureCount + f]!;
    nz[n++] = d.gridLength + f;
  }
  return n;
}

export function trainMlp(d: Dataset, geometry: Geometry, o: TrainOptions): ClassifierModel {
  const rng = new Rng(o.seed, 0x6d6c70);
  const nIn = d.inputLength;
  const nInP = pad4(nIn);
  const H = o.hidden;
  const HP = pad4(H);
  const w1 = new Float32Array(H * nInP);
  const b1 = new Float32Array(H);
  const w2 = new Float32Array(CLASSES * HP);
  const b2 = new Float32Array(CLASSES);
  initDense(rng, w1, nIn, w2, H);
  const v1 = new Float32Array(w1.length);
  const vb1 = new Float32Array(H);
  const v2 = new Float32Array(w2.length);
  const vb2 = new Float32Array(CLASSES);
  const g1 = new Float32Array(w1.length);
  const gb1 = new Float32Array(H);
  const g2 = new Float32Array(w2.length);
  const gb2 = new Float32Array(CLASSES);
  const x = new Float32Array(nInP);
  const nz = new Int32Array(nInP);
  const h = new Float32Array(HP);
  const gh = new Float32Array(H);
  const logits = new Float32Array(CLASSES);
  const model: ClassifierModel = {
    ...geometry,
    convs: [],
    layers: [
      { nIn, nOut: H, weights: w1, bias: b1 },
      { nIn: H, nOut: CLASSES, weights: w2, bias: b2 },
    ],
  };
  const train = (order: Int32Array, start: number, count: number, lr: number, totals: EpochTotals): void => {
    const end = start + count;
    g1.fill(0);
    gb1.fill(0);
    g2.fill(0);
    gb2.fill(0);
    for (let b = start; b < end; b++) {
      const k = order[b]!;
      const n = loadSample(d, k, x, nz);
      for (let j = 0; j < H; j++) {
        let acc = b1[j]!;
        const row = j * nInP;
        for (let t = 0; t < n; t++) {
          const i = nz[t]!;
          acc += w1[row + i]! * x[i]!;
        }
        h[j] = Math.max(acc, 0);
      }
      let mx = -Infinity;
      for (let c = 0; c < CLASSES; c++) {
        let acc = b2[c]!;
        const row = c * HP;
        for (let j = 0; j < H; j++) acc += w2[row + j]! * h[j]!;
        logits[c] = acc;
        if (acc > mx) mx = acc;
      }
      let sum = 0;
      for (let c = 0; c < CLASSES; c++) {
        logits[c] = Math.exp(logits[c]! - mx);
        sum += logits[c]!;
      }
      const label = d.labels[k]!;
      let best = 0;
      for (let c = 0; c < CLASSES; c++) {
        logits[c] = logits[c]! / sum;
        if (logits[c]! > logits[best]!) best = c;
      }
      if (best === label) totals.correct++;
      if (label >= CLASSES) {
        // Not a character: the target is equal scores for every class (dL/dlogit = p - 1/36).
        for (let c = 0; c < CLASSES; c++) {
          totals.loss -= Math.log(Math.max(1e-12, logits[c]!)) / CLASSES;
          logits[c] = logits[c]! - 1 / CLASSES;
        }
      } else {
        totals.loss -= Math.log(Math.max(1e-12, logits[label]!));
        // Backward: dL/dlogit = p - onehot.
        logits[label] = logits[label]! - 1;
      }
      gh.fill(0);
      for (let c = 0; c < CLASSES; c++) {
        const gc = logits[c]!;
        gb2[c] = gb2[c]! + gc;
        const row = c * HP;
        for (let j = 0; j < H; j++) {
          g2[row + j] = g2[row + j]! + gc * h[j]!;
          gh[j] = gh[j]! + gc * w2[row + j]!;
        }
      }
      for (let j = 0; j < H; j++) {
        if (h[j]! <= 0) continue;
        const gj = gh[j]!;
        gb1[j] = gb1[j]! + gj;
        const row = j * nInP;
        for (let t = 0; t < n; t++) {
          const i = nz[t]!;
          g1[row + i] = g1[row + i]! + gj * x[i]!;
        }
      }
    }
    const scale = 1 / count;
    const update = (w: Float32Array, v: Float32Array, g: Float32Array, decay: number): void => {
      for (let i = 0; i < w.length; i++) {
        const vi = o.momentum * v[i]! - lr * (g[i]! * scale + decay * w[i]!);
        v[i] = vi;
        w[i] = w[i]! + vi;
      }
    };
    update(w1, v1, g1, o.weightDecay);
    update(b1, vb1, gb1, 0);
    update(w2, v2, g2, o.weightDecay);
    update(b2, vb2, gb2, 0);
  };
  // Padding columns stay zero: their inputs are always zero, so gradient and decay leave them be.
  sgdEpochs(d, o, rng, train, () => model);
  return model;
}
