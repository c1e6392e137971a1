import { describe, expect, it } from "vitest";
import { CHAR_CLASSES } from "../assembly/shared/constants.js";
import type { ClassifierExports } from "../src/recognition/classifier.js";
import { loadClassifierWeights, WasmClassifier } from "../src/recognition/classifier.js";
import { evalGlyphs, loadUkChars, measureAccuracy } from "../src/recognition/classify-measure.js";
import {
  type ClassifierModel,
  forward,
  pad4,
  parseModel,
  parseWeights,
  quantiseModel,
  ReferenceClassifier,
  serialiseEnsemble,
  serialiseModel,
  weightsMembers,
} from "../src/recognition/classify-reference.js";
import { type GlyphSample, junkSample } from "../src/recognition/classify-samples.js";
import { bestPlates } from "../src/recognition/syntax.js";
import { Rng } from "../src/synth/rng.js";
import { EVAL_SEEDS, seedAt } from "../src/synth/seeds.js";
import { generatePlateCrop } from "../src/synth/still.js";
import { asImports, kernelModule } from "../src/wasm/module.js";

// Thresholds sit a few points under what the shipped weights measure (see docs/kernels-classify.md), so
// a regression in the kernel, the normalisation or the weights fails here. The strict uk-chars figure
// moves most between models (its O and 0 are one shape): the merged figure is the tighter guard.
const SYNTHETIC_MIN_ACCURACY = 0.88;
const UK_CHARS_MIN_ACCURACY = 0.9;
/** uk-chars with O = 0 and I = 1 merged (one shape each in the UK font: the syntax settles them by position). */
const UK_CHARS_MIN_LOOK_ALIKE_ACCURACY = 0.965;
/** Mean top score on EVAL-seed boxes that hold no character (shipped weights: 0.13; characters: ~0.9). */
const JUNK_MAX_MEAN_TOP = 0.18;

const weights = loadClassifierWeights();
const simd = new WasmClassifier(weights, 1 << 20, true);
const scalar = new WasmClassifier(weights, 1 << 20, false);
const reference = new ReferenceClassifier(parseWeights(weights));

const classifyWith = (c: WasmClassifier) => (s: GlyphSample) => {
  c.setImage(s.grey);
  return c.classify(s.width, s.box, s.inverted);
};
const argmax = (p: Float32Array): number => p.reduce((b, v, i) => (v > p[b]! ? i : b), 0);

