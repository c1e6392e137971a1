// Training kernel for the classifier's convolutional net: 1–3 conv layers (3 × 3 same convolution,
// ReLU, 2 × 2 max pooling; conv.ts), then one ReLU dense layer on the flattened map plus the extra
// features, then 36 softmax outputs with cross-entropy (label 36 = not a character: trained towards
// equal scores for all classes). Used only by scripts/train-classifier.ts, which compiles this file on
// its own (it is not part of any shipped module). Minibatch SGD with momentum and weight decay; one
// sample at a time forward and backward, gradients summed over the batch. The forward pass is the
// inference kernel's own code (conv.ts), so what is trained is what runs.
// Layouts: conv weights f32 [9][cIn][cOut] (conv.ts), dense w1 [H][pad4(nIn)], w2 [36][pad4(H)].

import { CONV_BLOCK, conv3x3Relu, maxPool2 } from "./conv";

const C: i32 = 36;
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
let nIn: i32 = 0; // flatLen + nFeat
let nInP: i32 = 0;
let nH: i32 = 0;
let nHP: i32 = 0;
let flat: usize = 0;
let dflat: usize = 0;
let w1: usize = 0;
let b1: usize = 0;
let w2: usize = 0;
let b2: usize = 0;
let v1: usize = 0;
let vb1: usize = 0;
let v2: usize = 0;
let vb2: usize = 0;
let g1: usize = 0;
let gb1: usize = 0;
let g2: usize = 0;
let gb2: usize = 0;
let hid: usize = 0;
let gh: usize = 0;
let prob: usize = 0;
let correct: i32 = 0;

function pad4(n: i32): i32 {
  return (n + 3) & ~3;
}

function zeros(count: i32): usize {
  const p = heap.alloc(<usize>count * 4);
  memory.fill(p, 0, <usize>count * 4);
  return p;
}

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
  nIn = flatLen + nFeat;
  nInP = pad4(nIn);
  nH = hidden;
  nHP = pad4(hidden);
  flat = zeros(nInP);
  dflat = zeros(nInP);
  w1 = zeros(nH * nInP);
  v1 = zeros(nH * nInP);
  g1 = zeros(nH * nInP);
  b1 = zeros(nHP);
  vb1 = zeros(nHP);
  gb1 = zeros(nHP);
  w2 = zeros(C * nHP);
  v2 = zeros(C * nHP);
  g2 = zeros(C * nHP);
  b2 = zeros(C);
  vb2 = zeros(C);
  gb2 = zeros(C);
  hid = zeros(nHP);
  gh = zeros(nHP);
  prob = zeros(C);
  return nIn;
}

export function cnnConvWeights(l: i32): usize {
  return cw[l];
}
export function cnnConvBias(l: i32): usize {
  return cb[l];
}
export function cnnW1(): usize {
  return w1;
}
export function cnnB1(): usize {
  return b1;
}
export function cnnW2(): usize {
  return w2;
}
export function cnnB2(): usize {
  return b2;
}
export function cnnProbs(): usize {
  return prob;
}
/** Correct top-1 answers in the last trainBatch call. */
export function cnnCorrect(): i32 {
  return correct;
}
/** Host buffer for a batch: `count` inputs of pad4(iw · ih + features) f32, then `count` i32 labels. */
export function cnnBatchAlloc(count: i32): usize {
  return heap.alloc(<usize>(count * pad4(inW * inH + nFeat) + count) * 4);
}

function dot(a: usize, b: usize, n: i32): f32 {
  let v = f32x4.splat(0);
  for (let i = 0; i < n; i += 4) {
    const off = (<usize>i) << 2;
    v = f32x4.add(v, f32x4.mul(v128.load(a + off), v128.load(b + off)));
  }
  return (
    f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3)
  );
}

