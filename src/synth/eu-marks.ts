import type { Rng } from "./rng.js";

/**
 * European registration marks for `--region eu` material: the group shapes a few countries print, as
 * patterns of L (letter), N (digit) and A (either), with "|" where the plate shows its main separator
 * (a dash, a crest, the German seals or a wide space) and " " for a plain space. The shapes are public
 * conventions (Slovak LL-NNNLL, Czech NLN NNNN, Polish LL NNNNN, German L-LL NNNN, ...); letters are
 * drawn from all 26 so O/0 and I/1 appear in every position a plate may hold them.
 */
export interface EuFormat {
  /** The country code on the plate's blue band (or its left tab). */
  country: string;
  pattern: string;
  /** Share of the material with this shape. */
  weight: number;
  /** Separators this country prints at "|". */
  separators: readonly EuSeparator[];
}

/** What stands between the main groups. */
export type EuSeparator = "space" | "dash" | "crest" | "seals";

export const EU_FORMATS: readonly EuFormat[] = [
  { country: "SK", pattern: "LL|NNNLL", weight: 0.3, separators: ["crest", "dash"] },
  { country: "CZ", pattern: "NLA|NNNN", weight: 0.15, separators: ["space"] },
  { country: "PL", pattern: "LL|NNNNN", weight: 0.08, separators: ["space"] },
  { country: "PL", pattern: "LLL|NNNN", weight: 0.06, separators: ["space"] },
  { country: "PL", pattern: "LL|NNNLL", weight: 0.04, separators: ["space"] },
  { country: "D", pattern: "L|LL NNNN", weight: 0.06, separators: ["seals", "dash"] },
  { country: "D", pattern: "LL|L NNN", weight: 0.05, separators: ["seals", "dash"] },
  { country: "D", pattern: "LLL|LL NN", weight: 0.03, separators: ["seals", "dash"] },
  { country: "N", pattern: "LL|NNNNN", weight: 0.05, separators: ["space"] },
  { country: "H", pattern: "LLL|NNN", weight: 0.05, separators: ["dash"] },
  { country: "A", pattern: "L|NNNNLL", weight: 0.04, separators: ["crest", "dash"] },
  { country: "I", pattern: "LL|NNNLL", weight: 0.05, separators: ["space"] },
  { country: "F", pattern: "LL|NNN|LL", weight: 0.04, separators: ["dash"] },
  // shapes that end in a single character: rarer, but printed
  { country: "PL", pattern: "LL|NNNNL", weight: 0.03, separators: ["space"] },
  { country: "NL", pattern: "NN|LLL|N", weight: 0.03, separators: ["dash"] },
];

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS = "0123456789";

export interface EuMark {
  /** Upper case, no separators: what a reader should return. */
  text: string;
  /** The groups as printed, split at the main separators. */
  groups: string[];
  format: EuFormat;
}

/** A random mark of a random (weighted) European shape. */
export function randomEuMark(rng: Rng): EuMark {
  const weights: Record<string, number> = {};
  EU_FORMATS.forEach((f, i) => {
    weights[i] = f.weight;
  });
  const format = EU_FORMATS[Number(rng.weighted(weights))] as EuFormat;
  let printed = "";
  for (const p of format.pattern) {
    if (p === "L") printed += rng.pick([...LETTERS]);
    else if (p === "N") printed += rng.pick([...DIGITS]);
    else if (p === "A") printed += rng.pick([...(rng.chance(0.5) ? LETTERS : DIGITS)]);
    else printed += p;
  }
  const groups = printed.split("|");
  return { text: printed.replace(/[| ]/g, ""), groups, format };
}
