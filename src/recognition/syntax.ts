// UK registration-mark syntax: turns per-character class scores into the most probable *valid* marks.
//
// Model: each character box i has classifier probabilities p_i(c) (softmax, uniform class prior in
// training), so p(box image | c) / p(box image) = 36 · p_i(c). A reading is a window of the boxes (all of
// them, or all but a stray first or last box: a screw, a band letter, a border fragment) plus a string
// that a UK format allows; its prior is P(window) · P(format) · Π w_slot(c) / Σ w_slot (uniform over the
// strings a format allows). Posterior ∝ prior · Π 36 · p_i(c_i). The normaliser sums every format in every
// window in closed form (positions are independent within a format), plus an "unformatted" reading so a
// foreign or garbled plate gets a low confidence rather than a confident wrong UK mark. This is how the
// look-alikes 0/O, 1/I, 5/S, 8/B, 2/Z, 6/G resolve: a letter-only position only sums letters.
import { CHAR_CLASS_COUNT, CHAR_CLASSES } from "../../assembly/shared/constants.js";
import { NI_COUNTY_CODES } from "../domain/uk-marks.js";
import { bestRunReadings } from "./run-prior.js";

export type PlateRegion = "gb" | "any";

export interface BestPlatesOptions {
  /** "gb": only valid UK marks (DOMAIN.md formats and letter rules). "any": no format rules. */
  region: PlateRegion;
  /** How many readings to return, best first. */
  top: number;
  /**
   * The boxes come from a two-line plate (top line first). Every UK format breaks between its two
   * groups, so the formats are the same; a two-line plate has no band, so edge boxes are only dropped
   * when no reading of all the boxes is plausible.
   */
  twoLine?: boolean;
  /** Newest age-identifier year (March = YY, September = YY + 50). Default 25 (DOMAIN.md: 02–25, 51–75). */
  maxAgeYear?: number;
  /**
   * "any" only: prior probability that neighbouring characters differ in type (letter against digit),
   * run-prior.ts. Default TYPE_CHANGE_PRIOR; 0.5 makes every string equally likely.
   */
  typeChangePrior?: number;
  /** "any" only: weight of a run of one letter or one digit (run-prior.ts). Default SHORT_RUN_PRIOR; 1: none. */
  shortRunPrior?: number;
  /** "any" only: weight of a last run of one (run-prior.ts). Default END_SHORT_RUN_PRIOR; 1: none. */
  endShortRunPrior?: number;
  /** "any" only: per gap between neighbouring boxes (n − 1), whether it is a group separator (run-prior.ts). */
  separators?: readonly boolean[];
  /** "any" only: prior of a stray first (or last) box on a one-line plate. Default EXTRA_BOX_PRIOR. */
  extraBoxPrior?: number;
  /** "any" only: prior of a change of type at a separator. Default SEPARATOR_CHANGE_PRIOR. */
  separatorChangePrior?: number;
}

export interface PlateReading {
  /** Upper case, no spaces. */
  plate: string;
  /** Posterior probability of this exact reading among all readings of the boxes, 0..1. */
  confidence: number;
  /** Per character of `plate`: posterior probability that this character is right, 0..1. */
  charConfidences: number[];
  /** Index of the box the reading starts at: 1 when it leaves out a stray first box, else 0. */
  firstBox: number;
}

const K = CHAR_CLASS_COUNT;
const idx = (ch: string): number => CHAR_CLASSES.indexOf(ch);

const DIGITS = "0123456789";
const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const without = (set: string, banned: string): string => [...set].filter((c) => !banned.includes(c)).join("");

/** Current marks: the memory tag (first two letters) never I, Q or Z. */
const MEMORY_TAG = without(LETTERS, "IQZ");
/** Current marks: the three random letters never I or Q. */
const CURRENT_TAIL = without(LETTERS, "IQ");
/** Prefix and suffix year letters: never I, O, Q, U or Z. */
const YEAR_LETTER = without(LETTERS, "IOQUZ");
/** Other letters of GB marks: I and Z only in Northern Ireland marks, Q only in Q marks (DVLA rules). */
const GB_LETTERS = without(LETTERS, "IQZ");
/** A Q mark's three letters: Q only ever leads the mark (an O or 0 read as Q there is not a Q mark). */
const Q_MARK_LETTERS = without(LETTERS, "Q");

