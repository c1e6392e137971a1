// The same trainer as mlp.ts with its loops in WebAssembly SIMD (assembly/classify/train-mlp.ts, compiled
// into .cache/ on first use by sgd.ts): several times faster on one core. Same initialisation and shuffling.
import type { ClassifierModel } from "../../src/recognition/classify-reference.js";
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

interface MlpKernel extends TrainKernel {
  mlpInit(inputs: number, hidden: number): void;
}

export function trainMlpWasm(d: Dataset, geometry: Geometry, o: TrainOptions): ClassifierModel {
  const k = loadTrainKernel<MlpKernel>("train-mlp", ["train-dense.ts"]);
  const nIn = d.inputLength;
  k.mlpInit(nIn, o.hidden);
  const v = kernelViews(k, d, nIn, o);
  // Initialisation exactly as the JS trainer draws it.
  const rng = new Rng(o.seed, 0x6d6c70);
  initDense(rng, v.w1, nIn, v.w2, o.hidden);
  const snapshot = (): ClassifierModel => ({ ...geometry, convs: [], layers: v.denseLayers() });
  sgdEpochs(d, o, rng, v.train, snapshot);
  return snapshot();
}
