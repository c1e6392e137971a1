import { KestrelError } from "../errors/index.js";

/**
 * Partial-plate patterns: `?` is one character, `*` any run (possibly empty), everything else literal.
 * Spaces are ignored and letters upper-cased, so a witness's `ab1? c*` is `AB1?C*`.
 *
 * The index (see docs/store.md) holds, for every distinct plate, its "grams" over `^plate$`:
 *   T abc  every run of three consecutive characters            (`^AB`, `AB1`, ..., `DE$`)
 *   G a_c  every pair of characters one apart, middle unknown   (`^_B`, `A_1`, ..., `D_$`)
 * A pattern fixes some of those grams (those fully inside a `*`-free stretch of it); a plate can match only
 * if it has all of them, so the query intersects the grams' sorted plate lists (leapfrog join) plus, when the
 * pattern starts with literals, the plate-prefix range, and tests the survivors against the exact pattern.
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

/** Every gram key of a plate: what the intake writes for a plate seen for the first time. */
export function plateGrams(plate: string): Buffer[] {
  const s = START + plate + END;
  const out = new Map<string, Buffer>();
  for (let j = 0; j + 2 < s.length; j++) {
    const t = gramKey(GRAM_TRIGRAM, s.slice(j, j + 3));
    const g = gramKey(GRAM_GAP, s[j]! + s[j + 2]!);
    out.set(t.toString("latin1"), t);
    out.set(g.toString("latin1"), g);
  }
  return [...out.values()];
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
