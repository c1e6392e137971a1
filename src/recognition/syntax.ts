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
}

export interface PlateReading {
  /** Upper case, no spaces. */
  plate: string;
  /** Posterior probability of this exact reading among all readings of the boxes, 0..1. */
  confidence: number;
  /** Per character of `plate`: posterior probability that this character is right, 0..1. */
  charConfidences: number[];
}

const K = CHAR_CLASS_COUNT;
const idx = (ch: string): number => CHAR_CLASSES.indexOf(ch);

/** A class mask (weight 1 per allowed class) from the characters of `chars`. */
function mask(chars: string): Float64Array {
  const w = new Float64Array(K);
  for (const ch of chars) w[idx(ch)] = 1;
  return w;
}

const DIGITS = "0123456789";
const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const without = (set: string, banned: string): string => [...set].filter((c) => !banned.includes(c)).join("");

const M_DIGIT = mask(DIGITS);
const M_LETTER = mask(LETTERS);
/** Current format: first two letters (memory tag) never I, Q, Z. */
const M_CURRENT_AREA = mask(without(LETTERS, "IQZ"));
/** Current format: last three letters never I or Q. */
const M_CURRENT_RANDOM = mask(without(LETTERS, "IQ"));
/** Prefix/suffix year letter: never I, O, Q, U, Z. */
const M_YEAR_LETTER = mask(without(LETTERS, "IOQUZ"));
const M_Q = mask("Q");
const M_ANY = mask(CHAR_CLASSES);

/** One or more positions read together: a list of allowed class tuples with prior weights. */
interface Slot {
  width: number;
  tuples: number[][];
  weights: number[];
  weightSum: number;
}

function charSlot(m: Float64Array): Slot {
  const tuples: number[][] = [];
  const weights: number[] = [];
  for (let c = 0; c < K; c++) {
    if (m[c]! > 0) {
      tuples.push([c]);
      weights.push(m[c]!);
    }
  }
  return { width: 1, tuples, weights, weightSum: weights.reduce((a, b) => a + b, 0) };
}

/** The current format's age identifier: two digits, March YY (02..max) or September YY+50 (51..50+max). */
function ageSlot(maxAgeYear: number): Slot {
  const tuples: number[][] = [];
  for (let v = 2; v <= maxAgeYear; v++) tuples.push([Math.floor(v / 10), v % 10]);
  for (let v = 51; v <= 50 + maxAgeYear; v++) tuples.push([Math.floor(v / 10), v % 10]);
  return { width: 2, tuples, weights: tuples.map(() => 1), weightSum: tuples.length };
}

interface Format {
  name: string;
  length: number;
  /** Prior probability of this exact shape (format prior spread over its length variants). */
  prior: number;
  slots: Slot[];
}

/**
 * Share of traffic per format family (roughly the UK fleet: current marks dominate). Only the ratios
 * between formats of the same length matter much; these decide genuinely ambiguous reads.
 */
export const FORMAT_PRIORS = {
  current: 0.8,
  prefix: 0.1,
  suffix: 0.03,
  dateless: 0.04,
  northernIreland: 0.025,
  q: 0.005,
} as const;

/** Prior of a reading that fits no UK format (region "gb"): the mass behind "this is not a UK mark". */
const UNFORMATTED_PRIOR = 0.002;
/** Prior that the segmenter added one stray box at the start, or at the end. */
const EXTRA_BOX_PRIOR = 0.04;
/** The same for a two-line plate (no band, fewer edge artefacts). */
const EXTRA_BOX_PRIOR_TWO_LINE = 0.005;
/** Probabilities are floored here so that one hopeless box cannot zero a whole reading. */
const P_FLOOR = 1e-9;

const slot = {
  digit: charSlot(M_DIGIT),
  letter: charSlot(M_LETTER),
  area: charSlot(M_CURRENT_AREA),
  random: charSlot(M_CURRENT_RANDOM),
  year: charSlot(M_YEAR_LETTER),
  q: charSlot(M_Q),
  any: charSlot(M_ANY),
};

const rep = (s: Slot, n: number): Slot[] => Array.from({ length: n }, () => s);

function buildFormats(maxAgeYear: number): Format[] {
  const f: Format[] = [];
  const add = (name: string, prior: number, slots: Slot[]): void => {
    f.push({ name, prior, slots, length: slots.reduce((a, s) => a + s.width, 0) });
  };
  add("current", FORMAT_PRIORS.current, [slot.area, slot.area, ageSlot(maxAgeYear), ...rep(slot.random, 3)]);
  for (let d = 1; d <= 3; d++) {
    add("prefix", FORMAT_PRIORS.prefix / 3, [slot.year, ...rep(slot.digit, d), ...rep(slot.letter, 3)]);
    add("suffix", FORMAT_PRIORS.suffix / 3, [...rep(slot.letter, 3), ...rep(slot.digit, d), slot.year]);
    add("q", FORMAT_PRIORS.q / 3, [slot.q, ...rep(slot.digit, d), ...rep(slot.letter, 3)]);
  }
  for (let d = 1; d <= 4; d++) {
    for (let l = 1; l <= 3; l++) {
      const p = FORMAT_PRIORS.dateless / 24;
      add("dateless", p, [...rep(slot.digit, d), ...rep(slot.letter, l)]);
      add("dateless", p, [...rep(slot.letter, l), ...rep(slot.digit, d)]);
    }
  }
  return f.concat(northernIrelandFormats());
}