describe("classifier kernel (build/classifier.wasm)", () => {
  const held = evalGlyphs(600);

  it("classifies held-out synthetic characters (EVAL seeds)", () => {
    const r = measureAccuracy(held, classifyWith(simd));
    expect(r.accuracy, r.confusions.join(" ")).toBeGreaterThanOrEqual(SYNTHETIC_MIN_ACCURACY);
  });

  it("writes 36 probabilities that sum to 1", () => {
    const p = classifyWith(simd)(held[0]!);
    expect(p).toHaveLength(36);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    for (const v of p) expect(v).toBeGreaterThanOrEqual(0);
  });

  it("SIMD, scalar and the JS reference agree", () => {
    const probs = new Float32Array(36);
    for (const s of held.slice(0, 40)) {
      const a = classifyWith(simd)(s);
      const b = classifyWith(scalar)(s);
      reference.classifyBox(s.grey, s.width, s.box.x, s.box.y, s.box.w, s.box.h, s.inverted, probs);
      for (let c = 0; c < 36; c++) {
        expect(Math.abs(a[c]! - b[c]!)).toBeLessThan(1e-4);
        expect(Math.abs(a[c]! - probs[c]!)).toBeLessThan(1e-4);
      }
    }
  });

  it("reads a light glyph on dark ground the same when told it is inverted", () => {
    let same = 0;
    const sample = held.filter((s) => !s.inverted).slice(0, 50);
    for (const s of sample) {
      const flipped = { ...s, grey: s.grey.map((v) => 255 - v), inverted: true };
      if (argmax(classifyWith(simd)(s)) === argmax(classifyWith(simd)(flipped))) same++;
    }
    expect(same).toBe(sample.length);
  });

  it("reads a confidently read glyph the same whether its box is tight or has margin", () => {
    let same = 0;
    const sample = held.slice(0, 100).filter((s) => Math.max(...classifyWith(simd)(s)) >= 0.9);
    for (const s of sample) {
      // The box's pixels alone on a canvas of ground grey, with a box 4 px looser on each side.
      const { x: bx, y: by, w: bw, h: bh } = s.box;
      const pad = 4;
      const w = bw + 2 * pad;
      const h = bh + 2 * pad;
      // Ground: the 90th percentile grey (10th when the glyph is light), not a corner pixel (it may be ink).
      const sorted = [...s.grey].sort((a, b) => a - b);
      const ground = sorted[Math.floor(sorted.length * (s.inverted ? 0.1 : 0.9))]!;
      const grey = new Uint8Array(w * h).fill(ground);
      for (let y = 0; y < bh; y++) {
        grey.set(s.grey.subarray((by + y) * s.width + bx, (by + y) * s.width + bx + bw), (y + pad) * w + pad);
      }
      const loose: GlyphSample = { ...s, grey, width: w, height: h, box: { x: 0, y: 0, w, h } };
      if (argmax(classifyWith(simd)(s)) === argmax(classifyWith(simd)(loose))) same++;
    }
    expect(sample.length).toBeGreaterThan(50);
    expect(same).toBeGreaterThanOrEqual(Math.floor(sample.length * 0.95));
  });

  it("rejects a weights file that is not one, and scores uniformly before init", () => {
    const instance = new WebAssembly.Instance(kernelModule("classifier"), asImports());
    const k = instance.exports as unknown as ClassifierExports;
    const out = k.classifierAlloc(36 * 4);
    k.classifyBox(out, 1, 0, 0, 1, 1, 0, out);
    expect(new Float32Array(k.memory.buffer, out, 36).every((v) => Math.abs(v - 1 / 36) < 1e-6)).toBe(true);
    const bad = weights.slice();
    bad[0] = 0;
    const ptr = k.classifierAlloc(bad.byteLength);
    new Uint8Array(k.memory.buffer, ptr, bad.byteLength).set(bad);
    expect(k.classifierInit(ptr, bad.byteLength)).toBe(-1);
    new Uint8Array(k.memory.buffer, ptr, bad.byteLength).set(weights);
    expect(k.classifierInit(ptr, weights.byteLength - 4)).toBe(-3);
    expect(k.classifierInit(ptr, weights.byteLength)).toBe(0);
  });
});

/** A small conv model with random weights (20 × 28 grid, conv 8 and 16 channels, 24 hidden units). */
function randomConvModel(seed: number, inputHeight = 28): ClassifierModel {
  const rng = new Rng(seed, 1);
  const fill = (n: number, s: number) => Float32Array.from({ length: n }, () => rng.normal() * s);
  const convs = [
    { cIn: 1, cOut: 8, weights: fill(8 * 12, 0.5), bias: fill(8, 0.1) },
    { cIn: 8, cOut: 16, weights: fill(16 * 72, 0.2), bias: fill(16, 0.1) },
  ];
  // Zero the padding of the first layer's rows (9 taps padded to 12), as the trainer leaves it.
  for (let o = 0; o < 8; o++) for (let i = 9; i < 12; i++) convs[0]!.weights[o * 12 + i] = 0;
  const nIn = (inputHeight / 4) * 5 * 16 + 1;
  return {
    inputWidth: 20,
    inputHeight,
    featureCount: 1,
    convs,
    layers: [
      { nIn, nOut: 24, weights: fill(24 * pad4(nIn), 0.1), bias: fill(24, 0.1) },
      { nIn: 24, nOut: 36, weights: fill(36 * 24, 0.3), bias: fill(36, 0.1) },
    ],
  };
}

