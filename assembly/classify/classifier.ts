// Character classifier: crop a character box from an 8-bit grey frame, normalise it, and score the 36
// classes with small neural nets (conv, or a perceptron) whose weights the host loads once (classifierInit).
//
// Normalisation (the same steps as the JS reference in src/recognition/classify-reference.ts):
//  1. Otsu threshold over the box's histogram; the class means give ink and ground grey levels.
//  2. Ink level per pixel d = clamp((p - ground) / (ink - ground), 0, 1): contrast-free, polarity-free.
//  3. Tighten the box to the ink (rows/columns with enough ink pixels), so loose or tight boxes from the
//     segmenter give the same input.
//  4. Area-resample the tight box into an inputWidth × inputHeight grid keeping its aspect ratio
//     (height-filling, centred), so narrow glyphs (1, I) stay narrow and 0 stays narrower than O.
//  5. Extra features: the tight box's aspect ratio (width / height).
// Model: optional conv layers on the grid (3 × 3 convolution, ReLU, 2 × 2 max pooling: conv.ts), then
// dense layers (ReLU between) on their pooled map plus the features, softmax at the end. A weights file
// may hold an ensemble of such models (version 4): the first scores every character, the others only
// the ones it is unsure of, averaged in. Weights file layout: see WEIGHTS_MAGIC.

import { CHAR_CLASS_COUNT, ENSEMBLE_SURE_PERMILLE, MAX_FRAME_HEIGHT } from "../shared/constants";
import { CONV_BLOCK, conv3x3Relu, maxPool2 } from "./conv";

/** "KCL1" little-endian: the weights file's first four bytes. */
const WEIGHTS_MAGIC: u32 = 0x314c434b;
/**
 * Version 1: f32 weights. Version 2: per-row f32 scale and i8 weights (dequantised at init). Version 3:
 * version 2 with conv layers first (header + convCount; per conv layer i32 cIn, cOut, f32 scale [cOut],
 * i8 weights [cOut][pad4(9 · cIn)] (tap major, input channel minor), f32 bias [cOut]).
 */
const WEIGHTS_VERSION_F32: i32 = 1;
const WEIGHTS_VERSION_I8: i32 = 2;
const WEIGHTS_VERSION_CONV: i32 = 3;
/**
 * Version 4: an ensemble, i32 member count after magic and version, then per member i32 byte length and
 * a version 1-3 file; the members share the input geometry.
 */
const WEIGHTS_VERSION_ENSEMBLE: i32 = 4;
/** Weights file header: magic, version, inputWidth, inputHeight, featureCount, layerCount (i32 each). */
const HEADER_BYTES: i32 = 24;
const ENSEMBLE_HEADER_BYTES: i32 = 12;
const MAX_MEMBERS: i32 = 4;
const MAX_LAYERS: i32 = 4;
const MAX_CONV: i32 = 3;
const MAX_CHANNELS: i32 = 64;
const MAX_UNITS: i32 = 2048;
const MAX_INPUT_SIDE: i32 = 64;

export const CLASSIFIER_ERR_MAGIC: i32 = -1;
export const CLASSIFIER_ERR_VERSION: i32 = -2;
export const CLASSIFIER_ERR_SIZE: i32 = -3;
export const CLASSIFIER_ERR_SHAPE: i32 = -4;

