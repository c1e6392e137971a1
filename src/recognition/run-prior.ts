// Readings of foreign plates (`--region any`) under a character-type run prior.
//
// European marks print letters and digits in groups (Slovak RK 755AJ, Polish WA 56660, German M AB 1234,
// Italian AB 123CD): a run of one letter or one digit is rarer than a longer one (Czech 4B2 1875 has
// them), and one that ends the plate rarer still (Dutch 12-ABC-3, Polish WX 1234A). A box the
// classifier cannot settle between look-alikes (O/0, I/1, B/8, S/5, Z/2, G/6) is then read as the type
// of its neighbours: "RK857A1" ends in a single digit after a single letter, "RK857AI" in a pair;
// "N0450AM" starts with two single characters, "NO450AM" with a pair.
//
// The prior is a Markov chain over the type of each character (letter or digit) and whether its run has
// reached two characters: every class keeps its 1/36 weight, each change of type between neighbours is
// weighted by `changePrior` (each non-change by 1 − changePrior; 0.5 leaves changes free), each run of
// one character ended by a change by `shortRunPrior`, and a last run of one by `endShortRunPrior`. The
// classifier's evidence still wins where it is clear: these are factors of 2 to 7, not vetoes. The prior
// over strings of one length is normalised, so windows of different lengths compare fairly.
//
// Exact k-best strings per window come from k-best Viterbi (the future of a partial reading depends
// only on its state, so the top k overall extend the top k per state); the normaliser and per-character
// marginals from the forward-backward sums.
import { CHAR_CLASS_COUNT, CHAR_CLASSES } from "../../assembly/shared/constants.js";

const K = CHAR_CLASS_COUNT;

/**
 * Prior probability that two neighbouring characters differ in type (letter against digit), the weight
 * of a run of one character and of a last run of one. Chosen on the synthetic European EVAL stills
 * (`region: "eu"`, bench/recognition.bench.ts) over a grid: see docs/read-decision.md.
 */
export const TYPE_CHANGE_PRIOR = 0.5;
export const SHORT_RUN_PRIOR = 0.5;
export const END_SHORT_RUN_PRIOR = 0.15;
/**
 * Prior of a change of type at a group separator. European plates print their main separator (dash,
 * crest, seals, space) where letters give way to digits (SK RK|099AN, PL WA|56660, H ABC|123, I AB|123CD;
 * not always: D M|AB 1234), so a look-alike next to it takes the type of its own group ("RK|O99AN" →
 * "RK|099AN"). Synthetic EU EVAL stills 0–599 (651 plates): 0.5 (free) 432, 0.6 434, 0.7 436, 0.8 437,
 * 0.9 440 exact with 112 false reads at 0.8 and 115 at 0.9 (docs/read-decision.md).
 */
export const SEPARATOR_CHANGE_PRIOR = 0.8;

const isDigit = (c: number): boolean => {
  const ch = CHAR_CLASSES[c]!;
  return ch >= "0" && ch <= "9";
};
/** Class → type: 0 letter, 1 digit. */
const TYPE = Array.from({ length: K }, (_, c) => (isDigit(c) ? 1 : 0));
/** Classes of each type over all classes: the 1/36 weight of each class, summed per type. */
const TYPE_SHARE = [26 / K, 10 / K];

/** States: type × (run of one so far, run of two or more). */
const S = 4;
const stateOf = (type: number, long: number): number => type * 2 + long;
const typeOfState = (s: number): number => s >> 1;

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

interface Partial {
  score: number;
  plate: string;
}

interface Chain {
  /** Weight of entering state `to` from `from` (0 where impossible). */
  trans: number[][];
  /** Weight of starting in a state (before the character's own weight). */
  start: number[];
  /** Weight of ending in a state. */
  end: number[];
}

function chain(changePrior: number, shortRunPrior: number, endShortRunPrior: number): Chain {
  const trans = Array.from({ length: S }, () => new Array<number>(S).fill(0));
  for (let from = 0; from < S; from++) {
    const t = typeOfState(from);
    const long = from & 1;
    trans[from]![stateOf(t, 1)] = 1 - changePrior;
    trans[from]![stateOf(1 - t, 0)] = changePrior * (long ? 1 : shortRunPrior);
  }
  const start = [0, 1].flatMap(() => [1, 0]);
  const end = [0, 1].flatMap(() => [endShortRunPrior, 1]);
  return { trans, start, end };
}

/** Σ over every type sequence of the window's length of its prior weight (to normalise the prior). */
function priorMass(start: number, n: number, at: (i: number) => Chain): number {
  const c0 = at(start);
  let a = Array.from({ length: S }, (_, s) => c0.start[s]! * TYPE_SHARE[typeOfState(s)]!);
  for (let j = 1; j < n; j++) {
    const trans = at(start + j).trans;
    const b = new Array<number>(S).fill(0);
    for (let from = 0; from < S; from++)
      for (let to = 0; to < S; to++) b[to]! += a[from]! * trans[from]![to]! * TYPE_SHARE[typeOfState(to)]!;
    a = b;
  }
  return a.reduce((sum, v, s) => sum + v * c0.end[s]!, 0);
}

