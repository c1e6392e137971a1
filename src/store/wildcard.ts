import { KestrelError } from "../errors/index.js";

/**
 * Partial-plate patterns: `?` is one character, `*` any run (possibly empty), everything else literal.
 * Spaces are ignored and letters upper-cased, so a witness's `ab1? c*` is `AB1?C*`.
 *
 * The index (see docs/store.md) groups plates into gram epochs in the order they were first listed. For
 * each sealed epoch it holds, per "gram" over `^plate$`, the sorted list of the epoch's plates that have it:
 *   T abc  every run of three consecutive characters            (`^AB`, `AB1`, ..., `DE$`)
 *   G a_c  every pair of characters one apart, middle unknown   (`^_B`, `A_1`, ..., `D_$`)
 * A pattern fixes some of those grams (those fully inside a `*`-free stretch of it); a plate can match only
 * if it has all of them, so the query intersects, in each sealed epoch, the grams' posting lists (leapfrog
 * join) plus, when the pattern starts with literals, the plate-prefix range; tests the open epoch's plates
 * one by one; merges the epochs' results in plate order and tests the survivors against the exact pattern.
 */

export const GRAM_TRIGRAM = 0x54; // "T"
export const GRAM_GAP = 0x47; // "G"
const START = "^";
const END = "$";
const MAX_PATTERN_CHARS = 24;

export interface ParsedPattern {
  /** Normalised pattern (upper case, no spaces, runs of `*` collapsed). */
  pattern: string;
  regex: RegExp;
  /** Literal characters the pattern starts with ("" if it starts with a wildcard). */
  prefix: string;
  /** Gram keys (type byte + characters) every matching plate has, deduplicated. */
  grams: Buffer[];
  /** True if the pattern has no wildcard at all: an exact plate. */
  exact: boolean;
}

export function parsePattern(input: string): ParsedPattern {
  if (typeof input !== "string") throw bad("pattern must be a string");
  const pattern = input.replace(/\s+/g, "").toUpperCase().replace(/\*+/g, "*");
  if (pattern.length === 0) throw bad("pattern is empty");
  if (pattern.length > MAX_PATTERN_CHARS) throw bad(`pattern longer than ${MAX_PATTERN_CHARS} characters`);
  if (!/^[A-Z0-9?*]+$/.test(pattern)) {
    throw bad("pattern may hold only letters, digits, '?' (one character) and '*' (any run)");
  }
  const literals = pattern.replace(/[?*]/g, "").length;
  if (literals === 0) throw bad("pattern needs at least one letter or digit");

  const regex = new RegExp(`^${pattern.replace(/\?/g, ".").replace(/\*/g, ".*")}$`);
  const prefix = /^[A-Z0-9]*/.exec(pattern)![0];

  const grams = new Map<string, Buffer>();
  const segments = pattern.split("*");
  segments.forEach((segment, i) => {
    let s = segment;
    if (i === 0) s = START + s;
    if (i === segments.length - 1) s = s + END;
    for (let j = 0; j + 2 < s.length; j++) {
      const a = s[j]!;
      const b = s[j + 1]!;
      const c = s[j + 2]!;
      if (a === "?" || c === "?") continue;
      const gram = b === "?" ? gramKey(GRAM_GAP, a + c) : gramKey(GRAM_TRIGRAM, a + b + c);
      grams.set(gram.toString("latin1"), gram);
    }
  });
  return { pattern, regex, prefix, grams: [...grams.values()], exact: !/[?*]/.test(pattern) };
}

/** Bytes of the gram epoch that prefixes every gram key (uint32 big-endian). */
export const EPOCH_BYTES = 4;

/**
 * The gram keys of a plate in a sealed epoch: epoch ‖ type ‖ characters, once per distinct gram. Each such
 * key's value is the epoch's posting list of that gram (every plate of the epoch that has it).
 */
export function plateGramKeys(plate: string, epoch: number): Buffer[] {
  const keys: Buffer[] = [];
  forEachGramId(plate, (id) => keys.push(gramIdKey(epoch, id)));
  return keys;
}

/**
 * The posting lists of a sealed epoch, from its plates (in plate order): each gram key (epoch ‖ gram) with
 * its value, in key order, so they can be appended to the gram database one after another.
 */
export function epochPostings(
  epoch: number,
  plates: readonly string[],
): Array<{ key: Buffer; value: Buffer }> {
  const lists = new Map<number, string[]>();
  for (const plate of plates) {
    forEachGramId(plate, (id) => {
      const list = lists.get(id);
      if (list) list.push(plate);
      else lists.set(id, [plate]);
    });
  }
  return [...lists.keys()]
    .sort((x, y) => x - y)
    .map((id) => ({ key: gramIdKey(epoch, id), value: encodePostings(lists.get(id)!) }));
}

