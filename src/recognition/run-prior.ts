// Readings of foreign plates (`--region any`) under a character-type run prior.
//
// European marks print letters and digits in groups (Slovak RK 755AJ, Czech 4B0 4979, Polish WA 56660,
// German M AB 1234): along a plate the type changes a few times, never at every character. A box the
// classifier cannot settle between look-alikes (O/0, I/1, B/8, S/5, Z/2, G/6) is then read as the type
// of its neighbours: "RK857A1" costs two more changes than "RK857AI", "N0450AM" two more than
// "NO450AM". The prior is a two-state Markov chain over the type of each character: every class keeps
// its 1/36 weight, and each change of type between neighbours is weighted by TYPE_CHANGE_PRIOR, each
// non-change by 1 − TYPE_CHANGE_PRIOR. The classifier's evidence still wins where it is clear (a real
// change of type costs a factor of (1 − p) / p ≈ 3, not a veto).
//
// Exact k-best strings per window come from k-best Viterbi (the future of a partial reading depends
// only on the type of its last character, so the top k overall extend the top k per last type); the
// normaliser and per-character marginals from the forward-backward sums.
import { CHAR_CLASS_COUNT, CHAR_CLASSES } from "../../assembly/shared/constants.js";

const K = CHAR_CLASS_COUNT;

/**
 * Prior probability that two neighbouring characters differ in type (letter against digit). Chosen on
 * the synthetic European EVAL stills (`region: "eu"`, bench/recognition.bench.ts): see docs/read-decision.md.
 */
export const TYPE_CHANGE_PRIOR = 0.25;

const isDigit = (c: number): boolean => {
  const ch = CHAR_CLASSES[c]!;
  return ch >= "0" && ch <= "9";
};
/** Class → type: 0 letter, 1 digit. */
const TYPE = Array.from({ length: K }, (_, c) => (isDigit(c) ? 1 : 0));

export interface RunWindow {
  start: number;
  length: number;
  prior: number;
}

export interface RunReading {
  plate: string;
  score: number;
  start: number;
}

/** Σ over type sequences of length n of Π transitions × Π (classes of the type / 36). */
function priorMass(n: number, trans: (a: number, b: number) => number): number {
  const share = [26 / K, 10 / K];
  let a = [share[0]!, share[1]!];
  for (let j = 1; j < n; j++) a = [0, 1].map((t) => share[t]! * (a[0]! * trans(0, t) + a[1]! * trans(1, t)));
  return a[0]! + a[1]!;
}

interface Partial {
  score: number;
  plate: string;
}

/**
 * Top `top` readings over every window, their scores (prior × Π 36 · p), the normaliser (the sum over
 * every string of every window) and the per-box marginals (n × 36, unnormalised: divide by `total`).
 */
export function bestRunReadings(
  lik: Float64Array,
  n: number,
  windows: readonly RunWindow[],
  top: number,
  changePrior = TYPE_CHANGE_PRIOR,
): { readings: RunReading[]; total: number; marginal: Float64Array } {
  const stay = 1 - changePrior;
  const trans = (a: number, b: number): number => (a === b ? stay : changePrior);
  const marginal = new Float64Array(n * K);
  let total = 0;
  let readings: RunReading[] = [];
  // per box, classes of each type best first (for the k-best expansion)
  const byType: number[][][] = [];
  const typeMass: number[][] = [];
  for (let i = 0; i < n; i++) {
    const lists: number[][] = [[], []];
    const mass = [0, 0];
    for (let c = 0; c < K; c++) {
      lists[TYPE[c]!]!.push(c);
      mass[TYPE[c]!]! += lik[i * K + c]! / K;
    }
    for (const l of lists) l.sort((a, b) => lik[i * K + b]! - lik[i * K + a]!);
    byType.push(lists);
    typeMass.push(mass);
  }
  for (const w of windows) {
    const { start, length } = w;
    if (length <= 0) continue;
    // the prior over strings of this length sums to one: divide by its sum over every type sequence
    const win = { ...w, prior: w.prior / priorMass(length, trans) };
    // forward α and backward β over types
    const alpha: number[][] = [];
    const beta: number[][] = new Array(length);
    for (let j = 0; j < length; j++) {
      const m = typeMass[start + j]!;
      if (j === 0) alpha.push([m[0]!, m[1]!]);
      else {
        const p = alpha[j - 1]!;
        alpha.push([0, 1].map((t) => m[t]! * (p[0]! * trans(0, t) + p[1]! * trans(1, t))));
      }
    }
    beta[length - 1] = [1, 1];
    for (let j = length - 2; j >= 0; j--) {
      const m = typeMass[start + j + 1]!;
      const b = beta[j + 1]!;
      beta[j] = [0, 1].map((t) => trans(t, 0) * m[0]! * b[0]! + trans(t, 1) * m[1]! * b[1]!);
    }
    const last = alpha[length - 1]!;
    const winTotal = win.prior * (last[0]! + last[1]!);
    if (!(winTotal > 0)) continue;
    total += winTotal;
    for (let j = 0; j < length; j++) {
      const i = start + j;
      for (let c = 0; c < K; c++) {
        const t = TYPE[c]!;
        const into = j === 0 ? 1 : alpha[j - 1]![0]! * trans(0, t) + alpha[j - 1]![1]! * trans(1, t);
        marginal[i * K + c]! += win.prior * into * (lik[i * K + c]! / K) * beta[j]![t]!;
      }
    }
    // k-best Viterbi: the top `top` partials per last type
    let ends: Partial[][] = [[{ score: win.prior, plate: "" }], []];
    for (let j = 0; j < length; j++) {
      const i = start + j;
      const next: Partial[][] = [[], []];
      for (let t = 0; t < 2; t++) {
        const classes = byType[i]![t]!;
        for (let from = 0; from < 2; from++) {
          const f = j === 0 ? 1 : trans(from, t);
          for (const p of ends[from]!) {
            for (let o = 0; o < Math.min(top, classes.length); o++) {
              const c = classes[o]!;
              next[t]!.push({ score: p.score * f * (lik[i * K + c]! / K), plate: p.plate + CHAR_CLASSES[c] });
            }
          }
          if (j === 0) break;
        }
        next[t]!.sort((a, b) => b.score - a.score);
        if (next[t]!.length > top) next[t] = next[t]!.slice(0, top);
      }
      ends = next;
    }
    for (const p of [...ends[0]!, ...ends[1]!]) {
      const same = readings.find((r) => r.plate === p.plate);
      if (same) {
        if (p.score > same.score) Object.assign(same, { score: p.score, start });
      } else readings.push({ plate: p.plate, score: p.score, start });
    }
    readings.sort((a, b) => b.score - a.score);
    if (readings.length > top) readings = readings.slice(0, top);
  }
  return { readings, total, marginal };
}
