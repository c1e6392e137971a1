// Bilinear resampling of a rotated, scaled rectangle of a grey image: deskews a plate candidate into a
// crop and cuts the plate patch. Out-of-image samples clamp to the nearest edge pixel.

/**
 * Fills dst (dw × dh, stride dw) so that dst(u, v) = src(centre + scale·R(angle)·(u − dw/2, v − dh/2)),
 * src being sw × sh with stride sw; u8 in, u8 out.
 */
export function sampleRotated(
  src: usize,
  sw: i32,
  sh: i32,
  cx: f32,
  cy: f32,
  angle: f32,
  scale: f32,
  dst: usize,
  dw: i32,
  dh: i32,
): void {
  const c = Mathf.cos(angle) * scale;
  const s = Mathf.sin(angle) * scale;
  const hw = <f32>dw * 0.5 - 0.5;
  const hh = <f32>dh * 0.5 - 0.5;
  const maxX = <f32>(sw - 1) - 0.001;
  const maxY = <f32>(sh - 1) - 0.001;
  for (let v = 0; v < dh; v++) {
    const dv = <f32>v - hh;
    let X = cx - hw * c - dv * s;
    let Y = cy - hw * s + dv * c;
    const d = dst + <usize>(v * dw);
    for (let u = 0; u < dw; u++) {
      let xx = X;
      let yy = Y;
      if (xx < 0) xx = 0;
      if (xx > maxX) xx = maxX;
      if (yy < 0) yy = 0;
      if (yy > maxY) yy = maxY;
      const ix = <i32>xx;
      const iy = <i32>yy;
      const fx = xx - <f32>ix;
      const fy = yy - <f32>iy;
      const p = src + <usize>(iy * sw + ix);
      const a = <f32>load<u8>(p);
      const b = <f32>load<u8>(p, 1);
      const e = <f32>load<u8>(p + <usize>sw);
      const f = <f32>load<u8>(p + <usize>sw, 1);
      const top = a + (b - a) * fx;
      const bot = e + (f - e) * fx;
      store<u8>(d + <usize>u, <u8>(<i32>(top + (bot - top) * fy + 0.5)));
      X += c;
      Y += s;
    }
  }
}
