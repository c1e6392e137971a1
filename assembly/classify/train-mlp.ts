// Training kernel for the classifier's perceptron (one ReLU hidden layer, softmax, cross-entropy; label
// 36 = not a character, trained towards equal scores for all classes): the dense head of train-dense.ts
// on the input vector itself. Used only by scripts/train-classifier.ts, which compiles this file on its
// own (it is not part of any shipped module). Minibatch SGD with momentum and weight decay, SIMD over
// the inputs. Layout: train-dense.ts.

import {
  batchInput,
  denseBackward,
  denseBatchEnd,
  denseBatchStart,
  denseForward,
  denseInit,
  pad4,
} from "./train-dense";

export { denseB1, denseB2, denseProbs, denseW1, denseW2, trainBatchAlloc, trainCorrect } from "./train-dense";

/** Allocates every array for `inputs` inputs and `hidden` units (weights zero: the host writes them). */
export function mlpInit(inputs: i32, hidden: i32): void {
  denseInit(inputs, hidden, pad4(inputs));
}

/**
 * One SGD step on `count` inputs at `batch` (pad4(nIn) f32 each) with i32 labels at `labels`.
 * Returns the batch's summed cross-entropy; trainCorrect() gives its top-1 hits.
 */
export function trainBatch(batch: usize, labels: usize, count: i32, lr: f32, momentum: f32, decay: f32): f32 {
  denseBatchStart();
  for (let s = 0; s < count; s++) {
    const x = batchInput(batch, s);
    denseBackward(x, denseForward(x), load<i32>(labels + ((<usize>s) << 2)), 0);
  }
  return denseBatchEnd(count, lr, momentum, decay);
}