let ready = false;
let memberCount: i32 = 0;
// The input geometry, shared by the members.
let inputWidth: i32 = 0;
let inputHeight: i32 = 0;
let featureCount: i32 = 0;
// Per member m, its layers at m * MAX_LAYERS (dense) and m * MAX_CONV (conv).
const layerCount = new StaticArray<i32>(MAX_MEMBERS);
// Per layer: input count (padded to 4), output count, weights pointer (f32 [out][inPadded]), bias pointer.
const layerIn = new StaticArray<i32>(MAX_MEMBERS * MAX_LAYERS);
const layerOut = new StaticArray<i32>(MAX_MEMBERS * MAX_LAYERS);
const layerW = new StaticArray<usize>(MAX_MEMBERS * MAX_LAYERS);
const layerB = new StaticArray<usize>(MAX_MEMBERS * MAX_LAYERS);
// Conv layers: input size (h × w), channels, weights f32 [9][cIn][cOut], bias, the padded input map and
// the plain output map (conv.ts layouts); the last one pools into convFlat (then the features).
const convCount = new StaticArray<i32>(MAX_MEMBERS);
const convH = new StaticArray<i32>(MAX_MEMBERS * MAX_CONV);
const convW = new StaticArray<i32>(MAX_MEMBERS * MAX_CONV);
const convIn = new StaticArray<i32>(MAX_MEMBERS * MAX_CONV);
const convOut = new StaticArray<i32>(MAX_MEMBERS * MAX_CONV);
const convWt = new StaticArray<usize>(MAX_MEMBERS * MAX_CONV);
const convB = new StaticArray<usize>(MAX_MEMBERS * MAX_CONV);
const convPin = new StaticArray<usize>(MAX_MEMBERS * MAX_CONV);
const convMap = new StaticArray<usize>(MAX_MEMBERS * MAX_CONV);
const convFlat = new StaticArray<usize>(MAX_MEMBERS);
const convFlatLen = new StaticArray<i32>(MAX_MEMBERS);
// Scratch, allocated once at init.
let histogram: usize = 0; // i32[256]
let rowInk: usize = 0; // i32[MAX_FRAME_HEIGHT]
let colInk: usize = 0; // i32[MAX_FRAME_HEIGHT] (box widths are clamped to this too)
let rowsTmp: usize = 0; // f32[MAX_FRAME_HEIGHT * inputWidth]: rows resampled horizontally
let actA: usize = 0; // f32[MAX_UNITS]
let actB: usize = 0; // f32[MAX_UNITS]
let inputVec: usize = 0; // f32[MAX_UNITS]: classifyBox's normalised input
let inkLut: usize = 0; // f32[256]: ink level per grey value of the current box
let memberProbs: usize = 0; // f32[CHAR_CLASS_COUNT]: a further ensemble member's probabilities
let spanFirst: usize = 0; // i32[MAX_FRAME_HEIGHT + 1]: first overlap entry per source column
// Overlap entries (target column, overlap): the columns' spans tile the grid row, so at most one entry
// per source column plus one per target column boundary (twice, should f32 rounding overlap two spans).
let spanTx: usize = 0; // i32[MAX_SPAN_ENTRIES]
let spanW: usize = 0; // f32[MAX_SPAN_ENTRIES]
const MAX_SPAN_ENTRIES: i32 = MAX_FRAME_HEIGHT + 2 * MAX_INPUT_SIDE + 2;

function pad4(n: i32): i32 {
  return (n + 3) & ~3;
}

/** Reserves `bytes` of wasm memory for the host to copy the weights file into (may grow memory). */
export function classifierAlloc(bytes: i32): usize {
  return heap.alloc(<usize>bytes);
}

/** Input vector length the loaded model expects (grid pixels + features), 0 before init. */
export function classifierInputLength(): i32 {
  return ready ? inputWidth * inputHeight + featureCount : 0;
}

/**
 * Parses and copies the one-model weights file at `weightsPtr` (layout: header, then per layer i32 nIn,
 * nOut, then version 1: f32 weights [nOut][pad4(nIn)]; version 2: f32 scale [nOut] and i8 weights
 * [nOut][pad4(nIn)]; then f32 bias [nOut]) into f32 arrays of its own as ensemble member m (member 0
 * sets the input geometry, the others must match it). Returns 0, or a negative CLASSIFIER_ERR_* status.
 */