describe("conv models (weights file version 3)", () => {
  const model = quantiseModel(randomConvModel(7));
  const bytes = serialiseModel(model);
  const held = evalGlyphs(30, 5000);

  it("round-trips through the file and scores the same in wasm (SIMD and scalar) as in JS", () => {
    expect(new DataView(bytes.buffer).getInt32(4, true)).toBe(3);
    const parsed = parseModel(bytes);
    const a = new WasmClassifier(bytes, 1 << 20, true);
    const b = new WasmClassifier(bytes, 1 << 20, false);
    const ref = new ReferenceClassifier([parsed]);
    const probs = new Float32Array(36);
    const x = new Float32Array(564);
    const again = new Float32Array(36);
    let differ = 0;
    for (const s of held) {
      const pa = classifyWith(a)(s);
      const pb = classifyWith(b)(s);
      ref.classifyBox(s.grey, s.width, s.box.x, s.box.y, s.box.w, s.box.h, s.inverted, probs);
      // The model before the file: same numbers (it was already quantised).
      x.set(a.normalise(s.width, s.box, s.inverted));
      forward(model, x, again);
      for (let c = 0; c < 36; c++) {
        expect(Math.abs(pa[c]! - pb[c]!)).toBeLessThan(1e-4);
        expect(Math.abs(pa[c]! - probs[c]!)).toBeLessThan(1e-4);
        expect(Math.abs(again[c]! - probs[c]!)).toBeLessThan(1e-4);
      }
      if (argmax(pa) !== argmax(classifyWith(a)(held[0]!))) differ++;
    }
    // Random weights still depend on the input: not every crop gets the same answer.
    expect(differ).toBeGreaterThan(0);
  });

  it("rejects a conv stack the kernel cannot run", () => {
    const instance = new WebAssembly.Instance(kernelModule("classifier"), asImports());
    const k = instance.exports as unknown as ClassifierExports;
    const odd = serialiseModel({ ...model, inputHeight: 27, layers: model.layers });
    const ptr = k.classifierAlloc(bytes.byteLength + 64);
    new Uint8Array(k.memory.buffer, ptr, odd.byteLength).set(odd);
    // 27 rows do not halve twice: unsupported geometry.
    expect(k.classifierInit(ptr, odd.byteLength)).toBe(-4);
    const narrow = serialiseModel({
      ...model,
      convs: [
        {
          ...model.convs[0]!,
          cOut: 4,
          weights: model.convs[0]!.weights.slice(0, 48),
          bias: model.convs[0]!.bias.slice(0, 4),
        },
        model.convs[1]!,
      ],
    });
    new Uint8Array(k.memory.buffer, ptr, narrow.byteLength).set(narrow);
    expect(k.classifierInit(ptr, narrow.byteLength)).toBe(-4);
    new Uint8Array(k.memory.buffer, ptr, bytes.byteLength).set(bytes);
    expect(k.classifierInit(ptr, bytes.byteLength - 1)).toBe(-3);
    expect(k.classifierInit(ptr, bytes.byteLength)).toBe(0);
  });
});

describe("ensembles (weights file version 4)", () => {
  const members = [7, 8].map((seed) => serialiseModel(quantiseModel(randomConvModel(seed))));
  const bytes = serialiseEnsemble(members);
  const held = evalGlyphs(30, 5000);
  const one = members.map((m) => new WasmClassifier(m, 1 << 20, true));

  it("scores the first member's probabilities when it is sure, else the members' mean, in wasm and JS", () => {
    expect(weightsMembers(bytes)).toEqual(members);
    const simdEnsemble = new WasmClassifier(bytes, 1 << 20, true);
    const scalarEnsemble = new WasmClassifier(bytes, 1 << 20, false);
    const ref = new ReferenceClassifier(parseWeights(bytes));
    const probs = new Float32Array(36);
    let averaged = 0;
    for (const s of held) {
      const [p0, p1] = one.map((c) => classifyWith(c)(s));
      const sure = Math.max(...p0!) >= 0.97;
      if (!sure) averaged++;
      const expected = sure ? p0! : p0!.map((v, c) => (v + p1![c]!) / 2);
      const pe = classifyWith(simdEnsemble)(s);
      const ps = classifyWith(scalarEnsemble)(s);
      ref.classifyBox(s.grey, s.width, s.box.x, s.box.y, s.box.w, s.box.h, s.inverted, probs);
      for (let c = 0; c < 36; c++) {
        expect(Math.abs(pe[c]! - expected[c]!)).toBeLessThan(1e-5);
        expect(Math.abs(ps[c]! - expected[c]!)).toBeLessThan(1e-4);
        expect(Math.abs(probs[c]! - expected[c]!)).toBeLessThan(1e-4);
      }
    }
    // random weights are unsure of most crops: the mean is what is checked
    expect(averaged).toBeGreaterThan(held.length / 2);
  });

  it("rejects a truncated ensemble, a nested one and members of other geometry", () => {
    const instance = new WebAssembly.Instance(kernelModule("classifier"), asImports());
    const k = instance.exports as unknown as ClassifierExports;
    const load = (b: Uint8Array, n = b.byteLength): number => {
      const ptr = k.classifierAlloc(b.byteLength);
      new Uint8Array(k.memory.buffer, ptr, b.byteLength).set(b);
      return k.classifierInit(ptr, n);
    };
    expect(load(bytes)).toBe(0);
    expect(load(bytes, bytes.byteLength - 1)).toBe(-3);
    expect(load(serialiseEnsemble([bytes]))).toBe(-2);
    const taller = serialiseModel(quantiseModel(randomConvModel(9, 32)));
    expect(load(taller)).toBe(0);
    expect(load(serialiseEnsemble([members[0]!, taller]))).toBe(-4);
    expect(() => weightsMembers(bytes.subarray(0, bytes.byteLength - 1))).toThrow(/classifier ensemble/);
    expect(() => weightsMembers(serialiseEnsemble([]))).toThrow(/0 members/);
    // the host names what was wrong
    expect(() => new WasmClassifier(bytes.subarray(0, bytes.byteLength - 1), 1 << 20, true)).toThrow(
      /truncated/,
    );
  });
});

