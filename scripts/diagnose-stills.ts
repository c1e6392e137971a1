// Segmentation diagnosis on EVAL stills: for every whole plate not read exactly, compares the
// segmenter's character boxes with the generator's per-character truth and names the loss:
//   not-localised   no localiser candidate covers the plate
//   no-segment      candidates cover it but segmentation finds fewer than two characters
//   fewer / more    segmentation finds fewer / more characters than the plate has
//   misplaced       the count is right but a box misses its character (IoU < 0.5 in crop pixels)
//   misclassified   every box sits on its character, the read is still wrong
// Usage: npx tsx scripts/diagnose-stills.ts [--from 0] [--count 100] [--dump DIR] [--list]
// --false also lists (and dumps) confident reads (>= 0.6) that are on no plate.
// --dump writes crop (top) and binary image (bottom) PNGs per lost plate: segmenter boxes red, truth green,
// pieces segmentation dropped blue (their reasons in --list).
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { RECOGNISE_MEMORY_PAGES } from "../assembly/shared/constants.js";
import { ffmpegPath } from "../src/ingest/ffmpeg-path.js";
import { Recogniser } from "../src/recognition/recogniser.js";
import type { PlateTruth } from "../src/synth/scene.js";
import { evalStill, iou } from "../test/recognition-fixtures.js";

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
}

/** Why segmentation dropped a piece (segmentTrace reasons). */
const DROP_REASONS = ["", "short", "solid/wide", "sliver", "past-band", "off-ground", "height", "off-run"];

const { values } = parseArgs({
  options: {
    from: { type: "string", default: "0" },
    count: { type: "string", default: "100" },
    dump: { type: "string" },
    list: { type: "boolean", default: false },
    false: { type: "boolean", default: false },
  },
});
const from = Number(values.from);
const count = Number(values.count);

const rec = Recogniser.create({ region: "gb", topCandidates: 5 });
const memory = new WebAssembly.Memory({
  initial: RECOGNISE_MEMORY_PAGES,
  maximum: RECOGNISE_MEMORY_PAGES,
  shared: true,
});
const { kernelModule, asImports } = await import("../src/wasm/module.js");
const seg = new WebAssembly.Instance(kernelModule("recognise"), asImports(memory))
  .exports as unknown as SegExports;
const ctx = seg.init(1920, 1080);

type Box4 = [number, number, number, number];
interface Segmentation {
  chars: number;
  boxes: Box4[];
  crop: Uint8Array;
  bin: Uint8Array;
  cw: number;
  ch: number;
  toCrop: (x: number, y: number) => [number, number];
  dropped: { box: Box4; reason: string }[];
}