function parseMember(weightsPtr: usize, weightsBytes: i32, m: i32): i32 {
  if (weightsBytes < HEADER_BYTES) return CLASSIFIER_ERR_SIZE;
  if (load<u32>(weightsPtr) !== WEIGHTS_MAGIC) return CLASSIFIER_ERR_MAGIC;
  const version = load<i32>(weightsPtr, 4);
  if (version !== WEIGHTS_VERSION_F32 && version !== WEIGHTS_VERSION_I8 && version !== WEIGHTS_VERSION_CONV)
    return CLASSIFIER_ERR_VERSION;
  const quantised = version !== WEIGHTS_VERSION_F32;
  const iw = load<i32>(weightsPtr, 8);
  const ih = load<i32>(weightsPtr, 12);
  const nf = load<i32>(weightsPtr, 16);
  const nl = load<i32>(weightsPtr, 20);
  if (iw < 4 || ih < 4 || iw > MAX_INPUT_SIDE || ih > MAX_INPUT_SIDE || nf < 0 || nf > 16) {
    return CLASSIFIER_ERR_SHAPE;
  }
  if (m > 0 && (iw !== inputWidth || ih !== inputHeight || nf !== featureCount)) return CLASSIFIER_ERR_SHAPE;
  if (nl < 1 || nl > MAX_LAYERS) return CLASSIFIER_ERR_SHAPE;
  // The input vector (grid + features) lives in MAX_UNITS-float buffers, whatever layer reads it first.
  if (pad4(iw * ih + nf) > MAX_UNITS) return CLASSIFIER_ERR_SHAPE;
  let at: i32 = HEADER_BYTES;
  let nc = 0;
  if (version === WEIGHTS_VERSION_CONV) {
    if (weightsBytes < HEADER_BYTES + 4) return CLASSIFIER_ERR_SIZE;
    nc = load<i32>(weightsPtr, 24);
    if (nc < 1 || nc > MAX_CONV) return CLASSIFIER_ERR_SHAPE;
    at += 4;
  }
  // Conv layers: each halves the map, so the grid must divide by 2 per layer.
  let h = ih;
  let w = iw;
  let cin = 1;
  const c0 = m * MAX_CONV;
  for (let l = 0; l < nc; l++) {
    if (at + 8 > weightsBytes) return CLASSIFIER_ERR_SIZE;
    const cIn = load<i32>(weightsPtr + <usize>at);
    const cOut = load<i32>(weightsPtr + <usize>at, 4);
    if (cIn !== cin || cOut < CONV_BLOCK || cOut > MAX_CHANNELS || cOut % CONV_BLOCK !== 0)
      return CLASSIFIER_ERR_SHAPE;
    if ((h & 1) !== 0 || (w & 1) !== 0) return CLASSIFIER_ERR_SHAPE;
    at += 8;
    const rowLen = pad4(9 * cIn);
    const wBytes = cOut * 4 + rowLen * cOut;
    if (at + wBytes + cOut * 4 > weightsBytes) return CLASSIFIER_ERR_SIZE;
    // Dequantise into the kernel's layout [tap][cIn][cOut] (the file keeps a row per output channel).
    const wt = heap.alloc(<usize>(9 * cIn * cOut) * 4);
    const scales = weightsPtr + <usize>at;
    const q = scales + <usize>cOut * 4;
    for (let o = 0; o < cOut; o++) {
      const scale = load<f32>(scales + ((<usize>o) << 2));
      for (let k = 0; k < 9 * cIn; k++) {
        store<f32>(wt + ((<usize>(k * cOut + o)) << 2), <f32>load<i8>(q + <usize>(o * rowLen + k)) * scale);
      }
    }
    at += wBytes;
    const b = heap.alloc(<usize>cOut * 4);
    memory.copy(b, weightsPtr + <usize>at, <usize>cOut * 4);
    at += cOut * 4;
    convH[c0 + l] = h;
    convW[c0 + l] = w;
    convIn[c0 + l] = cIn;
    convOut[c0 + l] = cOut;
    convWt[c0 + l] = wt;
    convB[c0 + l] = b;
    const pinBytes = <usize>((h + 2) * (w + 2) * cIn) * 4;
    const pin = heap.alloc(pinBytes);
    memory.fill(pin, 0, pinBytes); // the zero border stays zero: only interiors are written
    convPin[c0 + l] = pin;
    convMap[c0 + l] = heap.alloc(<usize>(h * w * cOut) * 4);
    h >>= 1;
    w >>= 1;
    cin = cOut;
  }
  let expectIn = nc > 0 ? h * w * cin + nf : iw * ih + nf;
  if (nc > 0) {
    convFlatLen[m] = h * w * cin;
    const flat = heap.alloc(<usize>pad4(expectIn) * 4);
    memory.fill(flat, 0, <usize>pad4(expectIn) * 4);
    convFlat[m] = flat;
  }
  const l0 = m * MAX_LAYERS;
  for (let l = 0; l < nl; l++) {
    if (at + 8 > weightsBytes) return CLASSIFIER_ERR_SIZE;
    const nIn = load<i32>(weightsPtr + <usize>at);
    const nOut = load<i32>(weightsPtr + <usize>at, 4);
    if (nIn !== expectIn || nOut < 1 || nOut > MAX_UNITS || pad4(nIn) > MAX_UNITS)
      return CLASSIFIER_ERR_SHAPE;
    at += 8;
    const count = pad4(nIn) * nOut;
    const wBytes = quantised ? nOut * 4 + count : count * 4;
    const bBytes = nOut * 4;
    if (at + wBytes + bBytes > weightsBytes) return CLASSIFIER_ERR_SIZE;
    // Copy into our own memory: the host's copy can be reused once init returns.
    const w = heap.alloc(<usize>count * 4);
    if (quantised) {
      const scales = weightsPtr + <usize>at;
      const q = scales + <usize>nOut * 4;
      const rowLen = pad4(nIn);
      for (let o = 0; o < nOut; o++) {
        const scale = load<f32>(scales + ((<usize>o) << 2));
        for (let i = 0; i < rowLen; i++) {
          const k = o * rowLen + i;
          store<f32>(w + ((<usize>k) << 2), <f32>load<i8>(q + <usize>k) * scale);
        }
      }
    } else {
      memory.copy(w, weightsPtr + <usize>at, <usize>wBytes);
    }
    at += wBytes;
    const b = heap.alloc(<usize>bBytes);
    memory.copy(b, weightsPtr + <usize>at, <usize>bBytes);
    at += bBytes;
    layerIn[l0 + l] = pad4(nIn);
    layerOut[l0 + l] = nOut;
    layerW[l0 + l] = w;
    layerB[l0 + l] = b;
    expectIn = nOut;
  }
  if (expectIn !== CHAR_CLASS_COUNT) return CLASSIFIER_ERR_SHAPE;
  if (at !== weightsBytes) return CLASSIFIER_ERR_SIZE;
  if (m === 0) {
    inputWidth = iw;
    inputHeight = ih;
    featureCount = nf;
  }
  layerCount[m] = nl;
  convCount[m] = nc;
  return 0;
}

