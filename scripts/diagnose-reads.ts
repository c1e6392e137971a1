// Diagnosis of the read decision and the localiser, per frame or photo (not a benchmark: no ratios).
//   npx tsx scripts/diagnose-reads.ts stills [N] [first]   EVAL stills: localiser recall against the
//       synthetic truth (by character height and night/day), and every reported read that is on no plate
//   npx tsx scripts/diagnose-reads.ts real-eu [filter]     ../shared/data/real-eu: per photo whether the
//       plate was localised, segmented and read, bucketed
// Measurement only: nothing here is written into the repo.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Box } from "../src/domain/read.js";
import { readImageFile } from "../src/recognition/read-file.js";
import { Recogniser } from "../src/recognition/recogniser.js";
import { generateStill, seedAt, TRAIN_SEEDS } from "../src/synth/index.js";
import { evalStill, iou } from "../test/recognition-fixtures.js";

const line = (s: string) => process.stdout.write(`${s}\n`);
const centreIn = (inner: Box, outer: Box): boolean => {
  const cx = inner[0] + inner[2] / 2;
  const cy = inner[1] + inner[3] / 2;
  return cx >= outer[0] && cx <= outer[0] + outer[2] && cy >= outer[1] && cy <= outer[1] + outer[3];
};
/** A candidate covers a plate when it holds the plate's centre and spans at least half its width. */
const covers = (cand: Box, truth: Box): boolean =>
  centreIn(truth, cand) && cand[2] >= truth[2] * 0.5 && cand[2] <= truth[2] * 3;

function stills(count: number, first: number): void {
  const gb = Recogniser.create({ region: "gb", topCandidates: 5 });
  const bins = new Map<string, [number, number, number]>();
  const bump = (k: string, loc: boolean, read: boolean) => {
    const b = bins.get(k) ?? [0, 0, 0];
    b[0]++;
    if (loc) b[1]++;
    if (read) b[2]++;
    bins.set(k, b);
  };
  let falseReads = 0;
  for (let i = first; i < first + count; i++) {
    const s = evalStill(i);
    const reads = gb.readImage(s.grey, s.width, s.height);
    const cands = gb.lastCandidates();
    for (const p of s.plates.filter((q) => q.whole)) {
      const loc = cands.some((c) => covers(c, p.box));
      const read = reads.some((r) => r.plate === p.text);
      const h =
        p.charHeightPx < 10 ? "<10" : p.charHeightPx < 14 ? "10-14" : p.charHeightPx < 20 ? "14-20" : ">=20";
      bump(`${s.night ? "night" : "day"} ${h}px`, loc, read);
      if (!read && process.env.VERBOSE)
        line(
          `  miss #${i} ${p.text} h=${p.charHeightPx} w=${p.box[2]} ${loc ? "localised" : "NOT localised"} reads=[${reads.map((r) => `${r.plate}:${r.confidence.toFixed(2)}`).join(",")}]`,
        );
    }
    for (const r of reads) {
      if (r.confidence < 0.6 || s.plates.some((p) => p.text === r.plate)) continue;
      falseReads++;
      const on = s.plates.find((p) => iou(p.box, r.box) > 0.1 || centreIn(r.box, p.box));
      line(
        `false #${i} ${r.plate} conf=${r.confidence.toFixed(2)} minChar=${Math.min(...r.charConfidences).toFixed(2)} box=${r.box.join(",")} ${on ? `on plate ${on.text} (h=${on.charHeightPx}, whole=${on.whole})` : "off plate"}${s.night ? " night" : ""}`,
      );
    }
  }
  line(`false reads (>= 0.6): ${falseReads} in ${count} stills`);
  for (const [k, [n, loc, read]] of [...bins.entries()].sort())
    line(`${k.padEnd(14)} plates ${String(n).padStart(4)}  localised ${loc}  read ${read}`);
}

