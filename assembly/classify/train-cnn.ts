// Training kernel for the classifier's convolutional net: 1–3 conv layers (3 × 3 same convolution,
// ReLU, 2 × 2 max pooling; conv.ts), then one ReLU dense layer on the flattened map plus the extra
// features, then 36 softmax outputs with cross-entropy (label 36 = not a character: trained towards
// equal scores for all classes). Used only by scripts/train-classifier.ts, which compiles this file on
// its own (it is not part of any shipped module). Minibatch SGD with momentum and weight decay; one
// sample at a time forward and backward, gradients summed over the batch. The forward pass is the
// inference kernel's own code (conv.ts), so what is trained is what runs; the dense head, the loss and
// the SGD step are train-dense.ts, shared with the perceptron's kernel (train-mlp.ts).
// Layouts: conv weights f32 [9][cIn][cOut] (conv.ts), dense layers as train-dense.ts.

import { CONV_BLOCK, conv3x3Relu, maxPool2 } from "./conv";
import {
  axpy,
  batchInput,
  denseBackward,
  denseBatchEnd,
  denseBatchStart,
  denseForward,
  denseInit,
  dot,
  pad4,
  update,
  zeros,
} from "./train-dense";

export { denseB1, denseB2, denseProbs, denseW1, denseW2, trainBatchAlloc, trainCorrect } from "./train-dense";

const MAX_CONV: i32 = 3;

let inW: i32 = 0;
let inH: i32 = 0;
let nFeat: i32 = 0;
let nConv: i32 = 0;
const convH = new StaticArray<i32>(MAX_CONV);
const convW = new StaticArray<i32>(MAX_CONV);
const convIn = new StaticArray<i32>(MAX_CONV);
const convOut = new StaticArray<i32>(MAX_CONV);
const cw = new StaticArray<usize>(MAX_CONV);
const cb = new StaticArray<usize>(MAX_CONV);
const cvw = new StaticArray<usize>(MAX_CONV);
const cvb = new StaticArray<usize>(MAX_CONV);
const cgw = new StaticArray<usize>(MAX_CONV);
const cgb = new StaticArray<usize>(MAX_CONV);
/** Padded input map of each conv layer, and its gradient (layers > 0). */
const pin = new StaticArray<usize>(MAX_CONV);
const dpin = new StaticArray<usize>(MAX_CONV);
/** Plain post-ReLU output map of each conv layer, and its gradient. */
const rmap = new StaticArray<usize>(MAX_CONV);
const drmap = new StaticArray<usize>(MAX_CONV);

let flatLen: i32 = 0; // pooled map of the last conv layer
/** The dense head's input (pooled map, then the features) and its gradient. */
let flat: usize = 0;
let dflat: usize = 0;

function paddedLen(h: i32, w: i32, c: i32): i32 {
  return (h + 2) * (w + 2) * c;
}

/**
 * Allocates every array: input grid iw × ih (+ features extra inputs), conv layers with c1, c2, c3
 * output channels (multiples of 8; 0 ends the list), `hidden` dense units. Weights zero: the host writes
 * them. Returns the dense layer's input count (flattened map + features), or -1 for a bad geometry.
 */
export function cnnInit(iw: i32, ih: i32, features: i32, c1: i32, c2: i32, c3: i32, hidden: i32): i32 {
  inW = iw;
  inH = ih;
  nFeat = features;
  nConv = c3 > 0 ? 3 : c2 > 0 ? 2 : 1;
  let h = ih;
  let w = iw;
  let cin = 1;
  for (let l = 0; l < nConv; l++) {
    const cout = l === 0 ? c1 : l === 1 ? c2 : c3;
    if (cout <= 0 || cout % CONV_BLOCK !== 0 || (h & 1) !== 0 || (w & 1) !== 0) return -1;
    convH[l] = h;
    convW[l] = w;
    convIn[l] = cin;
    convOut[l] = cout;
    const wl = 9 * cin * cout;
    cw[l] = zeros(wl);
    cvw[l] = zeros(wl);
    cgw[l] = zeros(wl);
    cb[l] = zeros(cout);
    cvb[l] = zeros(cout);
    cgb[l] = zeros(cout);
    pin[l] = zeros(paddedLen(h, w, cin));
    dpin[l] = l > 0 ? zeros(paddedLen(h, w, cin)) : 0;
    rmap[l] = zeros(h * w * cout);
    drmap[l] = zeros(h * w * cout);
    h >>= 1;
    w >>= 1;
    cin = cout;
  }
  flatLen = h * w * cin;
  const nIn = flatLen + nFeat;
  flat = zeros(pad4(nIn));
  dflat = zeros(pad4(nIn));
  denseInit(nIn, hidden, pad4(iw * ih + features));
  return nIn;
}

export function cnnConvWeights(l: i32): usize {
  return cw[l];
}
export function cnnConvBias(l: i32): usize {
  return cb[l];
}

/** Forward pass on one input vector (grid then features); leaves every activation; returns the top class. */
export function cnnForward(x: usize): i32 {
  const p0 = pin[0];
  for (let y = 0; y < inH; y++) {
    memory.copy(
      p0 + ((<usize>((y + 1) * (inW + 2) + 1)) << 2),
      x + ((<usize>(y * inW)) << 2),
      (<usize>inW) << 2,
    );
  }
  for (let l = 0; l < nConv; l++) {
    const h = convH[l];
    const w = convW[l];
    const cout = convOut[l];
    conv3x3Relu(pin[l], h, w, convIn[l], cw[l], cb[l], cout, rmap[l]);
    if (l + 1 < nConv) {
      const pw = (w >> 1) + 2;
      maxPool2(rmap[l], h, w, cout, pin[l + 1] + ((<usize>((pw + 1) * cout)) << 2), pw * cout);
    } else {
      maxPool2(rmap[l], h, w, cout, flat, (w >> 1) * cout);
    }
  }
  for (let f = 0; f < nFeat; f++) {
    store<f32>(flat + ((<usize>(flatLen + f)) << 2), load<f32>(x + ((<usize>(inW * inH + f)) << 2)));
  }
  return denseForward(flat);
}