/**
 * Parses and copies the weights file at `weightsPtr`: one model (versions 1-3) or an ensemble (version
 * 4: magic, version, i32 member count, then per member i32 byte length and a version 1-3 file);
 * allocates scratch once (may grow memory, so the host re-takes its views). Returns 0, or a negative
 * CLASSIFIER_ERR_* status.
 */
export function classifierInit(weightsPtr: usize, weightsBytes: i32): i32 {
  ready = false;
  memberCount = 0;
  if (weightsBytes < 8) return CLASSIFIER_ERR_SIZE;
  if (load<u32>(weightsPtr) !== WEIGHTS_MAGIC) return CLASSIFIER_ERR_MAGIC;
  if (load<i32>(weightsPtr, 4) === WEIGHTS_VERSION_ENSEMBLE) {
    if (weightsBytes < ENSEMBLE_HEADER_BYTES) return CLASSIFIER_ERR_SIZE;
    const count = load<i32>(weightsPtr, 8);
    if (count < 1 || count > MAX_MEMBERS) return CLASSIFIER_ERR_SHAPE;
    let at = ENSEMBLE_HEADER_BYTES;
    for (let m = 0; m < count; m++) {
      if (at + 4 > weightsBytes) return CLASSIFIER_ERR_SIZE;
      const bytes = load<i32>(weightsPtr + <usize>at);
      at += 4;
      if (bytes < 0 || at + bytes > weightsBytes) return CLASSIFIER_ERR_SIZE;
      // members are one-model files: an ensemble inside an ensemble is not one
      if (bytes >= 8 && load<i32>(weightsPtr + <usize>at, 4) === WEIGHTS_VERSION_ENSEMBLE)
        return CLASSIFIER_ERR_VERSION;
      const status = parseMember(weightsPtr + <usize>at, bytes, m);
      if (status < 0) return status;
      at += bytes;
    }
    if (at !== weightsBytes) return CLASSIFIER_ERR_SIZE;
    memberCount = count;
  } else {
    const status = parseMember(weightsPtr, weightsBytes, 0);
    if (status < 0) return status;
    memberCount = 1;
  }
  if (histogram === 0) {
    histogram = heap.alloc(256 * 4);
    rowInk = heap.alloc(<usize>MAX_FRAME_HEIGHT * 4);
    colInk = heap.alloc(<usize>MAX_FRAME_HEIGHT * 4);
    actA = heap.alloc(<usize>MAX_UNITS * 4);
    actB = heap.alloc(<usize>MAX_UNITS * 4);
    inputVec = heap.alloc(<usize>MAX_UNITS * 4);
    rowsTmp = heap.alloc(<usize>MAX_FRAME_HEIGHT * MAX_INPUT_SIDE * 4);
    inkLut = heap.alloc(256 * 4);
    spanFirst = heap.alloc(<usize>(MAX_FRAME_HEIGHT + 1) * 4);
    spanTx = heap.alloc(<usize>MAX_SPAN_ENTRIES * 4);
    spanW = heap.alloc(<usize>MAX_SPAN_ENTRIES * 4);
    memberProbs = heap.alloc(<usize>CHAR_CLASS_COUNT * 4);
  }
  ready = true;
  return 0;
}

/**
 * Crops box (x, y, w, h) from the 8-bit grey image at `img` (row stride `stride` bytes; glyph dark on
 * light when inverted = 0, light on dark when 1), normalises it and writes the model's input vector
 * (classifierInputLength() f32) at `out`. Boxes larger than MAX_FRAME_HEIGHT on a side are clipped.
 */