/**
 * Northern Ireland: LLL N{1,4} where the three-letter county code contains I or Z. Expressed as the
 * union of disjoint shapes by where the first I/Z falls: [IZ] L L | [^IZ] [IZ] L | [^IZ] [^IZ] [IZ].
 */
function northernIrelandFormats(): Format[] {
  const iz = charSlot(mask("IZ"));
  const notIz = charSlot(mask(without(LETTERS, "IZ")));
  // Each variant gets its share of the family prior in proportion to how many codes it holds.
  const parts: Slot[][] = [
    [iz, slot.letter, slot.letter],
    [notIz, iz, slot.letter],
    [notIz, notIz, iz],
  ];
  const total = 26 ** 3 - 24 ** 3;
  const out: Format[] = [];
  for (let d = 1; d <= 4; d++) {
    for (const letters of parts) {
      const count = letters.reduce((a, s) => a * s.weightSum, 1);
      out.push({
        name: "northern-ireland",
        length: 3 + d,
        prior: (FORMAT_PRIORS.northernIreland / 4) * (count / total),
        slots: [...letters, ...rep(slot.digit, d)],
      });
    }
  }
  return out;
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
  tuples: number[][];
  scores: number[];
  /** Σ scores: the slot's share of the normaliser. */
  mass: number;
  /** Characters of each tuple, for building plate strings. */
  text: string[];
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
    tuples: order.map((o) => o.t),
    scores: order.map((o) => o.s),
    mass,
    text: order.map((o) => o.t.map((c) => CHAR_CLASSES[c]).join("")),
  };
}

interface Partial {
  score: number;
  plate: string;
}

/**
 * Exact top-`beam` strings of one format: a top string's prefix is always among the top prefixes, so
 * merging slot by slot and keeping `beam` at each step loses nothing.
 */
function bestOfFormat(prior: number, evals: SlotEval[], beam: number): Partial[] {
  let acc: Partial[] = [{ score: prior, plate: "" }];
  for (const e of evals) {
    const next: Partial[] = [];
    const take = Math.min(beam, e.scores.length);
    for (const a of acc) {
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

function windowsFor(n: number, twoLine: boolean): Window[] {
  const extra = twoLine ? EXTRA_BOX_PRIOR_TWO_LINE : EXTRA_BOX_PRIOR;
  const w: Window[] = [{ start: 0, length: n, prior: n >= 2 ? 1 - 2 * extra : 1 }];
  if (n >= 2) {
    w.push({ start: 1, length: n - 1, prior: extra });
    w.push({ start: 0, length: n - 1, prior: extra });
  }
  return w;
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
  const gb = options.region === "gb";
  const lik = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let c = 0; c < K; c++) sum += Math.max(scores[i * K + c]!, P_FLOOR);
    for (let c = 0; c < K; c++) lik[i * K + c] = (K * Math.max(scores[i * K + c]!, P_FLOOR)) / sum;
  }
  const beam = Math.max(1, options.top);
  const formats = gb ? formatsFor(options.maxAgeYear ?? 25) : [];
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
  const found = new Map<string, Scored>();
  /** marginal[box * 36 + class]: posterior mass of readings that put `class` on `box`. */
  const marginal = new Float64Array(n * K);
  let total = 0;
  for (const win of windowsFor(n, options.twoLine ?? false)) {
    const free: Format = {
      name: "any",
      length: win.length,
      prior: gb ? UNFORMATTED_PRIOR : 1,
      slots: rep(slot.any, win.length),
    };
    const candidates = gb ? formats.filter((f) => f.length === win.length) : [free];
    if (gb) {
      let m = win.prior * free.prior;
      for (let j = 0; j < win.length; j++) m *= evalAt(slot.any, win.start + j).mass;
      total += m;
    }
    for (const f of candidates) {
      const evals: SlotEval[] = [];
      let at = win.start;
      for (const s of f.slots) {
        evals.push(evalAt(s, at));
        at += s.width;
      }
      const prior = win.prior * f.prior;
      let mass = prior;
      for (const e of evals) mass *= e.mass;
      if (!(mass > 0)) continue;
      total += mass;
      // Exact per-box marginals: the other slots contribute their whole mass.
      at = win.start;
      for (let k = 0; k < evals.length; k++) {
        const e = evals[k]!;
        const rest = mass / e.mass;
        for (let t = 0; t < e.tuples.length; t++) {
          const tuple = e.tuples[t]!;
          const v = rest * e.scores[t]!;
          for (let j = 0; j < tuple.length; j++) marginal[(at + j) * K + tuple[j]!]! += v;
        }
        at += f.slots[k]!.width;
      }
      for (const r of bestOfFormat(prior, evals, beam)) {
        // Formats overlap (Northern Ireland marks are also dateless): one string, summed prior.
        const key = `${win.start}:${r.plate}`;
        const prev = found.get(key);
        if (prev) prev.score += r.score;
        else found.set(key, { plate: r.plate, score: r.score, start: win.start });
      }
    }
  }
  if (!(total > 0)) return [];
  const ranked = [...found.values()].sort((a, b) => b.score - a.score);
  const out: PlateReading[] = [];
  const seen = new Set<string>();
  for (const s of ranked) {
    if (out.length >= options.top) break;
    // The same string from two windows (rare): report it once, at its best.
    if (seen.has(s.plate)) continue;
    seen.add(s.plate);
    out.push({
      plate: s.plate,
      confidence: Math.min(1, s.score / total),
      charConfidences: [...s.plate].map((ch, j) =>
        Math.min(1, marginal[(s.start + j) * K + CHAR_CLASSES.indexOf(ch)]! / total),
      ),
    });
  }
  return out;
}