/**
 * Every distinct gram of `^plate$` as a number that sorts as its key bytes do: type << 24 | chars (T: three
 * characters; G: the outer two, then 0). G (0x47) sorts before T (0x54), as in the keys.
 */
function forEachGramId(plate: string, each: (id: number) => void): void {
  const s = START + plate + END;
  const n = s.length - 2;
  const seen: number[] = [];
  for (let j = 0; j < n; j++) {
    const a = s.charCodeAt(j);
    const b = s.charCodeAt(j + 1);
    const c = s.charCodeAt(j + 2);
    const tri = (GRAM_TRIGRAM << 24) | (a << 16) | (b << 8) | c;
    const gap = (GRAM_GAP << 24) | (a << 16) | (c << 8);
    for (const id of [tri, gap]) {
      if (seen.includes(id)) continue;
      seen.push(id);
      each(id);
    }
  }
}

function gramIdKey(epoch: number, id: number): Buffer {
  const trigram = id >>> 24 === GRAM_TRIGRAM;
  const key = Buffer.allocUnsafe(EPOCH_BYTES + (trigram ? 4 : 3));
  key.writeUInt32BE(epoch, 0);
  key[4] = id >>> 24;
  key[5] = (id >>> 16) & 0xff;
  key[6] = (id >>> 8) & 0xff;
  if (trigram) key[7] = id & 0xff;
  return key;
}

// ---------------------------------------------------------------- posting lists
//
// A posting list: u8 width ‖ n entries of `width` bytes, each a plate (latin1) padded with 0x00, in plate
// order. Plates never hold 0x00 and the padding sorts below every character, so the entries sort as the
// plates do and "first plate ≥ x" is a binary search with no decoding.

export function encodePostings(plates: readonly string[]): Buffer {
  let width = 1;
  for (const p of plates) if (p.length > width) width = p.length;
  const out = Buffer.alloc(1 + plates.length * width);
  out[0] = width;
  plates.forEach((p, i) => {
    out.write(p, 1 + i * width, "latin1");
  });
  return out;
}

export function postingsCount(value: Uint8Array): number {
  return Math.floor((value.length - 1) / value[0]!);
}

/** Entry i against `s` as strings: negative, 0 or positive. */
function compareEntry(value: Uint8Array, i: number, s: string): number {
  const width = value[0]!;
  const at = 1 + i * width;
  for (let k = 0; ; k++) {
    const e = k < width ? value[at + k]! : 0;
    const entryEnded = e === 0;
    const sEnded = k >= s.length;
    if (entryEnded || sEnded) return entryEnded && sEnded ? 0 : entryEnded ? -1 : 1;
    const d = e - s.charCodeAt(k);
    if (d !== 0) return d;
  }
}

function entryAt(value: Uint8Array, i: number): string {
  const width = value[0]!;
  const at = 1 + i * width;
  let end = at;
  while (end < at + width && value[end] !== 0) end++;
  return String.fromCharCode(...value.subarray(at, end));
}

/** Index of the first entry ≥ `s` (the count if none). */
function lowerBound(value: Uint8Array, s: string): number {
  let lo = 0;
  let hi = postingsCount(value);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareEntry(value, mid, s) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first plate in the list at or after `from`, or undefined. */
export function postingsFirstAtOrAfter(value: Uint8Array, from: string): string | undefined {
  const i = lowerBound(value, from);
  return i < postingsCount(value) ? entryAt(value, i) : undefined;
}

export function postingsHas(value: Uint8Array, plate: string): boolean {
  const i = lowerBound(value, plate);
  return i < postingsCount(value) && compareEntry(value, i, plate) === 0;
}

/** The list without `plate` (the same bytes if it was not there), or undefined if nothing is left. */
export function postingsWithout(value: Uint8Array, plate: string): Buffer | undefined {
  const n = postingsCount(value);
  const i = lowerBound(value, plate);
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (i >= n || compareEntry(value, i, plate) !== 0) return Buffer.from(bytes);
  if (n === 1) return undefined;
  const width = value[0]!;
  return Buffer.concat([bytes.subarray(0, 1 + i * width), bytes.subarray(1 + (i + 1) * width)]);
}

export function gramKey(type: number, chars: string): Buffer {
  const key = Buffer.allocUnsafe(1 + chars.length);
  key[0] = type;
  key.write(chars, 1, "latin1");
  return key;
}

function bad(detail: string): KestrelError {
  return new KestrelError("KESTREL_E_STORE_QUERY", detail, { details: { field: "pattern" } });
}
