// The character classifier in plain TypeScript: the same normalisation and model as the wasm kernel
// (assembly/classify/classifier.ts), used by training, by tests as an oracle, and by the benchmark as
// its in-run baseline. Not used on the hot path.
import { CHAR_CLASS_COUNT, ENSEMBLE_SURE_PERMILLE } from "../../assembly/shared/constants.js";
import { NormaliseScratch, normaliseBox } from "./classify-normalise.js";

/** "KCL1" little-endian. */
export const WEIGHTS_MAGIC = 0x314c434b;
/**
 * Version 1: f32 weights. Version 2: per-row f32 scale and i8 weights (a quarter of the size).
 * Version 3: version 2 with convolution layers before the dense ones.
 */
export const WEIGHTS_VERSION_F32 = 1;
export const WEIGHTS_VERSION_I8 = 2;
export const WEIGHTS_VERSION_CONV = 3;
/** Version 4: an ensemble, i32 member count, then per member i32 byte length and a version 1-3 file. */
export const WEIGHTS_VERSION_ENSEMBLE = 4;

export interface DenseLayer {
  nIn: number;
  nOut: number;
  /** [nOut][pad4(nIn)] row-major, zero in the padding. */
  weights: Float32Array;
  bias: Float32Array;
}

/**
 * 3 × 3 "same" convolution + bias + ReLU + 2 × 2 max pooling, channels last (assembly/classify/conv.ts).
 * Weights [cOut][pad4(9 · cIn)]: row o holds tap (ky · 3 + kx) major, input channel minor, zero padded.
 */
export interface ConvLayer {
  cIn: number;
  cOut: number;
  weights: Float32Array;
  bias: Float32Array;
}

export interface ClassifierModel {
  inputWidth: number;
  inputHeight: number;
  /** Extra inputs after the grid: [aspect ratio]. */
  featureCount: number;
  /** Convolution layers on the grid (none for a perceptron); the dense layers take their pooled map + features. */
  convs: ConvLayer[];
  layers: DenseLayer[];
}

export const pad4 = (n: number): number => (n + 3) & ~3;

export function inputLength(model: Pick<ClassifierModel, "inputWidth" | "inputHeight" | "featureCount">) {
  return model.inputWidth * model.inputHeight + model.featureCount;
}

/** Row length of a layer's weights in the file and in memory. */
function rowLength(l: DenseLayer | ConvLayer): number {
  return "cIn" in l ? pad4(9 * l.cIn) : pad4(l.nIn);
}
function rowCount(l: DenseLayer | ConvLayer): number {
  return "cIn" in l ? l.cOut : l.nOut;
}

/** Per row: the i8 grid's step (max |w| / 127), as a quantised file stores it. */
function rowScales(l: DenseLayer | ConvLayer): number[] {
  const rowLen = rowLength(l);
  return Array.from({ length: rowCount(l) }, (_, o) => {
    let mx = 0;
    for (let i = 0; i < rowLen; i++) mx = Math.max(mx, Math.abs(l.weights[o * rowLen + i]!));
    return Math.fround(mx / 127 || 1);
  });
}

function quantiseLayer<L extends DenseLayer | ConvLayer>(l: L): L {
  const rowLen = rowLength(l);
  const scales = rowScales(l);
  const weights = new Float32Array(l.weights.length);
  for (let o = 0; o < scales.length; o++) {
    for (let i = 0; i < rowLen; i++) {
      weights[o * rowLen + i] = Math.fround(Math.round(l.weights[o * rowLen + i]! / scales[o]!) * scales[o]!);
    }
  }
  return { ...l, weights };
}

/**
 * Rounds every weight to its row's i8 grid (scale = max |w| / 127), as a version-2 or -3 file stores
 * it; the model then computes exactly what the kernel computes from the file.
 */
export function quantiseModel(model: ClassifierModel): ClassifierModel {
  return { ...model, convs: model.convs.map(quantiseLayer), layers: model.layers.map(quantiseLayer) };
}

