// The character classifier's input in plain TypeScript: a box of a grey image normalised into the model's
// grid and features, step for step as classifyNormalise in assembly/classify/classifier.ts. Apart from
// the model code (classify-reference.ts) because the training crops' cache is keyed by the sources that
// make them: this file, not the model's.
import type { ClassifierModel } from "./classify-reference.js";

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
