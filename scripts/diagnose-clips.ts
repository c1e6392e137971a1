// Clip diagnosis: the benchmark's EVAL clips (bench/recognition.bench.ts, same seeds and options), per
// vehicle: frames with the whole plate, frames read exactly at the plate, the most frequent per-frame
// reads at the plate, and the tracker's final reads, with exact shares by character height.
// Usage: npx tsx scripts/diagnose-clips.ts [--from 0] [--count 12] [--train] [--dump DIR --min-char-px 20]
// --train takes the clips from TRAIN seeds (900,000 + i) instead: for developing rules without looking
// at the measured clips.
// --dump draws the segmentation of misread frames whose characters are at least --min-char-px high
// (--plate: of that vehicle only).
import { mkdirSync } from "node:fs";
import { parseArgs } from "node:util";
import type { FinalRead, FrameRead } from "../src/domain/read.js";
import { decodeVideo, probeMedia } from "../src/recognition/decode.js";
import { Recogniser } from "../src/recognition/recogniser.js";
import { Tracker } from "../src/tracking/tracker.js";
import { benchClip, iou } from "../test/recognition-fixtures.js";
import { dump, localiseFrame, segmentAt } from "./diagnose-lib.js";

const { values } = parseArgs({
  options: {
    from: { type: "string", default: "0" },
    count: { type: "string", default: "12" },
    dump: { type: "string" },
    "min-char-px": { type: "string", default: "20" },
    plate: { type: "string" },
    train: { type: "boolean", default: false },
  },
});
if (values.dump) mkdirSync(values.dump, { recursive: true });
const minCharPx = Number(values["min-char-px"]);
const rec = Recogniser.create({ region: "gb", topCandidates: 5 });
let vehicles = 0;
let exact = 0;
let frameExact = 0;
let frameWhole = 0;
/** Per character-height bucket (px): frames with the whole plate, read exactly, read with no read at the plate. */
const BUCKETS = [0, 10, 12, 15, 20, 30, 1000];
const byHeight = BUCKETS.slice(1).map(() => ({ whole: 0, exact: 0, none: 0 }));
for (let i = Number(values.from); i < Number(values.from) + Number(values.count); i++) {
  const night = i % 3 === 2;
  const clip = await benchClip(i, values.train);
  const info = probeMedia(clip.path);
  const w = info.widthPx;
  const h = info.heightPx;
  const slot = new Uint8Array(rec.memory.buffer, rec.frameSlot().offset, w * h);
  const tracker = new Tracker({
    cameraId: "diag",
    topCandidates: 5,
    provisionalConfidence: 0.8,
    minConfidence: 0.6,
    engineVersion: "diag",
  });
  const perFrame: FrameRead[][] = [];
  const wanted = new Map<number, { plate: string; box: readonly number[] }[]>();
  for (const v of clip.truth.vehicles) {
    for (const f of v.frames) {
      if (!values.dump || !f.whole || f.charHeightPx < minCharPx) continue;
      if (values.plate && v.plate !== values.plate) continue;
      wanted.set(f.frame, [...(wanted.get(f.frame) ?? []), { plate: v.plate, box: f.box }]);
    }
  }
  const finals: FinalRead[] = [];
  await decodeVideo(clip.path, info, w, h, (index, pixels) => {
    slot.set(pixels);
    const reads = rec.read(w, h);
    perFrame[index] = reads;
    for (const want of wanted.get(index) ?? []) {
      const r = reads.find((x) => iou(x.box, want.box) > 0.2);
      if (r?.plate === want.plate) continue;
      const cands = localiseFrame(pixels, w, h);
      const s = segmentAt(w, h, cands, want.box);
      if (!s) continue;
      const name = `c${i}-f${index}-${want.plate}-${r?.plate ?? "none"}`;
      dump(values.dump!, name, s, []);
      const dropped = s.dropped.map((d) => `${d.reason}@${d.box.join(",")}`).join(" ");
      process.stdout.write(`  dumped ${name}: ${s.chars} boxes; dropped ${dropped || "none"}\n`);
    }
    for (const out of tracker.push(index, Math.round((index * 1000) / info.fps), reads)) {
      if (out.kind === "final") finals.push(out);
    }
  });
  finals.push(...tracker.flush());
  process.stdout.write(
    `clip ${i} (${night ? "night" : "day"}): finals ${finals.map((f) => f.plate).join(" ")}\n`,
  );
  for (const v of clip.truth.vehicles.filter((x) => x.firstFrame !== null)) {
    vehicles++;
    const hit = finals.some((f) => f.plate === v.plate);
    if (hit) exact++;
    const texts = new Map<string, number>();
    let whole = 0;
    let ok = 0;
    let maxCh = 0;
    for (const f of v.frames.filter((x) => x.whole)) {
      whole++;
      maxCh = Math.max(maxCh, f.charHeightPx);
      const r = (perFrame[f.frame] ?? []).find((x) => iou(x.box, f.box) > 0.2);
      const t = r ? r.plate : "-";
      texts.set(t, (texts.get(t) ?? 0) + 1);
      if (t === v.plate) ok++;
      const b = byHeight[BUCKETS.findIndex((x) => x > f.charHeightPx) - 1]!;
      b.whole++;
      if (t === v.plate) b.exact++;
      if (t === "-") b.none++;
    }
    frameWhole += whole;
    frameExact += ok;
    const top = [...texts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([t, n]) => `${t}:${n}`)
      .join(" ");
    process.stdout.write(
      `  ${hit ? "ok  " : "MISS"} ${v.plate} ${v.twoLine ? "2line" : "1line"} ${v.colour} max ch ${maxCh.toFixed(0)} px: exact ${ok}/${whole} frames; ${top}\n`,
    );
  }
}
process.stdout.write(
  `vehicles exact after voting ${exact}/${vehicles}; frames with the whole plate read exactly ${frameExact}/${frameWhole}\n`,
);
for (let k = 0; k < byHeight.length; k++) {
  const b = byHeight[k]!;
  process.stdout.write(
    `  chars ${BUCKETS[k]}-${BUCKETS[k + 1]} px: ${b.exact}/${b.whole} exact, ${b.none} with no read at the plate\n`,
  );
}