/**
 * The weights file: i32 header (magic, version, inputWidth, inputHeight, featureCount, layerCount; version
 * 3 adds convCount), then (version 3) per conv layer i32 cIn, cOut, f32 scale per row, i8 weights
 * [cOut][pad4(9 · cIn)], f32 bias; then per dense layer i32 nIn, nOut, weights (v1: f32; v2 and v3: f32
 * scale per row then i8), f32 bias. A perceptron is written as version 2 (or 1 unquantised).
 */
export function serialiseModel(model: ClassifierModel, quantised = true): Uint8Array {
  const conv = model.convs.length > 0;
  if (conv && !quantised) throw new Error("convolution models are stored quantised (version 3)");
  const headBytes = conv ? 28 : 24;
  let bytes = headBytes;
  for (const l of [...model.convs, ...model.layers]) {
    const count = rowLength(l) * rowCount(l);
    bytes += 8 + (quantised ? rowCount(l) * 4 + count : count * 4) + rowCount(l) * 4;
  }
  const buf = new ArrayBuffer(bytes);
  const dv = new DataView(buf);
  const head = [
    WEIGHTS_MAGIC,
    conv ? WEIGHTS_VERSION_CONV : quantised ? WEIGHTS_VERSION_I8 : WEIGHTS_VERSION_F32,
    model.inputWidth,
    model.inputHeight,
    model.featureCount,
    model.layers.length,
    ...(conv ? [model.convs.length] : []),
  ];
  for (let i = 0; i < head.length; i++) dv.setUint32(i * 4, head[i]!, true);
  let at = headBytes;
  for (const l of [...model.convs, ...model.layers]) {
    const dense = !("cIn" in l);
    dv.setInt32(at, dense ? l.nIn : l.cIn, true);
    dv.setInt32(at + 4, dense ? l.nOut : l.cOut, true);
    at += 8;
    if (quantised) {
      const rowLen = rowLength(l);
      const scales = rowScales(l);
      for (const scale of scales) {
        dv.setFloat32(at, scale, true);
        at += 4;
      }
      for (let o = 0; o < scales.length; o++) {
        for (let i = 0; i < rowLen; i++) {
          const q = Math.max(-127, Math.min(127, Math.round(l.weights[o * rowLen + i]! / scales[o]!)));
          dv.setInt8(at++, q);
        }
      }
    } else {
      for (const v of l.weights) {
        dv.setFloat32(at, v, true);
        at += 4;
      }
    }
    for (const v of l.bias) {
      dv.setFloat32(at, v, true);
      at += 4;
    }
  }
  return new Uint8Array(buf);
}

/** An ensemble file (version 4) of the given one-model files. */
export function serialiseEnsemble(members: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(12 + members.reduce((n, m) => n + 4 + m.byteLength, 0));
  const dv = new DataView(out.buffer);
  dv.setUint32(0, WEIGHTS_MAGIC, true);
  dv.setInt32(4, WEIGHTS_VERSION_ENSEMBLE, true);
  dv.setInt32(8, members.length, true);
  let at = 12;
  for (const m of members) {
    dv.setInt32(at, m.byteLength, true);
    out.set(m, at + 4);
    at += 4 + m.byteLength;
  }
  return out;
}