export function classifyNormalise(
  img: usize,
  stride: i32,
  x: i32,
  y: i32,
  w: i32,
  h: i32,
  inverted: i32,
  out: usize,
): void {
  const gridLen = inputWidth * inputHeight;
  const total = pad4(gridLen + featureCount);
  memory.fill(out, 0, <usize>total * 4);
  if (w > MAX_FRAME_HEIGHT) w = MAX_FRAME_HEIGHT;
  if (h > MAX_FRAME_HEIGHT) h = MAX_FRAME_HEIGHT;
  if (w <= 0 || h <= 0) return;

  // 1. Otsu threshold and class means.
  memory.fill(histogram, 0, 256 * 4);
  for (let r = 0; r < h; r++) {
    const row = img + <usize>(y + r) * <usize>stride + <usize>x;
    for (let c = 0; c < w; c++) {
      const p = histogram + ((<usize>load<u8>(row + <usize>c)) << 2);
      store<i32>(p, load<i32>(p) + 1);
    }
  }
  const n = <f64>(w * h);
  let sumAll: f64 = 0;
  for (let v = 0; v < 256; v++) sumAll += <f64>v * <f64>load<i32>(histogram + ((<usize>v) << 2));
  let wB: f64 = 0;
  let sumB: f64 = 0;
  let best: f64 = -1;
  let thr = 0;
  for (let v = 0; v < 256; v++) {
    const cnt = <f64>load<i32>(histogram + ((<usize>v) << 2));
    // An empty bin leaves the split's variance as it was (and never beats it): skip its divisions.
    if (cnt === 0) continue;
    wB += cnt;
    const wF = n - wB;
    if (wF === 0) break;
    sumB += <f64>v * cnt;
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / wF;
    const between = wB * wF * (mB - mF) * (mB - mF);
    if (between > best) {
      best = between;
      thr = v;
    }
  }
  // Class means: dark = values <= thr, light = values > thr.
  let cDark: f64 = 0;
  let sDark: f64 = 0;
  for (let v = 0; v <= thr; v++) {
    const cnt = <f64>load<i32>(histogram + ((<usize>v) << 2));
    cDark += cnt;
    sDark += <f64>v * cnt;
  }
  const cLight = n - cDark;
  if (cDark === 0 || cLight === 0) return; // flat box: no glyph
  const mDark = <f32>(sDark / cDark);
  const mLight = <f32>((sumAll - sDark) / cLight);
  const inkLevel: f32 = inverted ? mLight : mDark;
  const groundLevel: f32 = inverted ? mDark : mLight;
  const span = inkLevel - groundLevel;
  if (Mathf.abs(span) < 1) return;
  const invSpan: f32 = 1 / span;

  // 3. Ink counts per row and column (ink = the Otsu class on the glyph's side).
  memory.fill(rowInk, 0, <usize>h * 4);
  memory.fill(colInk, 0, <usize>w * 4);
  for (let r = 0; r < h; r++) {
    const row = img + <usize>(y + r) * <usize>stride + <usize>x;
    let cntRow = 0;
    for (let c = 0; c < w; c++) {
      const p = <i32>load<u8>(row + <usize>c);
      const ink = inverted ? p > thr : p <= thr;
      if (ink) {
        cntRow++;
        const q = colInk + ((<usize>c) << 2);
        store<i32>(q, load<i32>(q) + 1);
      }
    }
    store<i32>(rowInk + ((<usize>r) << 2), cntRow);
  }
  const minRow = max(1, w >> 4);
  const minCol = max(1, h >> 4);
  let top = 0;
  while (top < h && load<i32>(rowInk + ((<usize>top) << 2)) < minRow) top++;
  let bottom = h - 1;
  while (bottom > top && load<i32>(rowInk + ((<usize>bottom) << 2)) < minRow) bottom--;
  let left = 0;
  while (left < w && load<i32>(colInk + ((<usize>left) << 2)) < minCol) left++;
  let right = w - 1;
  while (right > left && load<i32>(colInk + ((<usize>right) << 2)) < minCol) right--;
  if (top >= h || left >= w) return;
  const bw = right - left + 1;
  const bh = bottom - top + 1;

  // 4. Area resampling into the grid, aspect kept: scale s target px per source px.
  const s: f32 = min(<f32>inputHeight / <f32>bh, <f32>inputWidth / <f32>bw);
  const offX: f32 = (<f32>inputWidth - <f32>bw * s) * 0.5;
  const offY: f32 = (<f32>inputHeight - <f32>bh * s) * 0.5;
  // Ink level per grey value (the same for every pixel of the box), clamped to 1; 0 = no ink.
  for (let v = 0; v < 256; v++) {
    let d = (<f32>v - groundLevel) * invSpan;
    if (d <= 0) d = 0;
    else if (d > 1) d = 1;
    store<f32>(inkLut + ((<usize>v) << 2), d);
  }
  // Overlaps of each source column with the target columns: the same for every row, so laid out once
  // (column c's entries from spanFirst[c] to spanFirst[c + 1]: target column, overlap).
  let entries = 0;
  for (let c = 0; c < bw; c++) {
    store<i32>(spanFirst + ((<usize>c) << 2), entries);
    const x0 = offX + <f32>c * s;
    const x1 = x0 + s;
    let tx = <i32>Mathf.floor(x0);
    while (tx < inputWidth && <f32>tx < x1) {
      const a = max(x0, <f32>tx);
      const b = min(x1, <f32>(tx + 1));
      if (tx >= 0 && b > a && entries < MAX_SPAN_ENTRIES) {
        store<i32>(spanTx + ((<usize>entries) << 2), tx);
        store<f32>(spanW + ((<usize>entries) << 2), b - a);
        entries++;
      }
      tx++;
    }
  }
  store<i32>(spanFirst + ((<usize>bw) << 2), entries);
  // Horizontal pass: rowsTmp[r][tx] = Σ_c d(r, c) · overlap of source column c with target column tx.
  memory.fill(rowsTmp, 0, <usize>(bh * inputWidth) * 4);
  for (let r = 0; r < bh; r++) {
    const row = img + <usize>(y + top + r) * <usize>stride + <usize>(x + left);
    const dst = rowsTmp + <usize>(r * inputWidth) * 4;
    for (let c = 0; c < bw; c++) {
      const d = load<f32>(inkLut + ((<usize>load<u8>(row + <usize>c)) << 2));
      if (d === 0) continue;
      const end = load<i32>(spanFirst + ((<usize>(c + 1)) << 2));
      for (let k = load<i32>(spanFirst + ((<usize>c) << 2)); k < end; k++) {
        const q = dst + ((<usize>load<i32>(spanTx + ((<usize>k) << 2))) << 2);
        store<f32>(q, load<f32>(q) + d * load<f32>(spanW + ((<usize>k) << 2)));
      }
    }
  }
  // Vertical pass: out[ty][tx] = Σ_r rowsTmp[r][tx] · overlap of source row r with target row ty.
  for (let r = 0; r < bh; r++) {
    const src = rowsTmp + <usize>(r * inputWidth) * 4;
    const y0 = offY + <f32>r * s;
    const y1 = y0 + s;
    let ty = <i32>Mathf.floor(y0);
    while (ty < inputHeight && <f32>ty < y1) {
      const a = max(y0, <f32>ty);
      const b = min(y1, <f32>(ty + 1));
      if (ty >= 0 && b > a) {
        const k = b - a;
        const dst = out + <usize>(ty * inputWidth) * 4;
        for (let tx = 0; tx < inputWidth; tx++) {
          const q = dst + ((<usize>tx) << 2);
          store<f32>(q, load<f32>(q) + load<f32>(src + ((<usize>tx) << 2)) * k);
        }
      }
      ty++;
    }
  }
  // 5. Features.
  if (featureCount > 0) store<f32>(out + <usize>gridLen * 4, <f32>bw / <f32>bh);
}

