// Polarity: light-on-dark plates (white on blue, gold on black) are read by inverting the frame and
// segmenting the same candidates again (the localiser counts rising and falling edges alike, so its
// candidates do not change).

/** Inverts n grey bytes at p in place (v → 255 − v): a frame, or the plate patches cut from one. */
export function invertBytes(p: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const ones = i8x16.splat(-1);
    for (; i + 16 <= n; i += 16) v128.store(p + <usize>i, v128.xor(v128.load(p + <usize>i), ones));
  }
  for (; i < n; i++) store<u8>(p + <usize>i, ~load<u8>(p + <usize>i));
}