/** The one-model files of a weights file: its members for an ensemble, else the file itself. */
export function weightsMembers(bytes: Uint8Array): Uint8Array[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12 || dv.getUint32(0, true) !== WEIGHTS_MAGIC) return [bytes];
  if (dv.getInt32(4, true) !== WEIGHTS_VERSION_ENSEMBLE) return [bytes];
  const count = dv.getInt32(8, true);
  if (count < 1) throw new Error(`classifier ensemble of ${count} members`);
  const members: Uint8Array[] = [];
  let at = 12;
  for (let m = 0; m < count; m++) {
    if (at + 4 > bytes.byteLength) throw new Error("truncated classifier ensemble");
    const n = dv.getInt32(at, true);
    if (n < 0 || at + 4 + n > bytes.byteLength) throw new Error("truncated classifier ensemble");
    members.push(bytes.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  if (at !== bytes.byteLength) throw new Error("trailing bytes after the classifier ensemble");
  return members;
}

/** The models of a weights file: one, or an ensemble's members in order. */
export function parseWeights(bytes: Uint8Array): ClassifierModel[] {
  return weightsMembers(bytes).map(parseModel);
}

export function parseModel(bytes: Uint8Array): ClassifierModel {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 24 || dv.getUint32(0, true) !== WEIGHTS_MAGIC)
    throw new Error("not a classifier weights file");
  const version = dv.getInt32(4, true);
  if (version !== WEIGHTS_VERSION_F32 && version !== WEIGHTS_VERSION_I8 && version !== WEIGHTS_VERSION_CONV) {
    throw new Error("unsupported classifier weights version");
  }
  const model: ClassifierModel = {
    inputWidth: dv.getInt32(8, true),
    inputHeight: dv.getInt32(12, true),
    featureCount: dv.getInt32(16, true),
    convs: [],
    layers: [],
  };
  const nl = dv.getInt32(20, true);
  const nc = version === WEIGHTS_VERSION_CONV ? dv.getInt32(24, true) : 0;
  let at = version === WEIGHTS_VERSION_CONV ? 28 : 24;
  for (let l = 0; l < nc + nl; l++) {
    const a = dv.getInt32(at, true);
    const b = dv.getInt32(at + 4, true);
    at += 8;
    const rowLen = l < nc ? pad4(9 * a) : pad4(a);
    const weights = new Float32Array(rowLen * b);
    if (version !== WEIGHTS_VERSION_F32) {
      const scales = Array.from({ length: b }, (_, o) => dv.getFloat32(at + o * 4, true));
      at += b * 4;
      for (let i = 0; i < weights.length; i++, at++) {
        weights[i] = Math.fround(dv.getInt8(at) * scales[Math.floor(i / rowLen)]!);
      }
    } else {
      for (let i = 0; i < weights.length; i++, at += 4) weights[i] = dv.getFloat32(at, true);
    }
    const bias = new Float32Array(b);
    for (let i = 0; i < b; i++, at += 4) bias[i] = dv.getFloat32(at, true);
    if (l < nc) model.convs.push({ cIn: a, cOut: b, weights, bias });
    else model.layers.push({ nIn: a, nOut: b, weights, bias });
  }
  if (at !== bytes.byteLength) throw new Error("classifier weights file has trailing or missing bytes");
  return model;
}

/**
 * The conv layers on the input grid (1 channel), as assembly/classify/conv.ts computes them: returns the
 * last pooled map, channels last (pixel-major), the dense layers' input before the features.
 */
function convStack(model: ClassifierModel, input: Float32Array): Float32Array {
  let h = model.inputHeight;
  let w = model.inputWidth;
  let src = input.subarray(0, h * w);
  let cIn = 1;
  for (const layer of model.convs) {
    const { cOut } = layer;
    const rowLen = pad4(9 * cIn);
    const r = new Float32Array(h * w * cOut);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let o = 0; o < cOut; o++) {
          let acc = layer.bias[o]!;
          for (let ky = 0; ky < 3; ky++) {
            const yy = y + ky - 1;
            for (let kx = 0; kx < 3; kx++) {
              const xx = x + kx - 1;
              if (yy < 0 || xx < 0 || yy >= h || xx >= w) continue;
              const wRow = o * rowLen + (ky * 3 + kx) * cIn;
              const at = (yy * w + xx) * cIn;
              for (let ci = 0; ci < cIn; ci++)
                acc = Math.fround(acc + Math.fround(src[at + ci]! * layer.weights[wRow + ci]!));
            }
          }
          r[(y * w + x) * cOut + o] = Math.max(acc, 0);
        }
      }
    }
    const ph = h >> 1;
    const pw = w >> 1;
    const pooled = new Float32Array(ph * pw * cOut);
    for (let py = 0; py < ph; py++) {
      for (let px = 0; px < pw; px++) {
        for (let o = 0; o < cOut; o++) {
          const a = (2 * py * w + 2 * px) * cOut + o;
          pooled[(py * pw + px) * cOut + o] = Math.max(
            r[a]!,
            r[a + cOut]!,
            r[a + w * cOut]!,
            r[a + w * cOut + cOut]!,
          );
        }
      }
    }
    src = pooled;
    h = ph;
    w = pw;
    cIn = cOut;
  }
  return src;
}