/** One or more positions read together: a list of allowed class tuples with prior weights. */
interface Slot {
  width: number;
  tuples: number[][];
  weights: number[];
  weightSum: number;
}

function tupleSlot(tuples: readonly string[]): Slot {
  return {
    width: tuples[0]!.length,
    tuples: tuples.map((t) => [...t].map(idx)),
    weights: tuples.map(() => 1),
    weightSum: tuples.length,
  };
}

const charSlot = (chars: string): Slot => tupleSlot([...chars]);

/** The current format's age identifier: March YY (02..max) or September YY + 50 (51..50 + max). */
function ageSlot(maxAgeYear: number): Slot {
  const ids: string[] = [];
  for (let v = 2; v <= maxAgeYear; v++) ids.push(String(v).padStart(2, "0"));
  for (let v = 51; v <= 50 + maxAgeYear; v++) ids.push(String(v));
  return tupleSlot(ids);
}

interface Format {
  name: string;
  length: number;
  /** Prior probability of this exact shape (format prior spread over its length variants). */
  prior: number;
  slots: Slot[];
}

/**
 * Share of traffic per format family, as the synthetic generator draws them (roughly what a road shows).
 * Only ratios between formats of the same length matter, and only for genuinely ambiguous reads.
 */
export const FORMAT_PRIORS = {
  current: 0.72,
  prefix: 0.08,
  suffix: 0.04,
  dateless: 0.05,
  northernIreland: 0.07,
  q: 0.04,
} as const;

/** Prior of a reading that fits no UK format (region "gb"): the mass behind "this is not a UK mark". */
const UNFORMATTED_PRIOR = 0.002;
/** Prior that the segmenter added one stray box at the start, or at the end. */
export const EXTRA_BOX_PRIOR = 0.04;
/** The same for a two-line plate (no band, fewer edge artefacts). */
const EXTRA_BOX_PRIOR_TWO_LINE = 0.005;
/** Probabilities are floored here so that one hopeless box cannot zero a whole reading. */
const P_FLOOR = 1e-9;

const slot = {
  digit: charSlot(DIGITS),
  /** First digit of a serial number: never 0. */
  lead: charSlot(without(DIGITS, "0")),
  letter: charSlot(LETTERS),
  gb: charSlot(GB_LETTERS),
  tag: charSlot(MEMORY_TAG),
  tail: charSlot(CURRENT_TAIL),
  year: charSlot(YEAR_LETTER),
  q: charSlot("Q"),
  qLetter: charSlot(Q_MARK_LETTERS),
  niCode: tupleSlot(NI_COUNTY_CODES),
  any: charSlot(CHAR_CLASSES),
};

const rep = (s: Slot, n: number): Slot[] => Array.from({ length: n }, () => s);
/** A serial number of exactly `d` digits, no leading zero. */
const serial = (d: number): Slot[] => [slot.lead, ...rep(slot.digit, d - 1)];

function buildFormats(maxAgeYear: number): Format[] {
  const f: Format[] = [];
  const add = (name: string, prior: number, slots: Slot[]): void => {
    f.push({ name, prior, slots, length: slots.reduce((a, s) => a + s.width, 0) });
  };
  add("current", FORMAT_PRIORS.current, [slot.tag, slot.tag, ageSlot(maxAgeYear), ...rep(slot.tail, 3)]);
  // Serial numbers: each digit count is as likely as another.
  for (let d = 1; d <= 3; d++) {
    add("prefix", FORMAT_PRIORS.prefix / 3, [slot.year, ...serial(d), ...rep(slot.gb, 3)]);
    add("suffix", FORMAT_PRIORS.suffix / 3, [...rep(slot.gb, 3), ...serial(d), slot.year]);
    add("q", FORMAT_PRIORS.q / 3, [slot.q, ...serial(d), ...rep(slot.qLetter, 3)]);
  }
  for (let d = 1; d <= 4; d++) {
    add("northern-ireland", FORMAT_PRIORS.northernIreland / 4, [slot.letter, slot.niCode, ...serial(d)]);
    for (let l = 1; l <= 3; l++) {
      const p = FORMAT_PRIORS.dateless / 24;
      add("dateless", p, [...serial(d), ...rep(slot.gb, l)]);
      add("dateless", p, [...rep(slot.gb, l), ...serial(d)]);
    }
  }
  return f;
}

