// Convolution layers of the character classifier, shared by the inference kernel (classifier.ts) and
// the training kernel (train-cnn.ts) so both compute the same sums in the same order.
//
// Layouts (f32, channels last, channel counts multiples of 8):
//  - a padded map of h × w pixels and c channels: (h + 2) × (w + 2) × c, a zero border one pixel wide,
//    pixel (y, x) at ((y + 1) · (w + 2) + x + 1) · c: "same" 3 × 3 convolutions read it without bounds checks;
//  - a plain map: h × w × c, pixel (y, x) at (y · w + x) · c;
//  - 3 × 3 weights: [tap = ky · 3 + kx][cIn][cOut] (cOut fastest, so four output channels are one v128),
//    bias [cOut].
// One conv layer = 3 × 3 convolution + bias + ReLU, then 2 × 2 max pooling (h and w even).

/** Output channels computed together: two v128 accumulators. */
export const CONV_BLOCK: i32 = 8;

/**
 * dst (plain h × w × cOut) = ReLU(bias + 3 × 3 convolution of src (padded h × w × cIn) with wt).
 * cOut is a multiple of CONV_BLOCK.
 */
export function conv3x3Relu(
  src: usize,
  h: i32,
  w: i32,
  cIn: i32,
  wt: usize,
  bias: usize,
  cOut: i32,
  dst: usize,
): void {
  if (ASC_FEATURE_SIMD && cIn === 1 && (w & 3) === 0) {
    conv3x3ReluOneChannel(src, h, w, wt, bias, cOut, dst);
    return;
  }
  const rowPitch = (w + 2) * cIn;
  const tapStride = cIn * cOut;
  for (let y = 0; y < h; y++) {
    let x = 0;
    if (ASC_FEATURE_SIMD && (cOut & 15) === 0) {
      // Two pixels side by side, sixteen output channels: each weight load serves both pixels.
      for (; x + 2 <= w; x += 2) {
        const at = src + ((<usize>(y * rowPitch + x * cIn)) << 2);
        const out = dst + ((<usize>((y * w + x) * cOut)) << 2);
        for (let co = 0; co < cOut; co += 16) {
          const bq = bias + ((<usize>co) << 2);
          let a0 = v128.load(bq);
          let a1 = v128.load(bq, 16);
          let a2 = v128.load(bq, 32);
          let a3 = v128.load(bq, 48);
          let b0 = a0;
          let b1 = a1;
          let b2 = a2;
          let b3 = a3;
          const wBase = wt + ((<usize>co) << 2);
          for (let ky = 0; ky < 3; ky++) {
            for (let kx = 0; kx < 3; kx++) {
              const px = at + ((<usize>(ky * rowPitch + kx * cIn)) << 2);
              const wTap = wBase + ((<usize>((ky * 3 + kx) * tapStride)) << 2);
              for (let ci = 0; ci < cIn; ci++) {
                const q = px + ((<usize>ci) << 2);
                const u = f32x4.splat(load<f32>(q));
                const v = f32x4.splat(load<f32>(q + ((<usize>cIn) << 2)));
                const wp = wTap + ((<usize>(ci * cOut)) << 2);
                const w0 = v128.load(wp);
                const w1 = v128.load(wp, 16);
                const w2 = v128.load(wp, 32);
                const w3 = v128.load(wp, 48);
                a0 = f32x4.add(a0, f32x4.mul(u, w0));
                a1 = f32x4.add(a1, f32x4.mul(u, w1));
                a2 = f32x4.add(a2, f32x4.mul(u, w2));
                a3 = f32x4.add(a3, f32x4.mul(u, w3));
                b0 = f32x4.add(b0, f32x4.mul(v, w0));
                b1 = f32x4.add(b1, f32x4.mul(v, w1));
                b2 = f32x4.add(b2, f32x4.mul(v, w2));
                b3 = f32x4.add(b3, f32x4.mul(v, w3));
              }
            }
          }
          const zero = f32x4.splat(0);
          const o = out + ((<usize>co) << 2);
          v128.store(o, f32x4.max(a0, zero));
          v128.store(o, f32x4.max(a1, zero), 16);
          v128.store(o, f32x4.max(a2, zero), 32);
          v128.store(o, f32x4.max(a3, zero), 48);
          const o2 = o + ((<usize>cOut) << 2);
          v128.store(o2, f32x4.max(b0, zero));
          v128.store(o2, f32x4.max(b1, zero), 16);
          v128.store(o2, f32x4.max(b2, zero), 32);
          v128.store(o2, f32x4.max(b3, zero), 48);
        }
      }
    }
    for (; x < w; x++) {
      const at = src + ((<usize>(y * rowPitch + x * cIn)) << 2);
      const out = dst + ((<usize>((y * w + x) * cOut)) << 2);
      let co = 0;
      if (ASC_FEATURE_SIMD) {
        // Sixteen output channels at a time where they divide (four accumulators per input load), then eight.
        for (; co + 16 <= cOut; co += 16) {
          const wBase = wt + ((<usize>co) << 2);
          let a0 = v128.load(bias + ((<usize>co) << 2));
          let a1 = v128.load(bias + ((<usize>co) << 2), 16);
          let a2 = v128.load(bias + ((<usize>co) << 2), 32);
          let a3 = v128.load(bias + ((<usize>co) << 2), 48);
          for (let ky = 0; ky < 3; ky++) {
            for (let kx = 0; kx < 3; kx++) {
              const px = at + ((<usize>(ky * rowPitch + kx * cIn)) << 2);
              const wTap = wBase + ((<usize>((ky * 3 + kx) * tapStride)) << 2);
              for (let ci = 0; ci < cIn; ci++) {
                const v = f32x4.splat(load<f32>(px + ((<usize>ci) << 2)));
                const wp = wTap + ((<usize>(ci * cOut)) << 2);
                a0 = f32x4.add(a0, f32x4.mul(v, v128.load(wp)));
                a1 = f32x4.add(a1, f32x4.mul(v, v128.load(wp, 16)));
                a2 = f32x4.add(a2, f32x4.mul(v, v128.load(wp, 32)));
                a3 = f32x4.add(a3, f32x4.mul(v, v128.load(wp, 48)));
              }
            }
          }
          const zero = f32x4.splat(0);
          const o = out + ((<usize>co) << 2);
          v128.store(o, f32x4.max(a0, zero));
          v128.store(o, f32x4.max(a1, zero), 16);
          v128.store(o, f32x4.max(a2, zero), 32);
          v128.store(o, f32x4.max(a3, zero), 48);
        }
      }
      for (; co < cOut; co += CONV_BLOCK) {
        const wBase = wt + ((<usize>co) << 2);
        if (ASC_FEATURE_SIMD) {
          let a0 = v128.load(bias + ((<usize>co) << 2));
          let a1 = v128.load(bias + ((<usize>co) << 2), 16);
          for (let ky = 0; ky < 3; ky++) {
            for (let kx = 0; kx < 3; kx++) {
              const px = at + ((<usize>(ky * rowPitch + kx * cIn)) << 2);
              const wTap = wBase + ((<usize>((ky * 3 + kx) * tapStride)) << 2);
              for (let ci = 0; ci < cIn; ci++) {
                const v = f32x4.splat(load<f32>(px + ((<usize>ci) << 2)));
                const wp = wTap + ((<usize>(ci * cOut)) << 2);
                a0 = f32x4.add(a0, f32x4.mul(v, v128.load(wp)));
                a1 = f32x4.add(a1, f32x4.mul(v, v128.load(wp, 16)));
              }
            }
          }
          const zero = f32x4.splat(0);
          v128.store(out + ((<usize>co) << 2), f32x4.max(a0, zero));
          v128.store(out + ((<usize>co) << 2), f32x4.max(a1, zero), 16);
        } else {
          // Four output channels at a time in locals (the SIMD lanes' sums in the same order).
          for (let k = 0; k < CONV_BLOCK; k += 4) {
            const bq = bias + ((<usize>(co + k)) << 2);
            let s0 = load<f32>(bq);
            let s1 = load<f32>(bq, 4);
            let s2 = load<f32>(bq, 8);
            let s3 = load<f32>(bq, 12);
            for (let ky = 0; ky < 3; ky++) {
              for (let kx = 0; kx < 3; kx++) {
                const px = at + ((<usize>(ky * rowPitch + kx * cIn)) << 2);
                const wTap = wBase + ((<usize>((ky * 3 + kx) * tapStride + k)) << 2);
                for (let ci = 0; ci < cIn; ci++) {
                  const v = load<f32>(px + ((<usize>ci) << 2));
                  const wp = wTap + ((<usize>(ci * cOut)) << 2);
                  s0 += v * load<f32>(wp);
                  s1 += v * load<f32>(wp, 4);
                  s2 += v * load<f32>(wp, 8);
                  s3 += v * load<f32>(wp, 12);
                }
              }
            }
            const oq = out + ((<usize>(co + k)) << 2);
            store<f32>(oq, max<f32>(s0, 0));
            store<f32>(oq, max<f32>(s1, 0), 4);
            store<f32>(oq, max<f32>(s2, 0), 8);
            store<f32>(oq, max<f32>(s3, 0), 12);
          }
        }
      }
    }
  }
}

