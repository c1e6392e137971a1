// The part both training kernels share (train-mlp.ts, train-cnn.ts): the dense head (one ReLU hidden
// layer, 36 softmax outputs), softmax cross-entropy (label 36 = not a character: trained towards equal
// scores for all classes), minibatch SGD with momentum and weight decay, and the SIMD loops they run on.
// Compiled only into those kernels (never into a shipped module).
// Layout: w1 f32 [H][pad4(nIn)], w2 f32 [36][pad4(H)], each with bias, velocity and gradient arrays.
// A batch: denseBatchStart, then per sample denseForward and denseBackward, then denseBatchEnd.

const C: i32 = 36;

let nIn: i32 = 0;
let nInP: i32 = 0;
let nH: i32 = 0;
let nHP: i32 = 0;
let inputStride: i32 = 0;
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
let loss: f32 = 0;

export function pad4(n: i32): i32 {
  return (n + 3) & ~3;
}

/** `count` zeroed f32. */
export function zeros(count: i32): usize {
  const p = heap.alloc(<usize>count * 4);
  memory.fill(p, 0, <usize>count * 4);
  return p;
}

/** Σ a[i] · b[i] over n (multiple of 4), in four lanes summed at the end. */
export function dot(a: usize, b: usize, n: i32): f32 {
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
export function axpy(dst: usize, src: usize, k: f32, n: i32): void {
  const kv = f32x4.splat(k);
  for (let i = 0; i < n; i += 4) {
    const off = (<usize>i) << 2;
    v128.store(dst + off, f32x4.add(v128.load(dst + off), f32x4.mul(kv, v128.load(src + off))));
  }
}

/** One SGD step with momentum on n (multiple of 4) weights: v = m · v − lr · (g · scale + decay · w); w += v. */
export function update(
  w: usize,
  v: usize,
  g: usize,
  n: i32,
  lr: f32,
  momentum: f32,
  decay: f32,
  scale: f32,
): void {
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
 * Allocates the dense head for `inputs` inputs and `hidden` units (weights zero: the host writes them);
 * the host's batch buffer holds inputs `stride` f32 apart.
 */
export function denseInit(inputs: i32, hidden: i32, stride: i32): void {
  nIn = inputs;
  nInP = pad4(inputs);
  nH = hidden;
  nHP = pad4(hidden);
  inputStride = stride;
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

export function denseW1(): usize {
  return w1;
}
export function denseB1(): usize {
  return b1;
}
export function denseW2(): usize {
  return w2;
}
export function denseB2(): usize {
  return b2;
}
export function denseProbs(): usize {
  return prob;
}
/** Correct top-1 answers in the last trainBatch call. */
export function trainCorrect(): i32 {
  return correct;
}
/** Host buffer for a batch: room for `count` inputs (stride f32 each) then `count` i32 labels. */
export function trainBatchAlloc(count: i32): usize {
  return heap.alloc(<usize>(count * inputStride + count) * 4);
}
/** Address of sample s of a batch at `batch`. */
export function batchInput(batch: usize, s: i32): usize {
  return batch + <usize>(s * inputStride) * 4;
}

/** Forward pass of the dense head on x (pad4(nIn) f32); leaves hidden activations and probabilities; returns the top class. */
export function denseForward(x: usize): i32 {
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

/** Zeroes the dense head's gradients, the batch's loss and its count of correct answers. */
export function denseBatchStart(): void {
  memory.fill(g1, 0, <usize>(nH * nInP) * 4);
  memory.fill(gb1, 0, <usize>nHP * 4);
  memory.fill(g2, 0, <usize>(C * nHP) * 4);
  memory.fill(gb2, 0, <usize>C * 4);
  loss = 0;
  correct = 0;
}

/**
 * After denseForward(x) returned `best`: counts the answer, adds the cross-entropy against `label` to
 * the batch's loss and the dense head's gradients; with dx ≠ 0 writes the gradient of x (pad4(nIn) f32).
 */
export function denseBackward(x: usize, best: i32, label: i32, dx: usize): void {
  if (best === label) correct++;
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
  // Hidden layer, and the gradient of its input.
  if (dx !== 0) memory.fill(dx, 0, <usize>nInP * 4);
  for (let j = 0; j < nH; j++) {
    if (load<f32>(hid + ((<usize>j) << 2)) <= 0) continue;
    const gj = load<f32>(gh + ((<usize>j) << 2));
    store<f32>(gb1 + ((<usize>j) << 2), load<f32>(gb1 + ((<usize>j) << 2)) + gj);
    axpy(g1 + <usize>(j * nInP) * 4, x, gj, nInP);
    if (dx !== 0) axpy(dx, w1 + <usize>(j * nInP) * 4, gj, nInP);
  }
}

/** The dense head's SGD step on the gradients summed over `count` samples; returns the batch's summed cross-entropy. */
export function denseBatchEnd(count: i32, lr: f32, momentum: f32, decay: f32): f32 {
  const scale: f32 = 1 / <f32>count;
  update(w1, v1, g1, nH * nInP, lr, momentum, decay, scale);
  update(b1, vb1, gb1, nHP, lr, momentum, 0, scale);
  update(w2, v2, g2, C * nHP, lr, momentum, decay, scale);
  update(b2, vb2, gb2, C, lr, momentum, 0, scale);
  return loss;
}
