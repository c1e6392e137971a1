// Training kernel for the classifier's perceptron (one ReLU hidden layer, softmax, cross-entropy; label
// 36 = not a character, trained towards equal scores for all classes),
// used only by scripts/train-classifier.ts, which compiles this file on its own (it is not part of any
// shipped module). Minibatch SGD with momentum and weight decay, SIMD over the inputs.
// Layout: w1 f32 [H][pad4(nIn)], w2 f32 [36][pad4(H)], each with bias, velocity and gradient arrays.

const C: i32 = 36;

let nIn: i32 = 0;
let nInP: i32 = 0;
let nH: i32 = 0;
let nHP: i32 = 0;
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

/** Allocates every array for nIn inputs and h hidden units (weights zero: the host writes them). */
export function mlpInit(inputs: i32, hidden: i32): void {
  nIn = inputs;
  nInP = pad4(inputs);
  nH = hidden;
  nHP = pad4(hidden);
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
}

export function mlpW1(): usize {
  return w1;
}
export function mlpB1(): usize {
  return b1;
}
export function mlpW2(): usize {
  return w2;
}
export function mlpB2(): usize {
  return b2;
}
export function mlpProbs(): usize {
  return prob;
}
/** Correct top-1 answers in the last trainBatch / predict calls. */
export function mlpCorrect(): i32 {
  return correct;
}
/** Host buffer for a batch: room for `count` inputs of pad4(nIn) f32 then `count` i32 labels. */
export function mlpBatchAlloc(count: i32): usize {
  return heap.alloc(<usize>(count * nInP + count) * 4);
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

/** Forward pass on one input; leaves hidden activations and probabilities; returns the top class. */
function forwardOne(x: usize): i32 {
  for (let j = 0; j < nH; j++) {
    const a = dot(w1 + <usize>(j * nInP) * 4, x, nInP) + load<f32>(b1 + ((<usize>j) << 2));
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
 * One SGD step on `count` inputs at `batch` (pad4(nIn) f32 each) with i32 labels at `labels`.
 * Returns the batch's summed cross-entropy; mlpCorrect() gives its top-1 hits.
 */
export function trainBatch(batch: usize, labels: usize, count: i32, lr: f32, momentum: f32, decay: f32): f32 {
  memory.fill(g1, 0, <usize>(nH * nInP) * 4);
  memory.fill(gb1, 0, <usize>nHP * 4);
  memory.fill(g2, 0, <usize>(C * nHP) * 4);
  memory.fill(gb2, 0, <usize>C * 4);
  let loss: f32 = 0;
  correct = 0;
  for (let s = 0; s < count; s++) {
    const x = batch + <usize>(s * nInP) * 4;
    const label = load<i32>(labels + ((<usize>s) << 2));
    if (forwardOne(x) === label) correct++;
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
    memory.fill(gh, 0, <usize>nHP * 4);
    for (let c = 0; c < C; c++) {
      const d = load<f32>(prob + ((<usize>c) << 2));
      store<f32>(gb2 + ((<usize>c) << 2), load<f32>(gb2 + ((<usize>c) << 2)) + d);
      axpy(g2 + <usize>(c * nHP) * 4, hid, d, nHP);
      axpy(gh, w2 + <usize>(c * nHP) * 4, d, nHP);
    }
    for (let j = 0; j < nH; j++) {
      if (load<f32>(hid + ((<usize>j) << 2)) <= 0) continue;
      const gj = load<f32>(gh + ((<usize>j) << 2));
      store<f32>(gb1 + ((<usize>j) << 2), load<f32>(gb1 + ((<usize>j) << 2)) + gj);
      axpy(g1 + <usize>(j * nInP) * 4, x, gj, nInP);
    }
  }
  const scale: f32 = 1 / <f32>count;
  update(w1, v1, g1, nH * nInP, lr, momentum, decay, scale);
  update(b1, vb1, gb1, nHP, lr, momentum, 0, scale);
  update(w2, v2, g2, C * nHP, lr, momentum, decay, scale);
  update(b2, vb2, gb2, C, lr, momentum, 0, scale);
  return loss;
}