/**
 * One dense output: its lane sums added in lane order, the inputs from `from` to nIn (row `row`) one by
 * one, then bias, ReLU if relu (the one-row loop's order).
 */
function denseOut(
  v: v128,
  row: usize,
  src: usize,
  from: i32,
  nIn: i32,
  bias: usize,
  o: i32,
  relu: bool,
): f32 {
  let acc =
    f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
  for (let i = from; i < nIn; i++)
    acc += load<f32>(row + ((<usize>i) << 2)) * load<f32>(src + ((<usize>i) << 2));
  acc += load<f32>(bias + ((<usize>o) << 2));
  if (relu && acc < 0) acc = 0;
  return acc;
}

/** Dense layer: dst[o] = bias[o] + Σ_i w[o][i] · src[i] over `nIn` (multiple of 4) inputs; ReLU if relu. */
function dense(src: usize, dst: usize, w: usize, bias: usize, nIn: i32, nOut: i32, relu: bool): void {
  let o = 0;
  if (ASC_FEATURE_SIMD) {
    // Four outputs per pass: each input load serves four rows. Every output keeps its own two
    // accumulators and lane order, so the sums are those of the one-row loop below.
    const rowBytes = (<usize>nIn) << 2;
    for (; o + 4 <= nOut; o += 4) {
      const r0 = w + <usize>o * rowBytes;
      const r1 = r0 + rowBytes;
      const r2 = r1 + rowBytes;
      const r3 = r2 + rowBytes;
      let a0 = f32x4.splat(0);
      let a1 = f32x4.splat(0);
      let b0 = f32x4.splat(0);
      let b1 = f32x4.splat(0);
      let c0 = f32x4.splat(0);
      let c1 = f32x4.splat(0);
      let d0 = f32x4.splat(0);
      let d1 = f32x4.splat(0);
      const blocks = nIn & ~7;
      for (let i = 0; i < blocks; i += 8) {
        const off = (<usize>i) << 2;
        const x0 = v128.load(src + off);
        const x1 = v128.load(src + off, 16);
        a0 = f32x4.add(a0, f32x4.mul(v128.load(r0 + off), x0));
        a1 = f32x4.add(a1, f32x4.mul(v128.load(r0 + off, 16), x1));
        b0 = f32x4.add(b0, f32x4.mul(v128.load(r1 + off), x0));
        b1 = f32x4.add(b1, f32x4.mul(v128.load(r1 + off, 16), x1));
        c0 = f32x4.add(c0, f32x4.mul(v128.load(r2 + off), x0));
        c1 = f32x4.add(c1, f32x4.mul(v128.load(r2 + off, 16), x1));
        d0 = f32x4.add(d0, f32x4.mul(v128.load(r3 + off), x0));
        d1 = f32x4.add(d1, f32x4.mul(v128.load(r3 + off, 16), x1));
      }
      store<f32>(dst + ((<usize>o) << 2), denseOut(f32x4.add(a0, a1), r0, src, blocks, nIn, bias, o, relu));
      store<f32>(
        dst + ((<usize>(o + 1)) << 2),
        denseOut(f32x4.add(b0, b1), r1, src, blocks, nIn, bias, o + 1, relu),
      );
      store<f32>(
        dst + ((<usize>(o + 2)) << 2),
        denseOut(f32x4.add(c0, c1), r2, src, blocks, nIn, bias, o + 2, relu),
      );
      store<f32>(
        dst + ((<usize>(o + 3)) << 2),
        denseOut(f32x4.add(d0, d1), r3, src, blocks, nIn, bias, o + 3, relu),
      );
    }
  }
  for (; o < nOut; o++) {
    const row = w + <usize>(o * nIn) * 4;
    let acc: f32 = 0;
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      let v0 = f32x4.splat(0);
      let v1 = f32x4.splat(0);
      for (; i + 8 <= nIn; i += 8) {
        const off = (<usize>i) << 2;
        v0 = f32x4.add(v0, f32x4.mul(v128.load(row + off), v128.load(src + off)));
        v1 = f32x4.add(v1, f32x4.mul(v128.load(row + off, 16), v128.load(src + off, 16)));
      }
      v0 = f32x4.add(v0, v1);
      acc =
        f32x4.extract_lane(v0, 0) +
        f32x4.extract_lane(v0, 1) +
        f32x4.extract_lane(v0, 2) +
        f32x4.extract_lane(v0, 3);
    }
    for (; i < nIn; i++) acc += load<f32>(row + ((<usize>i) << 2)) * load<f32>(src + ((<usize>i) << 2));
    acc += load<f32>(bias + ((<usize>o) << 2));
    if (relu && acc < 0) acc = 0;
    store<f32>(dst + ((<usize>o) << 2), acc);
  }
  // Zero the padding so the next layer's 4-wide loads read zeros.
  const padded = pad4(nOut);
  for (let o = nOut; o < padded; o++) store<f32>(dst + ((<usize>o) << 2), 0);
}