function realEu(filter?: string): void {
  const dir = join(process.cwd(), "..", "shared", "data", "real-eu");
  const labels = readFileSync(join(dir, "labels.tsv"), "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((l) => l.split("\t"))
    .filter((l) => !filter || l[0]!.includes(filter));
  const any = Recogniser.create({ region: "any", topCandidates: 5 });
  const buckets = new Map<string, string[]>();
  for (const [file, plate, x, y, w, h] of labels) {
    const truth: Box = [Number(x), Number(y), Number(w), Number(h)];
    const r = readImageFile(any, join(dir, "images", file!));
    const f =
      r.info.widthPx > any.maxWidthPx || r.info.heightPx > any.maxHeightPx
        ? any.maxWidthPx / r.info.widthPx
        : 1;
    const scaled = (b: Box): Box => [b[0] / f, b[1] / f, b[2] / f, b[3] / f];
    const cands = any.lastCandidates().map(scaled);
    const plates = any.lastPlates().map((p) => ({ ...p, box: scaled(p.box) }));
    const loc = cands.some((c) => covers(c, truth));
    const seg = plates.find((p) => centreIn(truth, p.box) || iou(p.box, truth) > 0.3);
    const near = r.reads.find((q) => centreIn(truth, q.box) || iou(q.box, truth) > 0.3);
    const exact = r.reads.some((q) => q.plate === plate);
    let bucket: string;
    if (exact) bucket = "exact";
    else if (!loc) bucket = "not localised";
    else if (!seg) bucket = "localised, not segmented";
    else if (!near) bucket = "segmented, no read (low confidence)";
    else if (near.plate.length !== plate!.length) bucket = "read, wrong length";
    else bucket = "read, wrong characters";
    const list = buckets.get(bucket) ?? [];
    list.push(file!);
    buckets.set(bucket, list);
    line(
      `${file!.padEnd(13)} ${plate!.padEnd(9)} ${bucket.padEnd(36)} plate ${truth[2]}x${truth[3]} cands=${cands.length} seg=${seg ? `${seg.chars}ch` : "-"} near=${near ? `${near.plate}:${near.confidence.toFixed(2)}` : "-"} reads=[${r.reads
        .slice(0, 3)
        .map((q) => `${q.plate}:${q.confidence.toFixed(2)}`)
        .join(",")}]`,
    );
  }
  for (const [k, v] of [...buckets.entries()].sort((a, b) => b[1].length - a[1].length))
    line(`${k.padEnd(36)} ${v.length}`);
}

/** Evidence of every confident segmented run on TRAIN-range stills (never the measured EVAL seeds). */
function evidence(count: number, first: number): void {
  const gb = Recogniser.create({ region: "gb", topCandidates: 5, minReadConfidence: 0 });
  line("label\tconf\tplate\tchars\tlines\tcharH\tspread\tbase\tmaxGap\tgapInk\tcontrast\trejected");
  for (let i = first; i < first + count; i++) {
    const s = generateStill(seedAt(TRAIN_SEEDS, 700_000 + i));
    gb.readImage(s.grey, s.width, s.height);
    for (const p of gb.lastPlates()) {
      if (!p.plate || (p.confidence ?? 0) < 0.5) continue;
      const truth = s.plates.find((q) => q.text === p.plate);
      const on = s.plates.find((q) => iou(q.box, p.box) > 0.1 || centreIn(p.box, q.box));
      const label = truth ? "true" : on ? "onplate" : "off";
      const e = p.evidence;
      line(
        [
          label,
          p.confidence!.toFixed(2),
          p.plate,
          e.chars,
          e.lines,
          e.charHeightPx,
          e.heightSpreadPermille,
          e.baselinePermille,
          e.maxGapPermille,
          e.gapInkPermille,
          e.contrastPct,
          p.rejected ?? "",
        ].join("\t"),
      );
    }
  }
}

const [mode, a, b] = process.argv.slice(2);
if (mode === "evidence") evidence(Number(a ?? 100), Number(b ?? 0));
else if (mode === "stills") stills(Number(a ?? 50), Number(b ?? 0));
else if (mode === "real-eu") realEu(a);
else line("usage: diagnose-reads.ts stills [N] [first] | real-eu [filter]");
