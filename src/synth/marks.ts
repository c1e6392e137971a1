import { NI_COUNTY_CODES } from "../domain/uk-marks.js";
import type { Rng } from "./rng.js";

/**
 * UK registration marks (VRMs) as DOMAIN.md defines them: generation of valid marks of every format,
 * recognition of a mark's format, and the two display groups a plate shows.
 * Marks are upper case without spaces.
 */
export type PlateFormat = "current" | "prefix" | "suffix" | "dateless" | "northern-ireland" | "q";

export const PLATE_FORMATS: readonly PlateFormat[] = [
  "current",
  "prefix",
  "suffix",
  "dateless",
  "northern-ireland",
  "q",
];

/** Roughly what a road shows: mostly current marks, a tail of older and special ones. */
export const FORMAT_WEIGHTS: Readonly<Record<PlateFormat, number>> = {
  current: 0.72,
  prefix: 0.08,
  suffix: 0.04,
  dateless: 0.05,
  "northern-ireland": 0.07,
  q: 0.04,
};

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Current marks: the two memory-tag letters are never I, Q or Z. */
const MEMORY_TAG = "ABCDEFGHJKLMNOPRSTUVWXY";
/** Current marks: the three random letters are never I or Q. */
const CURRENT_TAIL = "ABCDEFGHJKLMNOPRSTUVWXYZ";
/** Prefix and suffix year letters are never I, O, Q, U or Z. */
const YEAR_LETTER = "ABCDEFGHJKLMNPRSTVWXY";
/** Letters of GB marks outside the year letter: I and Z mark Northern Ireland, Q its own series. */
const GB_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY";

/** Age identifiers of current marks: March = the year's last two digits, September = +50. */
export const AGE_IDENTIFIERS: readonly string[] = [
  ...Array.from({ length: 24 }, (_, i) => String(i + 2).padStart(2, "0")), // 02..25
  ...Array.from({ length: 25 }, (_, i) => String(i + 51)), // 51..75
];

const RE: Readonly<Record<PlateFormat, RegExp>> = {
  current: /^[ABCDEFGHJKLMNOPRSTUVWXY]{2}(0[2-9]|1\d|2[0-5]|5[1-9]|6\d|7[0-5])[ABCDEFGHJKLMNOPRSTUVWXYZ]{3}$/,
  q: /^Q[1-9]\d{0,2}[A-Z]{3}$/,
  prefix: /^[ABCDEFGHJKLMNPRSTVWXY][1-9]\d{0,2}[A-Z]{3}$/,
  suffix: /^[A-Z]{3}[1-9]\d{0,2}[ABCDEFGHJKLMNPRSTVWXY]$/,
  "northern-ireland":
    /^[A-Z](AZ|BZ|CZ|DZ|EZ|FZ|GZ|HZ|IA|IB|IG|IJ|IL|IW|JI|JZ|KZ|LZ|MZ|NZ|OI|PZ|RZ|SZ|TZ|UI|UZ|VZ|WZ|XI|XZ|YZ)[1-9]\d{0,3}$/,
  dateless: /^([1-9]\d{0,3}[ABCDEFGHJKLMNOPRSTUVWXY]{1,3}|[ABCDEFGHJKLMNOPRSTUVWXY]{1,3}[1-9]\d{0,3})$/,
};

/** Order matters: a Q mark also fits the prefix shape, a Northern Ireland mark also fits a dateless one. */
const DETECT_ORDER: readonly PlateFormat[] = [
  "current",
  "q",
  "prefix",
  "suffix",
  "northern-ireland",
  "dateless",
];

/** The format of a mark, or undefined if it is not a valid UK mark. */
export function formatOf(mark: string): PlateFormat | undefined {
  for (const f of DETECT_ORDER) if (RE[f].test(mark)) return f;
  return undefined;
}

export function isValidMark(mark: string): boolean {
  return formatOf(mark) !== undefined;
}

function letters(rng: Rng, alphabet: string, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += alphabet[rng.int(0, alphabet.length - 1)];
  return s;
}

/** 1..(10^maxDigits - 1) with no leading zero; short numbers are as likely as long ones. */
function number(rng: Rng, maxDigits: number): string {
  const digits = rng.int(1, maxDigits);
  return String(rng.int(digits === 1 ? 1 : 10 ** (digits - 1), 10 ** digits - 1));
}

export interface Mark {
  text: string;
  format: PlateFormat;
}

/** A random valid mark of the given format, or of a format drawn from FORMAT_WEIGHTS. */
export function randomMark(rng: Rng, format: PlateFormat = rng.weighted(FORMAT_WEIGHTS)): Mark {
  let text: string;
  switch (format) {
    case "current":
      text = letters(rng, MEMORY_TAG, 2) + rng.pick(AGE_IDENTIFIERS) + letters(rng, CURRENT_TAIL, 3);
      break;
    case "prefix":
      text = letters(rng, YEAR_LETTER, 1) + number(rng, 3) + letters(rng, GB_LETTERS, 3);
      break;
    case "suffix":
      text = letters(rng, GB_LETTERS, 3) + number(rng, 3) + letters(rng, YEAR_LETTER, 1);
      break;
    case "dateless": {
      const l = letters(rng, GB_LETTERS, rng.int(1, 3));
      const n = number(rng, 4);
      text = rng.chance(0.5) ? n + l : l + n;
      break;
    }
    case "northern-ireland":
      text = letters(rng, LETTERS, 1) + rng.pick(NI_COUNTY_CODES) + number(rng, 4);
      break;
    case "q":
      text = `Q${number(rng, 3)}${letters(rng, GB_LETTERS, 3)}`;
      break;
  }
  return { text, format };
}

/** Foreign-looking text: 5-8 characters of A-Z0-9 with no UK rule, for `--region any` training. */
export function randomForeignText(rng: Rng): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  return letters(rng, alphabet, rng.int(5, 8));
}

/**
 * The two groups a plate shows, e.g. AB12CDE -> ["AB12", "CDE"], ABC123D -> ["ABC", "123D"].
 * Foreign or unknown text splits near the middle at a letter/digit boundary where there is one.
 */
export function groupsOf(mark: string, format: PlateFormat | undefined = formatOf(mark)): [string, string] {
  const at = (i: number): [string, string] => [mark.slice(0, i), mark.slice(i)];
  switch (format) {
    case "current":
      return at(4);
    case "prefix":
    case "q":
      return at(mark.length - 3);
    case "suffix":
    case "northern-ireland":
      return at(3);
    case "dateless": {
      const m = /^(\d+|[A-Z]+)/.exec(mark);
      return at(m ? m[0].length : 1);
    }
    default: {
      const mid = Math.floor(mark.length / 2);
      for (let d = 0; d <= mid; d++) {
        for (const i of [mid - d, mid + d]) {
          if (i <= 0 || i >= mark.length) continue;
          const a = mark[i - 1] as string;
          const b = mark[i] as string;
          if (/\d/.test(a) !== /\d/.test(b)) return at(i);
        }
      }
      return at(mid);
    }
  }
}
