// Shared by the diagnosis scripts: a second recogniser instance whose segmentation of one candidate at a
// time is read back (crop, binary image, character boxes, dropped pieces) and drawn to PNG.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { RECOGNISE_MEMORY_PAGES } from "../assembly/shared/constants.js";
import { ffmpegPath } from "../src/ingest/ffmpeg-path.js";
import type { PlateTruth } from "../src/synth/scene.js";
import { asImports, kernelModule } from "../src/wasm/module.js";

interface SegExports {
  init(w: number, h: number): number;
  frameSlot(ctx: number): number;
  localise(ctx: number, width: number, height: number, x: number, y: number, w: number, h: number): number;
  candidatesPtr(ctx: number): number;
  segmentOne(ctx: number, width: number, height: number, i: number): number;
  cropPtr(ctx: number): number;
  binPtr(ctx: number): number;
  cropWidth(ctx: number): number;
  cropHeight(ctx: number): number;
  charBoxesPtr(ctx: number): number;
  cropGeometry(ctx: number, i: number): number;
  resultsPtr(ctx: number): number;
  segmentTrace(i: number, f: number): number;
  setFitToLine(ctx: number, on: number): void;
}

/** Why segmentation dropped a piece (segmentTrace reasons). */
const DROP_REASONS = ["", "short", "solid/wide", "sliver", "past-band", "off-ground", "height", "off-run"];

export const memory = new WebAssembly.Memory({
  initial: RECOGNISE_MEMORY_PAGES,
  maximum: RECOGNISE_MEMORY_PAGES,
  shared: true,
});
export const seg = new WebAssembly.Instance(kernelModule("recognise"), asImports(memory))
  .exports as unknown as SegExports;
export const ctx = seg.init(1920, 1080);
// segment as the `gb` Recogniser does (boxes past their line cut back to it)
seg.setFitToLine(ctx, 1);

export type Box4 = [number, number, number, number];
export interface Segmentation {
  chars: number;
  boxes: Box4[];
  crop: Uint8Array;
  bin: Uint8Array;
  cw: number;
  ch: number;
  toCrop: (x: number, y: number) => [number, number];
  dropped: { box: Box4; reason: string }[];
}

export function segmentCandidate(width: number, height: number, i: number): Segmentation {
  const chars = Math.max(0, seg.segmentOne(ctx, width, height, i));
  const cw = seg.cropWidth(ctx);
  const ch = seg.cropHeight(ctx);
  const cb = new Int32Array(memory.buffer, seg.charBoxesPtr(ctx), chars * 4);
  const boxes: Box4[] = [];
  for (let k = 0; k < chars; k++) boxes.push([cb[k * 4]!, cb[k * 4 + 1]!, cb[k * 4 + 2]!, cb[k * 4 + 3]!]);
  const [cx, cy, a, s] = [0, 1, 2, 3].map((k) => seg.cropGeometry(ctx, k)) as [
    number,
    number,
    number,
    number,
  ];
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  const toCrop = (x: number, y: number): [number, number] => {
    const dx = x - cx;
    const dy = y - cy;
    return [(dx * cos + dy * sin) / s + cw / 2 - 0.5, (-dx * sin + dy * cos) / s + ch / 2 - 0.5];
  };
  const dropped: { box: Box4; reason: string }[] = [];
  for (let k = 0; seg.segmentTrace(k, 0) !== -1; k++) {
    const box = [0, 1, 2, 3].map((f) => seg.segmentTrace(k, f)) as Box4;
    dropped.push({ box, reason: DROP_REASONS[seg.segmentTrace(k, 4)] ?? "?" });
  }
  return {
    dropped,
    chars,
    boxes,
    crop: new Uint8Array(memory.buffer, seg.cropPtr(ctx), cw * ch).slice(),
    bin: new Uint8Array(memory.buffer, seg.binPtr(ctx), cw * ch).slice(),
    cw,
    ch,
    toCrop,
  };
}

