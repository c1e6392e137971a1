// Segmentation diagnosis on EVAL stills: for every whole plate not read exactly, compares the
// segmenter's character boxes with the generator's per-character truth and names the loss:
//   not-localised   no localiser candidate covers the plate
//   no-segment      candidates cover it but segmentation finds fewer than two characters
//   fewer / more    segmentation finds fewer / more characters than the plate has
//   misplaced       the count is right but a box misses its character (IoU < 0.5 in crop pixels)
//   misclassified   every box sits on its character, the read is still wrong
// Usage: npx tsx scripts/diagnose-stills.ts [--from 0] [--count 100] [--dump DIR] [--list] [--eu]
// --eu diagnoses the European EVAL stills (evalEuStill, read with --region any) instead of the UK ones;
// --train the UK stills of TRAIN seeds 950,000 + i (scripts/train-stills.ts) instead of EVAL ones.
// --false also lists (and dumps) confident reads (>= 0.6) that are on no plate.
// --dump writes crop (top) and binary image (bottom) PNGs per lost plate: segmenter boxes red, truth green,
// pieces segmentation dropped blue (their reasons in --list).
import { mkdirSync } from "node:fs";
import { parseArgs } from "node:util";
import { Recogniser } from "../src/recognition/recogniser.js";
import { evalEuStill, evalStill, iou, trainStill } from "../test/recognition-fixtures.js";
import {
  type Box4,
  ctx,
  dump,
  localiseFrame,
  memory,
  seg,
  segmentAt,
  segmentCandidate,
  truthInCrop,
} from "./diagnose-lib.js";

const { values } = parseArgs({
  options: {
    from: { type: "string", default: "0" },
    count: { type: "string", default: "100" },
    dump: { type: "string" },
    list: { type: "boolean", default: false },
    false: { type: "boolean", default: false },
    eu: { type: "boolean", default: false },
    train: { type: "boolean", default: false },
  },
});
const from = Number(values.from);
const count = Number(values.count);
const rec = Recogniser.create({ region: values.eu ? "any" : "gb", topCandidates: 5 });

const buckets = new Map<string, number>();
const bump = (k: string) => buckets.set(k, (buckets.get(k) ?? 0) + 1);
let plates = 0;
let exact = 0;
if (values.dump) mkdirSync(values.dump, { recursive: true });

for (let i = from; i < from + count; i++) {
  const still = values.eu ? evalEuStill(i) : values.train ? trainStill(i) : evalStill(i);
  const reads = rec.readImage(still.grey, still.width, still.height);
  const cands = localiseFrame(still.grey, still.width, still.height);
  for (const r of values.false ? reads : []) {
    if (r.confidence < 0.6 || still.plates.some((p) => p.text === r.plate)) continue;
    bump("false-read");
    const near = still.plates.find((p) => iou(r.box, p.box) > 0.2);
    if (values.list) {
      process.stdout.write(
        `${i}\tfalse-read\t${r.plate}\t${r.confidence.toFixed(2)}\tbox=${r.box.join(",")}\t${near ? `on ${near.text}${near.whole ? "" : " (part)"}` : "off any plate"}\n`,
      );
    }
    for (let k = 0; values.dump && k < cands.length; k++) {
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
    const best = segmentAt(still.width, still.height, cands, p.box);
    let bucket: string;
    let detail = "";
    let truth: Box4[] = [];
    if (!best) bucket = "not-localised";
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