describe("boxes that hold no character (EVAL seeds)", () => {
  it("scores them far less confidently than characters", () => {
    const classify = classifyWith(simd);
    const n = 200;
    let junkTop = 0;
    for (let i = 0; i < n; i++) junkTop += Math.max(...classify(junkSample(seedAt(EVAL_SEEDS, 400_000 + i))));
    let charTop = 0;
    for (const s of evalGlyphs(n)) charTop += Math.max(...classify(s));
    expect(junkTop / n).toBeLessThanOrEqual(JUNK_MAX_MEAN_TOP);
    expect(charTop / n).toBeGreaterThanOrEqual(0.8);
  });
});

describe("classifier on real UK characters (../shared/data/uk-chars)", () => {
  const uk = loadUkChars();
  it.skipIf(!uk)("classifies the real crops", () => {
    const r = measureAccuracy(uk!, classifyWith(simd));
    expect(r.accuracy, r.confusions.join(" ")).toBeGreaterThanOrEqual(UK_CHARS_MIN_ACCURACY);
    // The same read with O taken as 0 and I as 1 on both sides (as the benchmark's second figure).
    const fold = (c: number): string => ({ O: "0", I: "1" })[CHAR_CLASSES[c]!] ?? CHAR_CLASSES[c]!;
    const classify = classifyWith(simd);
    const lookAlikeRight = uk!.filter((s) => fold(argmax(classify(s))) === fold(s.label)).length;
    const lookAlike = { accuracy: lookAlikeRight / uk!.length };
    expect(lookAlike.accuracy).toBeGreaterThanOrEqual(UK_CHARS_MIN_LOOK_ALIKE_ACCURACY);
  });
});

describe("classifier + UK syntax on synthetic plates (true character boxes, EVAL seeds)", () => {
  it("reads most plates exactly, and confident reads are right", () => {
    const n = 40;
    let exact = 0;
    let confidentWrong = 0;
    for (let i = 0; i < n; i++) {
      const crop = generatePlateCrop(seedAt(EVAL_SEEDS, 300_000 + i));
      simd.setImage(crop.grey);
      const chars = crop.plate.chars;
      const scores = new Float32Array(chars.length * 36);
      chars.forEach((ch, k) => {
        const x = Math.max(0, Math.round(ch.box[0]));
        const y = Math.max(0, Math.round(ch.box[1]));
        const w = Math.min(crop.width - x, Math.round(ch.box[2]));
        const h = Math.min(crop.height - y, Math.round(ch.box[3]));
        scores.set(simd.classify(crop.width, { x, y, w, h }), k * 36);
      });
      const [best] = bestPlates(scores, chars.length, { region: "gb", top: 1, twoLine: crop.plate.twoLine });
      if (best?.plate === crop.plate.text) exact++;
      else if (best && best.confidence >= 0.8) confidentWrong++;
    }
    expect(exact).toBeGreaterThanOrEqual(n - 6);
    expect(confidentWrong).toBeLessThanOrEqual(1);
  });

  it("keeps the class order the host and kernel share", () => {
    expect(CHAR_CLASSES).toBe("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ");
  });
});