/**
 * Routes the pooled gradient (at `g`, pooled pixel (py, px) at py · pitch + px · c floats) back to the
 * maximum of each 2 × 2 window of layer l's output (first maximum; none where that output is 0, the
 * ReLU's flat side) in drmap[l].
 */
function poolBackward(l: i32, g: usize, pitch: i32): void {
  const h = convH[l];
  const w = convW[l];
  const c = convOut[l];
  const r = rmap[l];
  const dr = drmap[l];
  memory.fill(dr, 0, (<usize>(h * w * c)) << 2);
  const rowPitch = w * c;
  for (let py = 0; py < h >> 1; py++) {
    for (let px = 0; px < w >> 1; px++) {
      const base = 2 * py * rowPitch + 2 * px * c;
      const gBase = py * pitch + px * c;
      for (let k = 0; k < c; k++) {
        let bestAt = base + k;
        let best = load<f32>(r + ((<usize>bestAt) << 2));
        const cand2 = base + c + k;
        const cand3 = base + rowPitch + k;
        const cand4 = base + rowPitch + c + k;
        if (load<f32>(r + ((<usize>cand2) << 2)) > best) {
          best = load<f32>(r + ((<usize>cand2) << 2));
          bestAt = cand2;
        }
        if (load<f32>(r + ((<usize>cand3) << 2)) > best) {
          best = load<f32>(r + ((<usize>cand3) << 2));
          bestAt = cand3;
        }
        if (load<f32>(r + ((<usize>cand4) << 2)) > best) {
          best = load<f32>(r + ((<usize>cand4) << 2));
          bestAt = cand4;
        }
        if (best > 0) store<f32>(dr + ((<usize>bestAt) << 2), load<f32>(g + ((<usize>(gBase + k)) << 2)));
      }
    }
  }
}

/** Weight and bias gradients of conv layer l from drmap[l]; the input gradient into dpin[l] when l > 0. */
function convBackward(l: i32): void {
  const h = convH[l];
  const w = convW[l];
  const cin = convIn[l];
  const cout = convOut[l];
  const src = pin[l];
  const dsrc = dpin[l];
  const wt = cw[l];
  const gw = cgw[l];
  const gb = cgb[l];
  const dr = drmap[l];
  const rowPitch = (w + 2) * cin;
  if (l > 0) memory.fill(dsrc, 0, (<usize>paddedLen(h, w, cin)) << 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const d = dr + ((<usize>((y * w + x) * cout)) << 2);
      // Skip pixels with no gradient at all (most, after pooling and ReLU).
      let any = false;
      for (let co = 0; co < cout; co++) {
        if (load<f32>(d + ((<usize>co) << 2)) !== 0) {
          any = true;
          break;
        }
      }
      if (!any) continue;
      for (let co = 0; co < cout; co += 4) {
        const q = gb + ((<usize>co) << 2);
        v128.store(q, f32x4.add(v128.load(q), v128.load(d + ((<usize>co) << 2))));
      }
      const at = y * rowPitch + x * cin;
      for (let ky = 0; ky < 3; ky++) {
        for (let kx = 0; kx < 3; kx++) {
          const px = at + ky * rowPitch + kx * cin;
          const tap = (ky * 3 + kx) * cin;
          for (let ci = 0; ci < cin; ci++) {
            const v = load<f32>(src + ((<usize>(px + ci)) << 2));
            const row = (<usize>((tap + ci) * cout)) << 2;
            if (v !== 0) axpy(gw + row, d, v, cout);
            if (l > 0) {
              const q = dsrc + ((<usize>(px + ci)) << 2);
              store<f32>(q, load<f32>(q) + dot(wt + row, d, cout));
            }
          }
        }
      }
    }
  }
}

/**
 * One SGD step on `count` inputs at `batch` (pad4(iw · ih + features) f32 each) with i32 labels at
 * `labels`. Returns the batch's summed cross-entropy; trainCorrect() gives its top-1 hits.
 */
export function trainBatch(batch: usize, labels: usize, count: i32, lr: f32, momentum: f32, decay: f32): f32 {
  for (let l = 0; l < nConv; l++) {
    memory.fill(cgw[l], 0, (<usize>(9 * convIn[l] * convOut[l])) << 2);
    memory.fill(cgb[l], 0, (<usize>convOut[l]) << 2);
  }
  denseBatchStart();
  for (let s = 0; s < count; s++) {
    const x = batchInput(batch, s);
    denseBackward(flat, cnnForward(x), load<i32>(labels + ((<usize>s) << 2)), dflat);
    // Conv layers, last to first.
    for (let l = nConv - 1; l >= 0; l--) {
      if (l === nConv - 1) poolBackward(l, dflat, (convW[l] >> 1) * convOut[l]);
      else {
        const pw = (convW[l] >> 1) + 2;
        poolBackward(l, dpin[l + 1] + ((<usize>((pw + 1) * convOut[l])) << 2), pw * convOut[l]);
      }
      convBackward(l);
    }
  }
  const scale: f32 = 1 / <f32>count;
  for (let l = 0; l < nConv; l++) {
    update(cw[l], cvw[l], cgw[l], 9 * convIn[l] * convOut[l], lr, momentum, decay, scale);
    update(cb[l], cvb[l], cgb[l], convOut[l], lr, momentum, 0, scale);
  }
  return denseBatchEnd(count, lr, momentum, decay);
}