function segmentCandidate(width: number, height: number, i: number): Segmentation {
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
function truthInCrop(p: PlateTruth, s: Segmentation): Box4[] {
  return p.chars.map((c) => {
    const q = c.corners.map(([x, y]) => s.toCrop(x, y));
    const xs = q.map((v) => v[0]);
    const ys = q.map((v) => v[1]);
    const x0 = Math.min(...xs);
    const y0 = Math.min(...ys);
    return [x0, y0, Math.max(...xs) - x0, Math.max(...ys) - y0];
  });
}

function dump(dir: string, name: string, s: Segmentation, truth: Box4[]): void {
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

const buckets = new Map<string, number>();
const bump = (k: string) => buckets.set(k, (buckets.get(k) ?? 0) + 1);
let plates = 0;
let exact = 0;
if (values.dump) mkdirSync(values.dump, { recursive: true });

for (let i = from; i < from + count; i++) {
  const still = evalStill(i);
  const reads = rec.readImage(still.grey, still.width, still.height);
  new Uint8Array(memory.buffer, seg.frameSlot(ctx), still.width * still.height).set(still.grey);
  const nc = seg.localise(ctx, still.width, still.height, 0, 0, 0, 0);
  const cand = new Int32Array(memory.buffer, seg.candidatesPtr(ctx), nc * 8);
  for (const r of values.false ? reads : []) {
    if (r.confidence < 0.6 || still.plates.some((p) => p.text === r.plate)) continue;
    bump("false-read");
    const near = still.plates.find((p) => iou(r.box, p.box) > 0.2);
    if (values.list) {
      process.stdout.write(
        `${i}\tfalse-read\t${r.plate}\t${r.confidence.toFixed(2)}\tbox=${r.box.join(",")}\t${near ? `on ${near.text}${near.whole ? "" : " (part)"}` : "off any plate"}\n`,
      );
    }
    for (let k = 0; values.dump && k < nc; k++) {
      const s = segmentCandidate(still.width, still.height, k);
      const res = new Int32Array(memory.buffer, seg.resultsPtr(ctx) + 15 * 16 * 4, 4);
      if (s.chars >= 2 && iou([...res] as Box4, r.box) > 0.5) {
        dump(values.dump, `${i}-false-${r.plate}`, s, []);
        break;
      }
    }
  }
  for (const p of still.plates.filter((q) => q.whole)) {
    plates++;
    if (reads.some((r) => r.plate === p.text)) {
      exact++;
      continue;
    }
    const read = reads.find((r) => iou(r.box, p.box) > 0.3);
    const text = p.text.replace(/ /g, "");
    const angleDeg =
      (Math.atan2(p.corners[1][1] - p.corners[0][1], p.corners[1][0] - p.corners[0][0]) * 180) / Math.PI;
    // candidates whose box holds the plate's centre; the pipeline keeps the one with the most characters
    const pcx = p.box[0] + p.box[2] / 2;
    const pcy = p.box[1] + p.box[3] / 2;
    let best: Segmentation | undefined;
    let covering = 0;
    for (let k = 0; k < nc; k++) {
      const [x, y, w, h] = [cand[k * 8]!, cand[k * 8 + 1]!, cand[k * 8 + 2]!, cand[k * 8 + 3]!];
      if (pcx < x || pcx > x + w || pcy < y || pcy > y + h) continue;
      covering++;
      const s = segmentCandidate(still.width, still.height, k);
      if (!best || s.chars > best.chars) best = s;
    }
    let bucket: string;
    let detail = "";
    let truth: Box4[] = [];
    if (covering === 0 || !best) bucket = "not-localised";
    else {
      truth = truthInCrop(p, best);
      if (best.chars < 2) bucket = "no-segment";
      else if (best.chars < text.length) bucket = "fewer";
      else if (best.chars > text.length) bucket = "more";
      else {
        const ious = best.boxes.map((b, k) => iou(b, truth[k]!));
        const worst = Math.min(...ious);
        bucket = worst < 0.5 ? "misplaced" : "misclassified";
        detail = `worst IoU ${worst.toFixed(2)}`;
      }
      detail += ` segs ${best.chars}/${text.length}`;
      if (best.dropped.length > 0) {
        detail += ` dropped ${best.dropped.map((d) => `${d.reason}@${d.box[0]},${d.box[1]},${d.box[2]}x${d.box[3]}`).join(" ")}`;
      }
    }
    bump(bucket);
    if (values.list) {
      process.stdout.write(
        `${i}\t${bucket}\t${text}\tread=${read?.plate ?? "-"}\t${still.night ? "night" : "day"}\t${p.twoLine ? "2line" : "1line"}\t${p.colour}\tch=${p.charHeightPx.toFixed(1)}\tangle=${angleDeg.toFixed(1)}\t${detail}\n`,
      );
    }
    if (values.dump && best) dump(values.dump, `${i}-${bucket}-${text}`, best, truth);
  }
}
process.stdout.write(
  `stills ${from}..${from + count - 1}: ${exact}/${plates} exact = ${((100 * exact) / plates).toFixed(1)}%\n`,
);
for (const [k, v] of [...buckets].sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${k}: ${v}\n`);