/** Runs ensemble member m on the input vector at `input`; writes its 36 softmax probabilities at `out`. */
function runMember(m: i32, input: usize, out: usize): void {
  let src = input;
  const nc = unchecked(convCount[m]);
  const c0 = m * MAX_CONV;
  if (nc > 0) {
    // The grid into the first padded map (1 channel), the conv stack, its pooled map into convFlat,
    // then the features after it: the dense layers' input.
    const p0 = unchecked(convPin[c0]);
    for (let y = 0; y < inputHeight; y++) {
      memory.copy(
        p0 + ((<usize>((y + 1) * (inputWidth + 2) + 1)) << 2),
        input + ((<usize>(y * inputWidth)) << 2),
        (<usize>inputWidth) << 2,
      );
    }
    const flat = unchecked(convFlat[m]);
    for (let l = c0; l < c0 + nc; l++) {
      const h = unchecked(convH[l]);
      const w = unchecked(convW[l]);
      const c = unchecked(convOut[l]);
      conv3x3Relu(
        unchecked(convPin[l]),
        h,
        w,
        unchecked(convIn[l]),
        unchecked(convWt[l]),
        unchecked(convB[l]),
        c,
        unchecked(convMap[l]),
      );
      if (l + 1 < c0 + nc) {
        const pw = (w >> 1) + 2;
        maxPool2(
          unchecked(convMap[l]),
          h,
          w,
          c,
          unchecked(convPin[l + 1]) + ((<usize>((pw + 1) * c)) << 2),
          pw * c,
        );
      } else {
        maxPool2(unchecked(convMap[l]), h, w, c, flat, (w >> 1) * c);
      }
    }
    const gridLen = inputWidth * inputHeight;
    const flatLen = unchecked(convFlatLen[m]);
    for (let f = 0; f < featureCount; f++) {
      store<f32>(flat + ((<usize>(flatLen + f)) << 2), load<f32>(input + ((<usize>(gridLen + f)) << 2)));
    }
    src = flat;
  }
  const nl = unchecked(layerCount[m]);
  const l0 = m * MAX_LAYERS;
  for (let l = 0; l < nl; l++) {
    const dst = l & 1 ? actB : actA;
    dense(
      src,
      dst,
      unchecked(layerW[l0 + l]),
      unchecked(layerB[l0 + l]),
      unchecked(layerIn[l0 + l]),
      unchecked(layerOut[l0 + l]),
      l + 1 < nl,
    );
    src = dst;
  }
  let mx: f32 = -Infinity;
  for (let c = 0; c < CHAR_CLASS_COUNT; c++) mx = max(mx, load<f32>(src + ((<usize>c) << 2)));
  let sum: f32 = 0;
  for (let c = 0; c < CHAR_CLASS_COUNT; c++) {
    const e = Mathf.exp(load<f32>(src + ((<usize>c) << 2)) - mx);
    store<f32>(out + ((<usize>c) << 2), e);
    sum += e;
  }
  const inv: f32 = 1 / sum;
  for (let c = 0; c < CHAR_CLASS_COUNT; c++) {
    const q = out + ((<usize>c) << 2);
    store<f32>(q, load<f32>(q) * inv);
  }
}

