// Segmentation diagnosis on ../shared/data/real-eu (measuring only, never training): per labelled plate
// not read exactly with --region any, the segmentation at the labelled box: not-localised, fewer or more
// characters than the label, or the right count but misread.
// Usage: npx tsx scripts/diagnose-real.ts [--list] [--dump DIR]
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { decodeImage, fitSize, probeMedia } from "../src/recognition/decode.js";
import { Recogniser } from "../src/recognition/recogniser.js";
import { dump, localiseFrame, segmentAt } from "./diagnose-lib.js";

const { values } = parseArgs({
  options: { list: { type: "boolean", default: false }, dump: { type: "string" } },
});
const REAL_EU = join(process.cwd(), "..", "shared", "data", "real-eu");
const labels = readFileSync(join(REAL_EU, "labels.tsv"), "utf8")
  .trim()
  .split("\n")
  .slice(1)
  .map((l) => l.split("\t"));
if (values.dump) mkdirSync(values.dump, { recursive: true });
const rec = Recogniser.create({ region: "any", topCandidates: 5 });
const buckets = new Map<string, number>();
let exact = 0;
for (const [file, plate, x, y, w, h] of labels) {
  const path = join(REAL_EU, "images", file!);
  const info = probeMedia(path);
  const [fw, fh] = fitSize(info, rec.maxWidthPx, rec.maxHeightPx);
  const f = fw / info.widthPx;
  const grey = decodeImage(path, info, fw, fh);
  const reads = rec.readImage(grey, fw, fh);
  if (reads.some((r) => r.plate === plate)) {
    exact++;
    continue;
  }
  const box = [Number(x) * f, Number(y) * f, Number(w) * f, Number(h) * f];
  const s = segmentAt(fw, fh, localiseFrame(grey, fw, fh), box);
  const n = plate!.length;
  const bucket = !s
    ? "not-localised"
    : s.chars < 2
      ? "no-segment"
      : s.chars < n
        ? "fewer"
        : s.chars > n
          ? "more"
          : "misread";
  buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1);
  const near = reads.find((r) => Math.abs(r.box[0] + r.box[2] / 2 - (box[0]! + box[2]! / 2)) < box[2]! / 2);
  if (values.list) {
    const dropped = s?.dropped.map((d) => d.reason).join(",") ?? "";
    process.stdout.write(
      `${file}\t${bucket}\t${plate}\tread=${near?.plate ?? "-"}\tsegs ${s?.chars ?? "-"}/${n}\tplate h ${box[3]!.toFixed(0)} px\t${dropped}\n`,
    );
  }
  if (values.dump && s) dump(values.dump, `${file}-${bucket}-${plate}-${near?.plate ?? "none"}`, s, []);
}
process.stdout.write(`real-eu: ${exact}/${labels.length} exact\n`);
for (const [k, v] of [...buckets].sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${k}: ${v}\n`);
