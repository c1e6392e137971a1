// Stand-in for the classifier until the ocr branch lands: uniform scores.
import { CHAR_CLASS_COUNT } from "./shared/constants";

export function classifierInit(weightsPtr: usize, weightsBytes: i32): i32 {
  return 0;
}

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
  for (let i = 0; i < CHAR_CLASS_COUNT; i++) store<f32>(out + (<usize>i << 2), 1.0 / <f32>CHAR_CLASS_COUNT);
}