/**
 * Runs the model on an input vector at `input` (classifierInputLength() f32, padded to 4 with zeros)
 * and writes 36 softmax probabilities (CHAR_CLASSES order) at `out`. An ensemble's first member scores
 * every input; when its top score is under ENSEMBLE_SURE_PERMILLE the others run too and `out` is the
 * members' mean.
 */
export function classifyVector(input: usize, out: usize): void {
  runMember(0, input, out);
  if (memberCount < 2) return;
  let top: f32 = 0;
  for (let c = 0; c < CHAR_CLASS_COUNT; c++) top = max(top, load<f32>(out + ((<usize>c) << 2)));
  if (top * 1000 >= <f32>ENSEMBLE_SURE_PERMILLE) return;
  for (let m = 1; m < memberCount; m++) {
    runMember(m, input, memberProbs);
    for (let c = 0; c < CHAR_CLASS_COUNT; c++) {
      const q = out + ((<usize>c) << 2);
      store<f32>(q, load<f32>(q) + load<f32>(memberProbs + ((<usize>c) << 2)));
    }
  }
  const inv: f32 = 1 / <f32>memberCount;
  for (let c = 0; c < CHAR_CLASS_COUNT; c++) {
    const q = out + ((<usize>c) << 2);
    store<f32>(q, load<f32>(q) * inv);
  }
}

/**
 * Classifies the character in box (x, y, w, h) of the 8-bit grey image at `img` (row stride `stride`;
 * inverted = 1 for a light glyph on dark ground) and writes 36 f32 probabilities at `out` (CHAR_CLASSES
 * order); uniform probabilities before classifierInit. A flat box (no glyph) scores an empty grid.
 */
export function classifyBox(
  img: usize,
  stride: i32,
  x: i32,
  y: i32,
  w: i32,
  h: i32,
  inverted: i32,
  out: usize,
): void {
  if (!ready) {
    const u: f32 = 1.0 / <f32>CHAR_CLASS_COUNT;
    for (let c = 0; c < CHAR_CLASS_COUNT; c++) store<f32>(out + ((<usize>c) << 2), u);
    return;
  }
  classifyNormalise(img, stride, x, y, w, h, inverted, inputVec);
  classifyVector(inputVec, out);
}