/**
 * conv3x3Relu for a one-channel input (the first layer, on the glyph grid), w a multiple of 4: four
 * pixels side by side and eight output channels per pass, so each tap's two weight vectors serve four
 * pixels (the general loop reloads them per pixel, and runs a one-iteration channel loop per tap).
 * Each output sums bias + taps in the same order as the general loop: the same floats.
 */
function conv3x3ReluOneChannel(
  src: usize,
  h: i32,
  w: i32,
  wt: usize,
  bias: usize,
  cOut: i32,
  dst: usize,
): void {
  const rowPitch = w + 2;
  const zero = f32x4.splat(0);
  for (let co = 0; co < cOut; co += CONV_BLOCK) {
    const bq = bias + ((<usize>co) << 2);
    const bias0 = v128.load(bq);
    const bias1 = v128.load(bq, 16);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x += 4) {
        let a0 = bias0;
        let a1 = bias1;
        let b0 = bias0;
        let b1 = bias1;
        let c0 = bias0;
        let c1 = bias1;
        let d0 = bias0;
        let d1 = bias1;
        for (let ky = 0; ky < 3; ky++) {
          for (let kx = 0; kx < 3; kx++) {
            const px = src + ((<usize>((y + ky) * rowPitch + x + kx)) << 2);
            const wp = wt + ((<usize>((ky * 3 + kx) * cOut + co)) << 2);
            const w0 = v128.load(wp);
            const w1 = v128.load(wp, 16);
            const p0 = f32x4.splat(load<f32>(px));
            a0 = f32x4.add(a0, f32x4.mul(p0, w0));
            a1 = f32x4.add(a1, f32x4.mul(p0, w1));
            const p1 = f32x4.splat(load<f32>(px, 4));
            b0 = f32x4.add(b0, f32x4.mul(p1, w0));
            b1 = f32x4.add(b1, f32x4.mul(p1, w1));
            const p2 = f32x4.splat(load<f32>(px, 8));
            c0 = f32x4.add(c0, f32x4.mul(p2, w0));
            c1 = f32x4.add(c1, f32x4.mul(p2, w1));
            const p3 = f32x4.splat(load<f32>(px, 12));
            d0 = f32x4.add(d0, f32x4.mul(p3, w0));
            d1 = f32x4.add(d1, f32x4.mul(p3, w1));
          }
        }
        const o = dst + ((<usize>((y * w + x) * cOut + co)) << 2);
        const step = (<usize>cOut) << 2;
        v128.store(o, f32x4.max(a0, zero));
        v128.store(o, f32x4.max(a1, zero), 16);
        v128.store(o + step, f32x4.max(b0, zero));
        v128.store(o + step, f32x4.max(b1, zero), 16);
        v128.store(o + 2 * step, f32x4.max(c0, zero));
        v128.store(o + 2 * step, f32x4.max(c1, zero), 16);
        v128.store(o + 3 * step, f32x4.max(d0, zero));
        v128.store(o + 3 * step, f32x4.max(d1, zero), 16);
      }
    }
  }
}