const formatCache = new Map<number, Format[]>();
function formatsFor(maxAgeYear: number): Format[] {
  let f = formatCache.get(maxAgeYear);
  if (!f) {
    f = buildFormats(maxAgeYear);
    formatCache.set(maxAgeYear, f);
  }
  return f;
}

/** A slot evaluated at one box offset: per-tuple scores w/W · Π 36·p, best first, and their sum. */
interface SlotEval {
  /** First box of the slot. */
  at: number;
  tuples: number[][];
  /** Per tuple w/W · Π 36·p, best first. */
  scores: number[];
  /** Σ scores: the slot's share of the normaliser. */
  mass: number;
  /** Characters of each tuple, for building plate strings. */
  text: string[];
  /** Σ over the formats using this slot of (format mass / slot mass): its weight in the marginals. */
  coef: number;
}

function evalSlot(s: Slot, lik: Float64Array, at: number): SlotEval {
  const order: { t: number[]; s: number }[] = [];
  let mass = 0;
  for (let t = 0; t < s.tuples.length; t++) {
    const tuple = s.tuples[t]!;
    let v = s.weights[t]! / s.weightSum;
    for (let j = 0; j < tuple.length; j++) v *= lik[(at + j) * K + tuple[j]!]!;
    mass += v;
    order.push({ t: tuple, s: v });
  }
  order.sort((a, b) => b.s - a.s);
  return {
    at,
    tuples: order.map((o) => o.t),
    scores: order.map((o) => o.s),
    mass,
    text: order.map((o) => o.t.map((c) => CHAR_CLASSES[c]).join("")),
    coef: 0,
  };
}

interface Partial {
  score: number;
  plate: string;
}

/**
 * Exact top-`beam` strings of one format: a top string's prefix is always among the top prefixes, so
 * merging slot by slot and keeping `beam` at each step loses nothing; and in the top `beam` of two
 * sorted lists a pair (i, j) always has (i + 1)(j + 1) ≤ beam.
 */
function bestOfFormat(prior: number, evals: SlotEval[], beam: number): Partial[] {
  let acc: Partial[] = [{ score: prior, plate: "" }];
  for (const e of evals) {
    const next: Partial[] = [];
    for (let i = 0; i < acc.length; i++) {
      const a = acc[i]!;
      const take = Math.min(Math.floor(beam / (i + 1)), e.scores.length);
      for (let o = 0; o < take; o++) next.push({ score: a.score * e.scores[o]!, plate: a.plate + e.text[o] });
    }
    next.sort((x, y) => y.score - x.score);
    acc = next.length > beam ? next.slice(0, beam) : next;
  }
  return acc;
}

interface Window {
  start: number;
  length: number;
  prior: number;
}

function windowsFor(n: number, twoLine: boolean, oneLineExtra = EXTRA_BOX_PRIOR): Window[] {
  const extra = twoLine ? EXTRA_BOX_PRIOR_TWO_LINE : oneLineExtra;
  const w: Window[] = [{ start: 0, length: n, prior: n >= 2 ? 1 - 2 * extra : 1 }];
  if (n >= 2) {
    w.push({ start: 1, length: n - 1, prior: extra });
    w.push({ start: 0, length: n - 1, prior: extra });
  }
  return w;
}

interface Job {
  start: number;
  prior: number;
  evals: SlotEval[];
  /** Score of the format's best string: no string of it can beat this. */
  bound: number;
}

interface Scored {
  plate: string;
  score: number;
  start: number;
}

/**
 * The most probable readings of `n` character boxes, best first, each a valid UK mark when region is
 * "gb". `scores` holds n × 36 class probabilities (CHAR_CLASSES order), as written by `classifyBox`.
 */
