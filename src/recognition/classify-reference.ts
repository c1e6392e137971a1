// The character classifier in plain TypeScript: the same normalisation and model as the wasm kernel
// (assembly/classify/classifier.ts), used by training, by tests as an oracle, and by the benchmark as
// its in-run baseline. Not used on the hot path.
import { CHAR_CLASS_COUNT } from "../../assembly/shared/constants.js";

/** "KCL1" little-endian. */
export const WEIGHTS_MAGIC = 0x314c434b;
/** Version 1: f32 weights. Version 2: per-row f32 scale and i8 weights (a quarter of the size). */
export const WEIGHTS_VERSION_F32 = 1;
export const WEIGHTS_VERSION_I8 = 2;

export interface DenseLayer {
  nIn: number;
  nOut: number;
  /** [nOut][pad4(nIn)] row-major, zero in the padding. */
  weights: Float32Array;
  bias: Float32Array;
}

export interface ClassifierModel {
  inputWidth: number;
  inputHeight: number;
  /** Extra inputs after the grid: [aspect ratio]. */
  featureCount: number;
  layers: DenseLayer[];
}

export const pad4 = (n: number): number => (n + 3) & ~3;

export function inputLength(model: Pick<ClassifierModel, "inputWidth" | "inputHeight" | "featureCount">) {
  return model.inputWidth * model.inputHeight + model.featureCount;
}

/**
 * Rounds every weight to its row's i8 grid (scale = max |w| / 127), as a version-2 file stores it; the
 * model then computes exactly what the kernel computes from the file.
 */
export function quantiseModel(model: ClassifierModel): ClassifierModel {
  return {
    ...model,
    layers: model.layers.map((l) => {
      const rowLen = pad4(l.nIn);
      const weights = new Float32Array(l.weights.length);
      for (let o = 0; o < l.nOut; o++) {
        let mx = 0;
        for (let i = 0; i < rowLen; i++) mx = Math.max(mx, Math.abs(l.weights[o * rowLen + i]!));
        const scale = Math.fround(mx / 127 || 1);
        for (let i = 0; i < rowLen; i++) {
          weights[o * rowLen + i] = Math.fround(Math.round(l.weights[o * rowLen + i]! / scale) * scale);
        }
      }
      return { ...l, weights };
    }),
  };
}

/**
 * The weights file: i32 header (magic, version, inputWidth, inputHeight, featureCount, layerCount), then
 * per layer i32 nIn, nOut, weights (v1: f32; v2: f32 scale per row then i8), f32 bias.
 */
