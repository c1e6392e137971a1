import { KestrelError } from "../errors/index.js";
import { writeAscii } from "./ascii.js";

/**
 * Partial-plate patterns: `?` is one character, `*` any run (possibly empty), everything else literal.
 * Spaces are ignored and letters upper-cased, so a witness's `ab1? c*` is `AB1?C*`.
 *
 * The index (see docs/store.md) holds, for every distinct plate, its "grams" over `^plate$`, keyed under the
 * plate's gram epoch (plates are grouped into epochs in the order they were first listed):
 *   T abc  every run of three consecutive characters            (`^AB`, `AB1`, ..., `DE$`)
 *   G a_c  every pair of characters one apart, middle unknown   (`^_B`, `A_1`, ..., `D_$`)
 * A pattern fixes some of those grams (those fully inside a `*`-free stretch of it); a plate can match only
 * if it has all of them, so the query intersects, in each epoch, the grams' sorted plate lists (leapfrog join)
 * plus, when the pattern starts with literals, the plate-prefix range, merges the epochs' results in plate
 * order and tests the survivors against the exact pattern.
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
 * Every key a plate seen for the first time adds to the gram database: epoch ‖ gram ‖ plate, once per
 * distinct gram. The epoch groups plates by when they were first listed, so one batch's new gram keys land
 * in one small region of each gram's list (see docs/store.md, "Partial-plate search").
 */
export function plateGramKeys(plate: string, epoch: number): Buffer[] {
  const keys: Buffer[] = [];
  const scratch = Buffer.allocUnsafe(EPOCH_BYTES + 4 + plate.length);
  forEachGramKey(plate, epoch, scratch, (key) => keys.push(Buffer.from(key)));
  return keys;
}

/**
 * Calls `each` with every gram key of a plate, written into `scratch` (at least EPOCH_BYTES + 4 + plate
 * length bytes): the view is valid only during the call. Runs once per new plate on the intake path.
 */
export function forEachGramKey(
  plate: string,
  epoch: number,
  scratch: Buffer,
  each: (key: Buffer) => void,
  view: (length: number) => Buffer = (length) => scratch.subarray(0, length),
): void {
  const plateBytes = plate.length;
  forEachGram(plate, (type, a, b, c) => {
    scratch.writeUInt32BE(epoch, 0);
    scratch[4] = type;
    scratch[5] = a;
    if (type === GRAM_TRIGRAM) {
      scratch[6] = b;
      scratch[7] = c;
      writeLatin1(scratch, 8, plate);
      each(view(EPOCH_BYTES + 4 + plateBytes));
    } else {
      scratch[6] = c;
      writeLatin1(scratch, 7, plate);
      each(view(EPOCH_BYTES + 3 + plateBytes));
    }
  });
}

/** Every distinct gram of `^plate$`: trigram (a, b, c) and gap gram (a, c; b unused), once each. */
function forEachGram(plate: string, each: (type: number, a: number, b: number, c: number) => void): void {
  const s = START + plate + END;
  const n = s.length - 2;
  const seenTri: number[] = [];
  const seenGap: number[] = [];
  for (let j = 0; j < n; j++) {
    const a = s.charCodeAt(j);
    const b = s.charCodeAt(j + 1);
    const c = s.charCodeAt(j + 2);
    const tri = (a << 16) | (b << 8) | c;
    if (!seenTri.includes(tri)) {
      seenTri.push(tri);
      each(GRAM_TRIGRAM, a, b, c);
    }
    const gap = (a << 8) | c;
    if (!seenGap.includes(gap)) {
      seenGap.push(gap);
      each(GRAM_GAP, a, 0, c);
    }
  }
}

/**
 * Calls `each` with every gram key of `plates` (new plates of one intake batch, in plate order) in key
 * order, written into `scratch` as forEachGramKey does. Sorted puts walk the gram B-tree's pages one after
 * another instead of jumping between them: in the bench's first million reads (most plates new, 14 gram keys
 * each) the gram puts took 40% of the intake's time in random order.
 */
export function forEachGramKeySorted(
  plates: ReadonlyArray<{ plate: string; epoch: number }>,
  scratch: Buffer,
  each: (key: Buffer) => void,
  view: (length: number) => Buffer = (length) => scratch.subarray(0, length),
): void {
  if (plates.length === 0) return;
  // One number per gram key: gram id (epoch relative to the first, the type byte, the characters: ids sort as
  // the keys' prefixes do, G 0x47 before T 0x54) times 2^20, plus the plate's index. The plates arrive in
  // plate order, so sorting the numbers (a native typed-array sort) puts the keys in key order.
  const firstEpoch = plates[0]!.epoch;
  let bound = 0;
  for (const { plate } of plates) bound += 2 * (plate.length + 1);
  const codes = new Float64Array(bound);
  let n = 0;
  for (let i = 0; i < plates.length; i++) {
    const { plate, epoch } = plates[i]!;
    const base = (epoch - firstEpoch) * 0x2000000;
    forEachGram(plate, (type, a, b, c) => {
      const chars = type === GRAM_TRIGRAM ? 0x1000000 + ((a << 16) | (b << 8) | c) : (a << 8) | c;
      codes[n++] = (base + chars) * 0x100000 + i;
    });
  }
  const sorted = codes.subarray(0, n).sort();
  let lastId = -1;
  let at = 0;
  for (let k = 0; k < n; k++) {
    const code = sorted[k]!;
    const id = Math.floor(code / 0x100000);
    const plate = plates[code - id * 0x100000]!.plate;
    if (id !== lastId) {
      lastId = id;
      const rel = Math.floor(id / 0x2000000);
      const chars = id - rel * 0x2000000;
      scratch.writeUInt32BE(firstEpoch + rel, 0);
      if (chars >= 0x1000000) {
        scratch[4] = GRAM_TRIGRAM;
        scratch[5] = (chars >> 16) & 0xff;
        scratch[6] = (chars >> 8) & 0xff;
        scratch[7] = chars & 0xff;
        at = EPOCH_BYTES + 4;
      } else {
        scratch[4] = GRAM_GAP;
        scratch[5] = (chars >> 8) & 0xff;
        scratch[6] = chars & 0xff;
        at = EPOCH_BYTES + 3;
      }
    }
    writeLatin1(scratch, at, plate);
    each(view(at + plate.length));
  }
}

function writeLatin1(b: Buffer, o: number, s: string): void {
  if (writeAscii(b, o, s) < 0) b.write(s, o, "latin1");
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
