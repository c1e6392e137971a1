// Character classifier benchmark: accuracy on real UK characters (../shared/data/uk-chars, measurement
// only) and on held-out synthetic characters (EVAL seeds), plates read from the generator's true
// character boxes through the UK syntax, and time per character in wasm (SIMD and scalar) against the
// same model in JS measured in the same run. Timings on a shared machine are noisy: read the ratios.
import { CHAR_CLASSES } from "../assembly/shared/constants.js";
import { loadClassifierWeights, WasmClassifier } from "../src/recognition/classifier.js";
import { evalGlyphs, loadUkChars, measureAccuracy } from "../src/recognition/classify-measure.js";
import { parseWeights, ReferenceClassifier } from "../src/recognition/classify-reference.js";
import { type GlyphSample, junkSample } from "../src/recognition/classify-samples.js";
import { bestPlates } from "../src/recognition/syntax.js";
import { EVAL_SEEDS, seedAt } from "../src/synth/seeds.js";
import { generatePlateCrop } from "../src/synth/still.js";

const weights = loadClassifierWeights();
const simd = new WasmClassifier(weights, 1 << 20, true);
const scalar = new WasmClassifier(weights, 1 << 20, false);
const js = new ReferenceClassifier(parseWeights(weights));

function wasmClassify(c: WasmClassifier) {
  return (s: GlyphSample): Float32Array => {
    c.setImage(s.grey);
    return c.classify(s.width, s.box, s.inverted);
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
/** uk-chars has no "I" and shows "O" and "0" as the same shape: the strict figure and the look-alike one. */
const LOOK_ALIKE: Record<string, string> = { O: "0", I: "1" };

const uk = loadUkChars();
if (uk) {
  const r = measureAccuracy(uk, wasmClassify(simd));
  let lookAlikeRight = 0;
  const cls = wasmClassify(simd);
  for (const s of uk) {
    const p = cls(s);
    let best = 0;
    for (let c = 1; c < 36; c++) if (p[c]! > p[best]!) best = c;
    const a = CHAR_CLASSES[best]!;
    const t = CHAR_CLASSES[s.label]!;
    if ((LOOK_ALIKE[a] ?? a) === (LOOK_ALIKE[t] ?? t)) lookAlikeRight++;
  }
  console.log(`uk-chars accuracy (wasm): ${pct(r.accuracy)} of ${r.count} (target 98%)`);
  console.log(`uk-chars accuracy with O=0 and I=1 merged: ${pct(lookAlikeRight / r.count)}`);
  console.log(`uk-chars top confusions: ${r.confusions.join(" ")}`);
} else {
  console.log("uk-chars: ../shared/data/uk-chars absent, skipped");
}

const held = evalGlyphs(3000, 100_000);
const rs = measureAccuracy(held, wasmClassify(simd));
console.log(`synthetic EVAL-seed accuracy (wasm): ${pct(rs.accuracy)} of ${rs.count}`);
console.log(`synthetic top confusions: ${rs.confusions.join(" ")}`);

// Boxes that hold no character (dashes, screws, coats of arms, band stars, plate edges, dirt): the syntax
// drops a stray first or last box once its top score is under about 0.04.
{
  const cls = wasmClassify(simd);
  let sumTop = 0;
  let flat = 0;
  const n = 1000;
  for (let i = 0; i < n; i++) {
    const top = Math.max(...cls(junkSample(seedAt(EVAL_SEEDS, 400_000 + i))));
    sumTop += top;
    if (top < 0.04) flat++;
  }
  console.log(
    `boxes with no character (EVAL seeds): mean top score ${(sumTop / n).toFixed(3)}, top score under 0.04 on ${pct(flat / n)} of ${n}`,
  );
}

// Plates from the generator's true character boxes: classifier + UK syntax, no localisation/segmentation.
{
  let exact = 0;
  let confident = 0;
  let confidentRight = 0;
  const n = 300;
  for (let i = 0; i < n; i++) {
    const crop = generatePlateCrop(seedAt(EVAL_SEEDS, 200_000 + i));
    simd.setImage(crop.grey);
    const chars = crop.plate.chars;
    const scores = new Float32Array(chars.length * 36);
    // UK plates keep dark characters on a light plate, by day and under infrared.
    const inverted = false;
    chars.forEach((ch, k) => {
      const [x, y, w, h] = ch.box.map(Math.round) as [number, number, number, number];
      const bx = Math.max(0, x);
      const by = Math.max(0, y);
      const bw = Math.min(crop.width - bx, w - (bx - x));
      const bh = Math.min(crop.height - by, h - (by - y));
      scores.set(simd.classify(crop.width, { x: bx, y: by, w: bw, h: bh }, inverted), k * 36);
    });
    const [best] = bestPlates(scores, chars.length, { region: "gb", top: 3, twoLine: crop.plate.twoLine });
    if (best?.plate === crop.plate.text) exact++;
    if (best && best.confidence >= 0.8) {
      confident++;
      if (best.plate === crop.plate.text) confidentRight++;
    }
  }
  console.log(`synthetic plates read exactly from true char boxes: ${pct(exact / n)} of ${n}`);
  console.log(
    `  confidence >= 0.8: ${pct(confident / n)} of plates, of which ${pct(confidentRight / Math.max(1, confident))} right`,
  );
}

// Timing: the same 500 crops, each already in memory; wasm (SIMD and scalar) against the JS reference.
function timeUs(label: string, fn: (s: GlyphSample) => void, samples: GlyphSample[], rounds: number): number {
  for (const s of samples) fn(s); // warm up
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (let r = 0; r < rounds; r++) for (const s of samples) fn(s);
  const n = rounds * samples.length;
  const us = Number(process.hrtime.bigint() - t0) / 1000 / n;
  // CPU time counts only the time this process ran: closer to one free core on a shared machine.
  const cpuUs = process.cpuUsage(c0).user / n;
  console.log(`${label}: ${us.toFixed(2)} µs per character (cpu ${cpuUs.toFixed(2)} µs)`);
  return cpuUs;
}
const timed = held.slice(0, 500);
// One image holding every crop side by side would be closer to a frame; per-crop images are fine here
// since each classify call reads only its box.
const probs = new Float32Array(36);
const tJs = timeUs(
  "JS reference (same model)",
  (s) => js.classifyBox(s.grey, s.width, s.box.x, s.box.y, s.box.w, s.box.h, s.inverted, probs),
  timed,
  4,
);
const prepared = timed.map((s) => s);
const tSimd = timeUs(
  "wasm SIMD classifyBox",
  (s) => {
    simd.setImage(s.grey);
    simd.classifyInPlace(s.width, s.box, s.inverted);
  },
  prepared,
  4,
);
const tScalar = timeUs(
  "wasm scalar classifyBox",
  (s) => {
    scalar.setImage(s.grey);
    scalar.classifyInPlace(s.width, s.box, s.inverted);
  },
  prepared,
  4,
);
console.log(`ratio wasm SIMD / JS: ${(tSimd / tJs).toFixed(3)} (lower is better)`);
console.log(`ratio wasm SIMD / wasm scalar: ${(tSimd / tScalar).toFixed(3)}`);

// UK syntax cost per 7-character plate.
{
  const sc = new Float32Array(7 * 36);
  for (let i = 0; i < sc.length; i++) sc[i] = ((i * 7919) % 97) / 97;
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const n = 2000;
  for (let i = 0; i < n; i++) bestPlates(sc, 7, { region: "gb", top: 5 });
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000 / n;
  const cpuUs = process.cpuUsage(c0).user / n;
  console.log(
    `bestPlates (gb, 7 boxes, top 5): ${wallUs.toFixed(1)} µs per plate (cpu ${cpuUs.toFixed(1)} µs)`,
  );
}