export function serialiseModel(model: ClassifierModel, quantised = true): Uint8Array {
  let bytes = 24;
  for (const l of model.layers) {
    const count = pad4(l.nIn) * l.nOut;
    bytes += 8 + (quantised ? l.nOut * 4 + count : count * 4) + l.nOut * 4;
  }
  const buf = new ArrayBuffer(bytes);
  const dv = new DataView(buf);
  const head = [
    WEIGHTS_MAGIC,
    quantised ? WEIGHTS_VERSION_I8 : WEIGHTS_VERSION_F32,
    model.inputWidth,
    model.inputHeight,
    model.featureCount,
    model.layers.length,
  ];
  for (let i = 0; i < head.length; i++) dv.setUint32(i * 4, head[i]!, true);
  let at = 24;
  for (const l of model.layers) {
    dv.setInt32(at, l.nIn, true);
    dv.setInt32(at + 4, l.nOut, true);
    at += 8;
    if (quantised) {
      const rowLen = pad4(l.nIn);
      const scales: number[] = [];
      for (let o = 0; o < l.nOut; o++) {
        let mx = 0;
        for (let i = 0; i < rowLen; i++) mx = Math.max(mx, Math.abs(l.weights[o * rowLen + i]!));
        scales.push(Math.fround(mx / 127 || 1));
        dv.setFloat32(at, scales[o]!, true);
        at += 4;
      }
      for (let o = 0; o < l.nOut; o++) {
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

export function parseModel(bytes: Uint8Array): ClassifierModel {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 24 || dv.getUint32(0, true) !== WEIGHTS_MAGIC)
    throw new Error("not a classifier weights file");
  const version = dv.getInt32(4, true);
  if (version !== WEIGHTS_VERSION_F32 && version !== WEIGHTS_VERSION_I8) {
    throw new Error("unsupported classifier weights version");
  }
  const model: ClassifierModel = {
    inputWidth: dv.getInt32(8, true),
    inputHeight: dv.getInt32(12, true),
    featureCount: dv.getInt32(16, true),
    layers: [],
  };
  const nl = dv.getInt32(20, true);
  let at = 24;
  for (let l = 0; l < nl; l++) {
    const nIn = dv.getInt32(at, true);
    const nOut = dv.getInt32(at + 4, true);
    at += 8;
    const rowLen = pad4(nIn);
    const weights = new Float32Array(rowLen * nOut);
    if (version === WEIGHTS_VERSION_I8) {
      const scales = Array.from({ length: nOut }, (_, o) => dv.getFloat32(at + o * 4, true));
      at += nOut * 4;
      for (let i = 0; i < weights.length; i++, at++) {
        weights[i] = Math.fround(dv.getInt8(at) * scales[Math.floor(i / rowLen)]!);
      }
    } else {
      for (let i = 0; i < weights.length; i++, at += 4) weights[i] = dv.getFloat32(at, true);
    }
    const bias = new Float32Array(nOut);
    for (let i = 0; i < nOut; i++, at += 4) bias[i] = dv.getFloat32(at, true);
    model.layers.push({ nIn, nOut, weights, bias });
  }
  if (at !== bytes.byteLength) throw new Error("classifier weights file has trailing or missing bytes");
  return model;
}

/** Reusable buffers for `normaliseBox` (box sides up to `maxSide`). */
export class NormaliseScratch {
  readonly histogram = new Int32Array(256);
  readonly rowInk: Int32Array;
  readonly colInk: Int32Array;
  readonly rowsTmp: Float32Array;
  constructor(
    readonly inputWidth: number,
    readonly maxSide = 1080,
  ) {
    this.rowInk = new Int32Array(maxSide);
    this.colInk = new Int32Array(maxSide);
    this.rowsTmp = new Float32Array(maxSide * inputWidth);
  }
}

/**
 * Box → model input, step for step as classifyNormalise in the kernel: Otsu threshold and class means,
 * ink level per pixel, box tightened to the ink, aspect-kept area resampling, aspect-ratio feature.
 * Writes inputLength(model) values into `out` (which must be zeroed beyond that by the caller if padded).
 */
export function normaliseBox(
  img: Uint8Array,
  stride: number,
  x: number,
  y: number,
  w: number,
  h: number,
  inverted: boolean,
  geometry: Pick<ClassifierModel, "inputWidth" | "inputHeight" | "featureCount">,
  out: Float32Array,
  scratch: NormaliseScratch = new NormaliseScratch(geometry.inputWidth),
): void {
  const { inputWidth: iw, inputHeight: ih, featureCount } = geometry;
  const gridLen = iw * ih;
  out.fill(0, 0, gridLen + featureCount);
  w = Math.min(w, scratch.maxSide);
  h = Math.min(h, scratch.maxSide);
  if (w <= 0 || h <= 0) return;
  const hist = scratch.histogram;
  hist.fill(0);
  for (let r = 0; r < h; r++) {
    const row = (y + r) * stride + x;
    for (let c = 0; c < w; c++) hist[img[row + c]!]!++;
  }
  const n = w * h;
  let sumAll = 0;
  for (let v = 0; v < 256; v++) sumAll += v * hist[v]!;
  let wB = 0;
  let sumB = 0;
  let best = -1;
  let thr = 0;
  for (let v = 0; v < 256; v++) {
    const cnt = hist[v]!;
    wB += cnt;
    if (wB === 0) continue;
    const wF = n - wB;
    if (wF === 0) break;
    sumB += v * cnt;
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / wF;
    const between = wB * wF * (mB - mF) * (mB - mF);
    if (between > best) {
      best = between;
      thr = v;
    }
  }
  let cDark = 0;
  let sDark = 0;
  for (let v = 0; v <= thr; v++) {
    cDark += hist[v]!;
    sDark += v * hist[v]!;
  }
  const cLight = n - cDark;
  if (cDark === 0 || cLight === 0) return;
  const mDark = Math.fround(sDark / cDark);
  const mLight = Math.fround((sumAll - sDark) / cLight);
  const inkLevel = inverted ? mLight : mDark;
  const groundLevel = inverted ? mDark : mLight;
  const span = inkLevel - groundLevel;
  if (Math.abs(span) < 1) return;
  const invSpan = 1 / span;

  const rowInk = scratch.rowInk;
  const colInk = scratch.colInk;
  rowInk.fill(0, 0, h);
  colInk.fill(0, 0, w);
  for (let r = 0; r < h; r++) {
    const row = (y + r) * stride + x;
    let cnt = 0;
    for (let c = 0; c < w; c++) {
      const p = img[row + c]!;
      if (inverted ? p > thr : p <= thr) {
        cnt++;
        colInk[c]!++;
      }
    }
    rowInk[r] = cnt;
  }
  const minRow = Math.max(1, w >> 4);
  const minCol = Math.max(1, h >> 4);
  let top = 0;
  while (top < h && rowInk[top]! < minRow) top++;
  let bottom = h - 1;
  while (bottom > top && rowInk[bottom]! < minRow) bottom--;
  let left = 0;
  while (left < w && colInk[left]! < minCol) left++;
  let right = w - 1;
  while (right > left && colInk[right]! < minCol) right--;
  if (top >= h || left >= w) return;
  const bw = right - left + 1;
  const bh = bottom - top + 1;

  const s = Math.fround(Math.min(ih / bh, iw / bw));
  const offX = (iw - bw * s) * 0.5;
  const offY = (ih - bh * s) * 0.5;
  const tmp = scratch.rowsTmp;
  tmp.fill(0, 0, bh * iw);
  for (let r = 0; r < bh; r++) {
    const row = (y + top + r) * stride + x + left;
    const dst = r * iw;
    for (let c = 0; c < bw; c++) {
      let d = (img[row + c]! - groundLevel) * invSpan;
      if (d <= 0) continue;
      if (d > 1) d = 1;
      const x0 = offX + c * s;
      const x1 = x0 + s;
      for (let tx = Math.floor(x0); tx < iw && tx < x1; tx++) {
        const a = Math.max(x0, tx);
        const b = Math.min(x1, tx + 1);
        if (tx >= 0 && b > a) tmp[dst + tx]! += d * (b - a);
      }
    }
  }
  for (let r = 0; r < bh; r++) {
    const src = r * iw;
    const y0 = offY + r * s;
    const y1 = y0 + s;
    for (let ty = Math.floor(y0); ty < ih && ty < y1; ty++) {
      const a = Math.max(y0, ty);
      const b = Math.min(y1, ty + 1);
      if (ty >= 0 && b > a) {
        const k = b - a;
        const dst = ty * iw;
        for (let tx = 0; tx < iw; tx++) out[dst + tx]! += tmp[src + tx]! * k;
      }
    }
  }
  if (featureCount > 0) out[gridLen] = bw / bh;
}

/** Runs the model on one input vector; writes 36 softmax probabilities into `probs`. */
export function forward(model: ClassifierModel, input: Float32Array, probs: Float32Array): void {
  let src = input;
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
  constructor(readonly model: ClassifierModel) {
    this.input = new Float32Array(pad4(inputLength(model)));
    this.scratch = new NormaliseScratch(model.inputWidth);
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
    forward(this.model, this.input, probs);
  }
}
