// A tiny module the host loads at start-up (and `kestrel doctor` reports on) to prove the wasm toolchain
// works on this machine and to tell which features the release build was compiled with.

/** 1 when this build was compiled with SIMD (ASC_FEATURE_SIMD), else 0. */
export function simdEnabled(): i32 {
  return ASC_FEATURE_SIMD ? 1 : 0;
}

/** Sum of `length` bytes at `ptr`, SIMD where available; used to check memory access end to end. */
export function byteSum(ptr: usize, length: i32): u32 {
  let sum: u32 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    let acc = i32x4.splat(0);
    for (; i + 16 <= length; i += 16) {
      const v = v128.load(ptr + <usize>i);
      // widen u8 -> u16 pairwise, then u16 -> u32 pairwise
      acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(v)));
    }
    sum = <u32>(
      (i32x4.extract_lane(acc, 0) +
        i32x4.extract_lane(acc, 1) +
        i32x4.extract_lane(acc, 2) +
        i32x4.extract_lane(acc, 3))
    );
  }
  for (; i < length; i++) sum += load<u8>(ptr + <usize>i);
  return sum;
}