/** Truth character boxes in crop coordinates (bounding boxes of the mapped cell corners). */
export function truthInCrop(p: PlateTruth, s: Segmentation): Box4[] {
  return p.chars.map((c) => {
    const q = c.corners.map(([x, y]) => s.toCrop(x, y));
    const xs = q.map((v) => v[0]);
    const ys = q.map((v) => v[1]);
    const x0 = Math.min(...xs);
    const y0 = Math.min(...ys);
    return [x0, y0, Math.max(...xs) - x0, Math.max(...ys) - y0];
  });
}

export function dump(dir: string, name: string, s: Segmentation, truth: Box4[]): void {
  const { cw, ch } = s;
  const rgb = new Uint8Array(cw * ch * 2 * 3);
  for (let i = 0; i < cw * ch; i++) {
    rgb.fill(s.crop[i]!, i * 3, i * 3 + 3);
    rgb.fill(s.bin[i] ? 0 : 255, (cw * ch + i) * 3, (cw * ch + i) * 3 + 3);
  }
  const put = (x: number, y: number, r: number, g: number, b: number) => {
    x = Math.round(x);
    y = Math.round(y);
    for (const yy of [y, y + ch]) {
      if (x < 0 || x >= cw || y < 0 || y >= ch) continue;
      const o = (yy * cw + x) * 3;
      rgb[o] = r;
      rgb[o + 1] = g;
      rgb[o + 2] = b;
    }
  };
  const rect = ([x, y, w, h]: Box4, r: number, g: number, b: number) => {
    for (let t = 0; t <= w; t++) {
      put(x + t, y, r, g, b);
      put(x + t, y + h, r, g, b);
    }
    for (let t = 0; t <= h; t++) {
      put(x, y + t, r, g, b);
      put(x + w, y + t, r, g, b);
    }
  };
  for (const t of truth) rect(t, 0, 200, 0);
  for (const d of s.dropped) rect([d.box[0], d.box[1], d.box[2] - 1, d.box[3] - 1], 0, 80, 255);
  for (const b of s.boxes) rect([b[0], b[1], b[2] - 1, b[3] - 1], 255, 0, 0);
  const raw = join(dir, `${name}.rgb`);
  writeFileSync(raw, rgb);
  execFileSync(ffmpegPath(), [
    ...["-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", `${cw}x${ch * 2}`, "-i", raw],
    ...["-vf", "scale=iw*2:ih*2:flags=neighbor", join(dir, `${name}.png`)],
  ]);
  execFileSync("rm", [raw]);
}

/** Localises the frame (already in the slot) and returns the candidates' boxes. */
export function localiseFrame(grey: Uint8Array, width: number, height: number): Box4[] {
  new Uint8Array(memory.buffer, seg.frameSlot(ctx), width * height).set(grey);
  const nc = seg.localise(ctx, width, height, 0, 0, 0, 0);
  const cand = new Int32Array(memory.buffer, seg.candidatesPtr(ctx), nc * 8);
  const out: Box4[] = [];
  for (let k = 0; k < nc; k++) out.push([cand[k * 8]!, cand[k * 8 + 1]!, cand[k * 8 + 2]!, cand[k * 8 + 3]!]);
  return out;
}

/** The segmentation the pipeline keeps for a plate box: of the candidates holding its centre, the one with most characters. */
export function segmentAt(
  width: number,
  height: number,
  cands: Box4[],
  box: readonly number[],
): Segmentation | undefined {
  const pcx = box[0]! + box[2]! / 2;
  const pcy = box[1]! + box[3]! / 2;
  let best: Segmentation | undefined;
  cands.forEach(([x, y, w, h], k) => {
    if (pcx < x || pcx > x + w || pcy < y || pcy > y + h) return;
    const s = segmentCandidate(width, height, k);
    if (!best || s.chars > best.chars) best = s;
  });
  return best;
}