/** Runs the model on one input vector; writes 36 softmax probabilities into `probs`. */
export function forward(model: ClassifierModel, input: Float32Array, probs: Float32Array): void {
  let src = input;
  if (model.convs.length > 0) {
    const map = convStack(model, input);
    src = new Float32Array(pad4(map.length + model.featureCount));
    src.set(map);
    const gridLen = model.inputWidth * model.inputHeight;
    for (let f = 0; f < model.featureCount; f++) src[map.length + f] = input[gridLen + f]!;
  }
  for (let l = 0; l < model.layers.length; l++) {
    const layer = model.layers[l]!;
    const nInP = pad4(layer.nIn);
    const dst = new Float32Array(pad4(layer.nOut));
    const relu = l + 1 < model.layers.length;
    for (let o = 0; o < layer.nOut; o++) {
      let acc = 0;
      const base = o * nInP;
      for (let i = 0; i < layer.nIn; i++) acc += layer.weights[base + i]! * src[i]!;
      acc += layer.bias[o]!;
      dst[o] = relu && acc < 0 ? 0 : acc;
    }
    src = dst;
  }
  softmaxInto(src, probs);
}

/**
 * An ensemble on one input vector, as the kernel runs it: the first model's probabilities, or, when its
 * top score is under ENSEMBLE_SURE_PERMILLE, the mean of every model's.
 */
export function forwardEnsemble(
  models: readonly ClassifierModel[],
  input: Float32Array,
  probs: Float32Array,
): void {
  forward(models[0]!, input, probs);
  if (models.length < 2 || Math.max(...probs) * 1000 >= ENSEMBLE_SURE_PERMILLE) return;
  const other = new Float32Array(CHAR_CLASS_COUNT);
  for (const m of models.slice(1)) {
    forward(m, input, other);
    for (let c = 0; c < CHAR_CLASS_COUNT; c++) probs[c] = probs[c]! + other[c]!;
  }
  for (let c = 0; c < CHAR_CLASS_COUNT; c++) probs[c] = probs[c]! / models.length;
}

export function softmaxInto(logits: Float32Array, probs: Float32Array): void {
  let mx = -Infinity;
  for (let c = 0; c < CHAR_CLASS_COUNT; c++) mx = Math.max(mx, logits[c]!);
  let sum = 0;
  for (let c = 0; c < CHAR_CLASS_COUNT; c++) {
    const e = Math.exp(logits[c]! - mx);
    probs[c] = e;
    sum += e;
  }
  for (let c = 0; c < CHAR_CLASS_COUNT; c++) probs[c] = probs[c]! / sum;
}

/** The whole classifier in JS: box in, 36 probabilities out (the benchmark's baseline). */
export class ReferenceClassifier {
  private readonly input: Float32Array;
  private readonly scratch: NormaliseScratch;
  private readonly model: ClassifierModel;
  /** One model, or an ensemble's (parseWeights), which share the input geometry. */
  constructor(readonly models: readonly ClassifierModel[]) {
    this.model = models[0]!;
    this.input = new Float32Array(pad4(inputLength(this.model)));
    this.scratch = new NormaliseScratch(this.model.inputWidth);
  }
  classifyBox(
    img: Uint8Array,
    stride: number,
    x: number,
    y: number,
    w: number,
    h: number,
    inverted: boolean,
    probs: Float32Array,
  ): void {
    normaliseBox(img, stride, x, y, w, h, inverted, this.model, this.input, this.scratch);
    forwardEnsemble(this.models, this.input, probs);
  }
}
