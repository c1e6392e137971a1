// Classifier top scores of the boxes `--region any` segments on the synthetic European EVAL stills, split
// into boxes that hold one of the plate's characters and boxes that hold none (band, crest, dash, mount,
// edge), by where the box sits on its line: what the read decision's score thresholds are chosen from.
// Boxes are labelled by aligning them, in order, to the true text (a box costs 1 − its score for the
// character or a look-alike, a box left out or a character missed 0.8).
// Usage: npx tsx scripts/diagnose-any-scores.ts [--from 0] [--count 600] [--weights FILE]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { CHAR_CLASSES } from "../assembly/shared/constants.js";
import { Recogniser } from "../src/recognition/recogniser.js";
import { evalEuStill, iou } from "../test/recognition-fixtures.js";

const { values } = parseArgs({
  options: {
    from: { type: "string", default: "0" },
    count: { type: "string", default: "600" },
    weights: { type: "string" },
  },
});
const line = (s: string) => process.stdout.write(`${s}\n`);
const weights = values.weights ? new Uint8Array(readFileSync(values.weights)) : undefined;
const rec = Recogniser.create({ region: "any", topCandidates: 5, ...(weights ? { weights } : {}) });

const LOOK_ALIKES = ["0OQD", "1I", "8B", "5S", "2Z", "6G", "UV", "MN"];
const alike = (c: string): string => LOOK_ALIKES.find((g) => g.includes(c)) ?? c;
const GAP = 0.8;

/** For each box, the index of the character it is aligned to, or -1 (no character). */
function align(scores: Float32Array[], text: string): number[] {
  const n = scores.length;
  const m = text.length;
  const cost = (b: number, c: number): number => {
    let p = 0;
    for (const ch of alike(text[c]!)) p += scores[b]![CHAR_CLASSES.indexOf(ch)]!;
    return 1 - Math.min(1, p);
  };
  const d = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = 1; i <= n; i++) d[i]![0] = i * GAP;
  for (let j = 1; j <= m; j++) d[0]![j] = j * GAP;
  for (let i = 1; i <= n; i++)
    for (let j = 1; j <= m; j++)
      d[i]![j] = Math.min(d[i - 1]![j - 1]! + cost(i - 1, j - 1), d[i - 1]![j]! + GAP, d[i]![j - 1]! + GAP);
  const out = new Array<number>(n).fill(-1);
  let i = n;
  let j = m;
  while (i > 0 && j > 0) {
    if (d[i]![j] === d[i - 1]![j - 1]! + cost(i - 1, j - 1)) {
      out[i - 1] = j - 1;
      i--;
      j--;
    } else if (d[i]![j] === d[i - 1]![j]! + GAP) i--;
    else j--;
  }
  return out;
}

const EDGES = [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01];
const hist = new Map<string, number[]>();
const bump = (k: string, v: number) => {
  const h = hist.get(k) ?? new Array<number>(EDGES.length - 1).fill(0);
  const b = EDGES.findIndex((e, i) => v >= e && v < EDGES[i + 1]!);
  h[b]!++;
  hist.set(k, h);
};
const top = (s: Float32Array): number => Math.max(...s);

for (let i = Number(values.from); i < Number(values.from) + Number(values.count); i++) {
  const s = evalEuStill(i);
  rec.readImage(s.grey, s.width, s.height);
  for (const p of rec.lastPlates()) {
    const truth = s.plates.find((q) => q.whole && iou(q.box, p.box) > 0.3);
    if (!truth || p.boxScores.length < 2 || p.lines !== 1) continue;
    const labels = align(p.boxScores, truth.text);
    const n = p.boxScores.length;
    labels.forEach((l, k) => {
      const where = k === 0 || k === n - 1 ? "end" : "inner";
      const kind = l >= 0 ? "char" : "none";
      bump(`${kind} ${where} n${n >= 8 ? ">=8" : n}`, top(p.boxScores[k]!));
      bump(`${kind} ${where}`, top(p.boxScores[k]!));
    });
  }
}
line(
  `top score bins: ${EDGES.slice(0, -1)
    .map((e) => e.toFixed(2))
    .join(" ")}`,
);
for (const [k, h] of [...hist].sort())
  line(`${k.padEnd(18)} ${h.map((v) => String(v).padStart(5)).join("")}  (${h.reduce((a, b) => a + b, 0)})`);

// End boxes of the kept lines: how much taller than the inner boxes, how dark their ground
const ends = new Map<string, [number, number]>();
const tally = (k: string, isChar: boolean) => {
  const v = ends.get(k) ?? [0, 0];
  v[isChar ? 0 : 1]++;
  ends.set(k, v);
};
for (let i = Number(values.from); i < Number(values.from) + Number(values.count); i++) {
  const s = evalEuStill(i);
  rec.readImage(s.grey, s.width, s.height);
  for (const p of rec.lastPlates()) {
    const truth = s.plates.find((q) => q.whole && iou(q.box, p.box) > 0.3);
    const kept = p.keptBoxes;
    if (!truth || !kept || kept.length < 5 || p.lines !== 1) continue;
    const labels = align(p.boxScores, truth.text);
    const inner = kept.slice(1, -1).map((k) => p.charBoxes[k]!);
    const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
    const medH = med(inner.map((b) => b.h));
    const maxH = Math.max(...inner.map((b) => b.h));
    const medG = med(inner.map((b) => b.groundGrey));
    for (const k of [kept[0]!, kept[kept.length - 1]!]) {
      const b = p.charBoxes[k]!;
      const isChar = labels[k]! >= 0;
      const over = b.h - maxH;
      tally(`over max ${over <= 0 ? "<=0" : over >= 4 ? ">=4" : over} px`, isChar);
      if (over >= 2 && process.env.VERBOSE)
        line(
          `  taller end: ${s.seed} ${truth.text} ${isChar ? `char ${truth.text[labels[k]!]}` : "none"} h ${b.h} inner max ${maxH} med ${medH} n ${kept.length} ${truth.glyphs}`,
        );
      const rel = (b.h - medH) / medH;
      tally(`over med ${rel < 0.04 ? "<4%" : rel < 0.08 ? "4-8%" : rel < 0.12 ? "8-12%" : ">=12%"}`, isChar);
      const g = b.groundGrey / medG;
      tally(`ground ${g < 0.5 ? "<0.5" : g < 0.7 ? "0.5-0.7" : g < 0.85 ? "0.7-0.85" : ">=0.85"}`, isChar);
    }
  }
}
line("kept end boxes (char / none):");
for (const [k, [c, n]] of [...ends].sort()) line(`  ${k.padEnd(22)} ${c} / ${n}`);
