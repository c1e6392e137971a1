import type { Point } from "./warp.js";

/**
 * A pinhole camera on a pole over a straight, flat road. World: X right, Y up, Z along the road away
 * from the camera, metres; the camera stands at (xM, heightM, 0), pitched down by `tiltRad` and rolled
 * by `rollRad` about its axis. Image: x right, y down, pixels.
 */
export interface Camera {
  widthPx: number;
  heightPx: number;
  /** Focal length in pixels. */
  focalPx: number;
  xM: number;
  heightM: number;
  tiltRad: number;
  rollRad: number;
}

export function project(cam: Camera, X: number, Y: number, Z: number): Point {
  const st = Math.sin(cam.tiltRad);
  const ct = Math.cos(cam.tiltRad);
  const x = X - cam.xM;
  const y = Y - cam.heightM;
  const zc = -y * st + Z * ct;
  const yc = -y * ct - Z * st;
  const u = (cam.focalPx * x) / zc;
  const v = (cam.focalPx * yc) / zc;
  const sr = Math.sin(cam.rollRad);
  const cr = Math.cos(cam.rollRad);
  return [cam.widthPx / 2 + u * cr - v * sr, cam.heightPx / 2 + u * sr + v * cr];
}

/** Depth along the optical axis (metres) of a world point: pixel size of 1 m there is focalPx / depth. */
export function depth(cam: Camera, Y: number, Z: number): number {
  return -(Y - cam.heightM) * Math.sin(cam.tiltRad) + Z * Math.cos(cam.tiltRad);
}

/** The road point (X, Z) seen at pixel (px, py), or undefined above the horizon. */
export function groundAt(cam: Camera, px: number, py: number): [number, number] | undefined {
  const sr = Math.sin(cam.rollRad);
  const cr = Math.cos(cam.rollRad);
  const dx = px - cam.widthPx / 2;
  const dy = py - cam.heightPx / 2;
  const u = (dx * cr + dy * sr) / cam.focalPx;
  const v = (-dx * sr + dy * cr) / cam.focalPx;
  const st = Math.sin(cam.tiltRad);
  const ct = Math.cos(cam.tiltRad);
  // ray = u*right + v*down + forward; down = (0,-ct,-st), forward = (0,-st,ct)
  const ry = -v * ct - st;
  const rz = -v * st + ct;
  if (ry >= -1e-6) return undefined;
  const t = cam.heightM / -ry;
  return [cam.xM + t * u, t * rz];
}