/**
 * 2 × 2 max pooling of src (plain h × w × c) into dst: pooled pixel (py, px) at dst + (py · pitch +
 * px · c) floats, so dst can be the first interior pixel of a padded map (pitch (w / 2 + 2) · c) or a
 * plain map (pitch (w / 2) · c).
 */
export function maxPool2(src: usize, h: i32, w: i32, c: i32, dst: usize, pitch: i32): void {
  const ph = h >> 1;
  const pw = w >> 1;
  const rowPitch = w * c;
  for (let py = 0; py < ph; py++) {
    for (let px = 0; px < pw; px++) {
      const a = src + ((<usize>(2 * py * rowPitch + 2 * px * c)) << 2);
      const b = a + ((<usize>rowPitch) << 2);
      const o = dst + ((<usize>(py * pitch + px * c)) << 2);
      for (let k = 0; k < c; k += 4) {
        const off = (<usize>k) << 2;
        if (ASC_FEATURE_SIMD) {
          const top = f32x4.max(v128.load(a + off), v128.load(a + off + ((<usize>c) << 2)));
          const bottom = f32x4.max(v128.load(b + off), v128.load(b + off + ((<usize>c) << 2)));
          v128.store(o + off, f32x4.max(top, bottom));
        } else {
          for (let j: usize = 0; j < 16; j += 4) {
            const top = max(load<f32>(a + off + j), load<f32>(a + off + ((<usize>c) << 2) + j));
            const bottom = max(load<f32>(b + off + j), load<f32>(b + off + ((<usize>c) << 2) + j));
            store<f32>(o + off + j, max(top, bottom));
          }
        }
      }
    }
  }
}