/** The run prior's weights (defaults: the chosen constants above). */
export interface RunPriorOptions {
  changePrior?: number;
  shortRunPrior?: number;
  endShortRunPrior?: number;
  /**
   * Per gap between box i and box i + 1 (n − 1 entries): true where the gap is a group separator (a
   * dash, a coat of arms, seals or a wide space), at which a change of type weighs
   * `separatorChangePrior` instead of `changePrior`.
   */
  separators?: readonly boolean[];
  separatorChangePrior?: number;
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
  options: RunPriorOptions = {},
): { readings: RunReading[]; total: number; marginal: Float64Array } {
  const shortRun = options.shortRunPrior ?? SHORT_RUN_PRIOR;
  const endShortRun = options.endShortRunPrior ?? END_SHORT_RUN_PRIOR;
  const c = chain(options.changePrior ?? TYPE_CHANGE_PRIOR, shortRun, endShortRun);
  const sep = chain(options.separatorChangePrior ?? SEPARATOR_CHANGE_PRIOR, shortRun, endShortRun);
  // the chain that enters box i (from box i − 1); start and end weights are the same in both
  const at = (i: number): Chain => (i > 0 && options.separators?.[i - 1] ? sep : c);
  const marginal = new Float64Array(n * K);
  let total = 0;
  let readings: RunReading[] = [];
  // per box, classes of each type best first (for the k-best expansion), and each type's mass
  const byType: number[][][] = [];
  const typeMass: number[][] = [];
  for (let i = 0; i < n; i++) {
    const lists: number[][] = [[], []];
    const mass = [0, 0];
    for (let k = 0; k < K; k++) {
      lists[TYPE[k]!]!.push(k);
      mass[TYPE[k]!]! += lik[i * K + k]! / K;
    }
    for (const l of lists) l.sort((a, b) => lik[i * K + b]! - lik[i * K + a]!);
    byType.push(lists);
    typeMass.push(mass);
  }
  for (const w of windows) {
    const { start, length } = w;
    if (length <= 0) continue;
    // the prior over strings of this length sums to one
    const prior = w.prior / priorMass(start, length, at);
    const emit = (j: number, s: number): number => typeMass[start + j]![typeOfState(s)]!;
    // forward α (including box j's own mass) and backward β (boxes after j, and the end weight)
    const alpha: number[][] = [Array.from({ length: S }, (_, s) => c.start[s]! * emit(0, s))];
    for (let j = 1; j < length; j++) {
      const a = new Array<number>(S).fill(0);
      const trans = at(start + j).trans;
      for (let from = 0; from < S; from++)
        for (let to = 0; to < S; to++) a[to]! += alpha[j - 1]![from]! * trans[from]![to]!;
      alpha.push(a.map((v, s) => v * emit(j, s)));
    }
    const beta: number[][] = new Array(length);
    beta[length - 1] = [...c.end];
    for (let j = length - 2; j >= 0; j--) {
      const b = new Array<number>(S).fill(0);
      const trans = at(start + j + 1).trans;
      for (let from = 0; from < S; from++)
        for (let to = 0; to < S; to++) b[from]! += trans[from]![to]! * emit(j + 1, to) * beta[j + 1]![to]!;
      beta[j] = b;
    }
    const winTotal = prior * alpha[length - 1]!.reduce((sum, v, s) => sum + v * c.end[s]!, 0);
    if (!(winTotal > 0)) continue;
    total += winTotal;
    for (let j = 0; j < length; j++) {
      const i = start + j;
      for (let s = 0; s < S; s++) {
        let into = c.start[s]!;
        if (j > 0) {
          into = 0;
          const trans = at(i).trans;
          for (let from = 0; from < S; from++) into += alpha[j - 1]![from]! * trans[from]![s]!;
        }
        const weight = prior * into * beta[j]![s]!;
        if (weight === 0) continue;
        for (const k of byType[i]![typeOfState(s)]!) marginal[i * K + k]! += (weight * lik[i * K + k]!) / K;
      }
    }
    // k-best Viterbi: the top `top` partials per state
    let ends: Partial[][] = Array.from({ length: S }, () => []);
    for (let j = 0; j < length; j++) {
      const i = start + j;
      const next: Partial[][] = Array.from({ length: S }, () => []);
      for (let to = 0; to < S; to++) {
        const classes = byType[i]![typeOfState(to)]!;
        const take = Math.min(top, classes.length);
        const extend = (score: number, plate: string): void => {
          for (let o = 0; o < take; o++) {
            const k = classes[o]!;
            next[to]!.push({ score: (score * lik[i * K + k]!) / K, plate: plate + CHAR_CLASSES[k] });
          }
        };
        if (j === 0) {
          if (c.start[to]! > 0) extend(prior * c.start[to]!, "");
        } else {
          const trans = at(i).trans;
          for (let from = 0; from < S; from++) {
            const f = trans[from]![to]!;
            if (f > 0) for (const p of ends[from]!) extend(p.score * f, p.plate);
          }
        }
        next[to]!.sort((a, b) => b.score - a.score);
        if (next[to]!.length > top) next[to] = next[to]!.slice(0, top);
      }
      ends = next;
    }
    for (let s = 0; s < S; s++) {
      for (const p of ends[s]!) {
        const score = p.score * c.end[s]!;
        const same = readings.find((r) => r.plate === p.plate);
        if (same) {
          if (score > same.score) Object.assign(same, { score, start });
        } else readings.push({ plate: p.plate, score, start });
      }
    }
    readings.sort((a, b) => b.score - a.score);
    if (readings.length > top) readings = readings.slice(0, top);
  }
  return { readings, total, marginal };
}