export function bestPlates(scores: Float32Array, n: number, options: BestPlatesOptions): PlateReading[] {
  if (n <= 0 || options.top <= 0) return [];
  if (scores.length < n * K) throw new RangeError(`scores holds ${scores.length} values, need ${n * K}`);
  const lik = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let c = 0; c < K; c++) sum += Math.max(scores[i * K + c]!, P_FLOOR);
    for (let c = 0; c < K; c++) lik[i * K + c] = (K * Math.max(scores[i * K + c]!, P_FLOOR)) / sum;
  }
  const top = options.top;
  if (options.region === "any") return foreignReadings(lik, n, options);
  const formats = formatsFor(options.maxAgeYear ?? 25);
  // Slot evaluations are shared between formats: the same letter or digit slot at the same box.
  const evalCache = new Map<Slot, SlotEval[]>();
  const evalAt = (s: Slot, at: number): SlotEval => {
    let row = evalCache.get(s);
    if (!row) {
      row = [];
      evalCache.set(s, row);
    }
    row[at] ??= evalSlot(s, lik, at);
    return row[at]!;
  };
  const jobs: Job[] = [];
  let total = 0;
  for (const win of windowsFor(n, options.twoLine ?? false)) {
    // The unformatted reading only feeds the normaliser: "gb" never reports a non-UK string.
    let m = win.prior * UNFORMATTED_PRIOR;
    for (let j = 0; j < win.length; j++) m *= evalAt(slot.any, win.start + j).mass;
    total += m;
    for (const f of formats.filter((f) => f.length === win.length)) {
      const evals: SlotEval[] = [];
      let at = win.start;
      for (const s of f.slots) {
        evals.push(evalAt(s, at));
        at += s.width;
      }
      const prior = win.prior * f.prior;
      let mass = prior;
      let bound = prior;
      for (const e of evals) {
        mass *= e.mass;
        bound *= e.scores[0]!;
      }
      if (!(mass > 0)) continue;
      total += mass;
      // Exact per-box marginals: the other slots of the format contribute their whole mass.
      for (const e of evals) e.coef += mass / e.mass;
      jobs.push({ start: win.start, prior, evals, bound });
    }
  }
  if (!(total > 0)) return [];
  const marginal = new Float64Array(n * K);
  for (const row of evalCache.values()) {
    for (const e of row) {
      if (!e || e.coef === 0) continue;
      for (let t = 0; t < e.tuples.length; t++) {
        const tuple = e.tuples[t]!;
        const v = e.coef * e.scores[t]!;
        for (let j = 0; j < tuple.length; j++) marginal[(e.at + j) * K + tuple[j]!]! += v;
      }
    }
  }
  // Formats (and windows of different length) hold disjoint strings, so the best `top` overall come
  // from formats searched in order of their bound until the bound cannot beat the current top.
  jobs.sort((a, b) => b.bound - a.bound);
  let best: Scored[] = [];
  for (const job of jobs) {
    if (best.length >= top && job.bound <= best[top - 1]!.score) break;
    for (const r of bestOfFormat(job.prior, job.evals, top)) {
      const same = best.find((b) => b.plate === r.plate);
      // Dropping the first or the last box can give the same string: report it once, at its best.
      if (same) {
        if (r.score > same.score) Object.assign(same, { score: r.score, start: job.start });
      } else best.push({ plate: r.plate, score: r.score, start: job.start });
    }
    best.sort((a, b) => b.score - a.score);
    if (best.length > top) best = best.slice(0, top);
  }
  return best.map((s) => ({
    plate: s.plate,
    confidence: Math.min(1, s.score / total),
    charConfidences: [...s.plate].map((ch, j) =>
      Math.min(1, marginal[(s.start + j) * K + CHAR_CLASSES.indexOf(ch)]! / total),
    ),
    firstBox: s.start,
  }));
}

/** `--region any`: no format, letters and digits in runs (run-prior.ts). */
function foreignReadings(lik: Float64Array, n: number, options: BestPlatesOptions): PlateReading[] {
  const { readings, total, marginal } = bestRunReadings(
    lik,
    n,
    windowsFor(n, options.twoLine ?? false, options.extraBoxPrior),
    options.top,
    {
      ...(options.typeChangePrior !== undefined ? { changePrior: options.typeChangePrior } : {}),
      ...(options.shortRunPrior !== undefined ? { shortRunPrior: options.shortRunPrior } : {}),
      ...(options.endShortRunPrior !== undefined ? { endShortRunPrior: options.endShortRunPrior } : {}),
      ...(options.separators ? { separators: options.separators } : {}),
      ...(options.separatorChangePrior !== undefined
        ? { separatorChangePrior: options.separatorChangePrior }
        : {}),
    },
  );
  if (!(total > 0)) return [];
  return readings.map((s) => ({
    plate: s.plate,
    confidence: Math.min(1, s.score / total),
    charConfidences: [...s.plate].map((ch, j) =>
      Math.min(1, marginal[(s.start + j) * K + CHAR_CLASSES.indexOf(ch)]! / total),
    ),
    firstBox: s.start,
  }));
}