/** dst[i] += k · src[i] over n (multiple of 4). */
function axpy(dst: usize, src: usize, k: f32, n: i32): void {
  const kv = f32x4.splat(k);
  for (let i = 0; i < n; i += 4) {
    const off = (<usize>i) << 2;
    v128.store(dst + off, f32x4.add(v128.load(dst + off), f32x4.mul(kv, v128.load(src + off))));
  }
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
  for (let j = 0; j < nH; j++) {
    const a = dot(w1 + <usize>(j * nInP) * 4, flat, nInP) + load<f32>(b1 + ((<usize>j) << 2));
    store<f32>(hid + ((<usize>j) << 2), max<f32>(a, 0));
  }
  let mx: f32 = -Infinity;
  let best = 0;
  for (let c = 0; c < C; c++) {
    const a = dot(w2 + <usize>(c * nHP) * 4, hid, nHP) + load<f32>(b2 + ((<usize>c) << 2));
    store<f32>(prob + ((<usize>c) << 2), a);
    if (a > mx) {
      mx = a;
      best = c;
    }
  }
  let sum: f32 = 0;
  for (let c = 0; c < C; c++) {
    const e = Mathf.exp(load<f32>(prob + ((<usize>c) << 2)) - mx);
    store<f32>(prob + ((<usize>c) << 2), e);
    sum += e;
  }
  const inv: f32 = 1 / sum;
  for (let c = 0; c < C; c++) store<f32>(prob + ((<usize>c) << 2), load<f32>(prob + ((<usize>c) << 2)) * inv);
  return best;
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

function update(w: usize, v: usize, g: usize, n: i32, lr: f32, momentum: f32, decay: f32, scale: f32): void {
  const mv = f32x4.splat(momentum);
  const lv = f32x4.splat(-lr);
  const sv = f32x4.splat(scale);
  const dv = f32x4.splat(decay);
  for (let i = 0; i < n; i += 4) {
    const off = (<usize>i) << 2;
    const wi = v128.load(w + off);
    const grad = f32x4.add(f32x4.mul(v128.load(g + off), sv), f32x4.mul(dv, wi));
    const vi = f32x4.add(f32x4.mul(mv, v128.load(v + off)), f32x4.mul(lv, grad));
    v128.store(v + off, vi);
    v128.store(w + off, f32x4.add(wi, vi));
  }
}

/**
 * One SGD step on `count` inputs at `batch` (pad4(iw · ih + features) f32 each) with i32 labels at
 * `labels`. Returns the batch's summed cross-entropy; cnnCorrect() gives its top-1 hits.
 */
export function trainBatch(batch: usize, labels: usize, count: i32, lr: f32, momentum: f32, decay: f32): f32 {
  for (let l = 0; l < nConv; l++) {
    memory.fill(cgw[l], 0, (<usize>(9 * convIn[l] * convOut[l])) << 2);
    memory.fill(cgb[l], 0, (<usize>convOut[l]) << 2);
  }
  memory.fill(g1, 0, <usize>(nH * nInP) * 4);
  memory.fill(gb1, 0, <usize>nHP * 4);
  memory.fill(g2, 0, <usize>(C * nHP) * 4);
  memory.fill(gb2, 0, <usize>C * 4);
  const stride = pad4(inW * inH + nFeat);
  let loss: f32 = 0;
  correct = 0;
  for (let s = 0; s < count; s++) {
    const x = batch + <usize>(s * stride) * 4;
    const label = load<i32>(labels + ((<usize>s) << 2));
    if (cnnForward(x) === label) correct++;
    if (label >= C) {
      // Not a character (label 36): the target is equal scores for every class.
      const u: f32 = 1 / <f32>C;
      for (let c = 0; c < C; c++) {
        const pc = load<f32>(prob + ((<usize>c) << 2));
        loss -= Mathf.log(max<f32>(pc, 1e-12)) * u;
        store<f32>(prob + ((<usize>c) << 2), pc - u);
      }
    } else {
      const pl = load<f32>(prob + ((<usize>label) << 2));
      loss -= Mathf.log(max<f32>(pl, 1e-12));
      store<f32>(prob + ((<usize>label) << 2), pl - 1);
    }
    // Output layer.
    memory.fill(gh, 0, <usize>nHP * 4);
    for (let c = 0; c < C; c++) {
      const d = load<f32>(prob + ((<usize>c) << 2));
      store<f32>(gb2 + ((<usize>c) << 2), load<f32>(gb2 + ((<usize>c) << 2)) + d);
      axpy(g2 + <usize>(c * nHP) * 4, hid, d, nHP);
      axpy(gh, w2 + <usize>(c * nHP) * 4, d, nHP);
    }
    // Hidden dense layer, and the gradient of its input (the pooled map).
    memory.fill(dflat, 0, <usize>nInP * 4);
    for (let j = 0; j < nH; j++) {
      if (load<f32>(hid + ((<usize>j) << 2)) <= 0) continue;
      const gj = load<f32>(gh + ((<usize>j) << 2));
      store<f32>(gb1 + ((<usize>j) << 2), load<f32>(gb1 + ((<usize>j) << 2)) + gj);
      axpy(g1 + <usize>(j * nInP) * 4, flat, gj, nInP);
      axpy(dflat, w1 + <usize>(j * nInP) * 4, gj, nInP);
    }
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
  update(w1, v1, g1, nH * nInP, lr, momentum, decay, scale);
  update(b1, vb1, gb1, nHP, lr, momentum, 0, scale);
  update(w2, v2, g2, C * nHP, lr, momentum, decay, scale);
  update(b2, vb2, gb2, C, lr, momentum, 0, scale);
  return loss;
}
