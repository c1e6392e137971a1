// Trains the classifier's convolutional net with its loops in WebAssembly SIMD (assembly/classify/
// train-cnn.ts, compiled into .cache/ on first use by sgd.ts; its forward pass is the inference kernel's
// conv.ts). Same schedule as the perceptron trainers (sgd.ts): minibatch SGD with momentum, weight decay
// and a cosine learning rate; He initialisation and shuffling drawn from the seed.
import type { ClassifierModel, ConvLayer } from "../../src/recognition/classify-reference.js";
import { pad4 } from "../../src/recognition/classify-reference.js";
import { Rng } from "../../src/synth/rng.js";
import {
  type Dataset,
  type Geometry,
  initDense,
  kernelViews,
  loadTrainKernel,
  sgdEpochs,
  type TrainKernel,
  type TrainOptions,
} from "./sgd.js";

interface CnnKernel extends TrainKernel {
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
}

/** Trains conv layers with `channels` output channels each (multiples of 8), then o.hidden dense units. */
export function trainCnnWasm(
  d: Dataset,
  geometry: Geometry,
  channels: readonly number[],
  o: TrainOptions,
): ClassifierModel {
  const k = loadTrainKernel<CnnKernel>("train-cnn", ["train-dense.ts", "conv.ts"]);
  const { inputWidth: iw, inputHeight: ih, featureCount: nf } = geometry;
  const nIn = k.cnnInit(iw, ih, nf, channels[0] ?? 0, channels[1] ?? 0, channels[2] ?? 0, o.hidden);
  if (nIn < 0) throw new Error(`conv geometry rejected: ${iw}x${ih}, channels ${channels.join(",")}`);
  const v = kernelViews(k, d, nIn, o);
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
  // He initialisation; the kernel keeps conv weights as [tap][cIn][cOut].
  const rng = new Rng(o.seed, 0x636e6e);
  for (const c of convs) {
    const s = Math.sqrt(2 / (9 * c.cIn));
    for (let i = 0; i < c.w.length; i++) c.w[i] = rng.normal() * s;
  }
  initDense(rng, v.w1, nIn, v.w2, o.hidden);
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
    layers: v.denseLayers(),
  });
  sgdEpochs(d, o, rng, v.train, snapshot);
  return snapshot();
}
