import { HOTLIST_CHAR_BITS, HOTLIST_MAX_PLATE_CHARS } from "../../assembly/shared/constants.js";

/**
 * Plates as 64-bit keys for the wasm table: 6 bits per character from bit 0 (0 = no character,
 * 1..10 = '0'..'9', 11..36 = 'A'..'Z'), written as two u32 halves (characters 0-4 low, 5-9 high) so the
 * host never needs a BigInt on the hot path.
 */

const PLATE_PATTERN = /^[0-9A-Z]{1,10}$/;

/** A VRM as stored: upper case, no spaces or hyphens. */
export function normalisePlate(raw: string): string {
  return raw.replace(/[\s-]+/g, "").toUpperCase();
}

/** True for a normalised plate a key can hold: 1-10 characters from 0-9 and A-Z. */
export function isPackablePlate(plate: string): boolean {
  return PLATE_PATTERN.test(plate);
}

function charCode(code: number): number {
  if (code >= 48 && code <= 57) return code - 47;
  if (code >= 65 && code <= 90) return code - 54;
  return -1;
}

/**
 * Writes `plate`'s key at pair `index` of `out` (out[2*index] low, out[2*index+1] high).
 * Returns false, writing key 0 (never a plate), when the plate cannot be packed.
 */
export function packPlateInto(plate: string, out: Uint32Array, index: number): boolean {
  let lo = 0;
  let hi = 0;
  const length = plate.length;
  let ok = length >= 1 && length <= HOTLIST_MAX_PLATE_CHARS;
  for (let i = 0; ok && i < length; i++) {
    const c = charCode(plate.charCodeAt(i));
    if (c < 0) ok = false;
    else if (i < 5) lo |= c << (i * HOTLIST_CHAR_BITS);
    else hi |= c << ((i - 5) * HOTLIST_CHAR_BITS);
  }
  out[2 * index] = ok ? lo >>> 0 : 0;
  out[2 * index + 1] = ok ? hi >>> 0 : 0;
  return ok;
}

const ALPHABET = " 0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

function unpackHalf(half: number, into: string[]): void {
  for (let i = 0; i < 5; i++) {
    const c = (half >>> (i * HOTLIST_CHAR_BITS)) & 63;
    if (c === 0) return;
    into.push(ALPHABET[c]!);
  }
}

/** The plate a key holds. */
export function unpackKey(lo: number, hi: number): string {
  const chars: string[] = [];
  unpackHalf(lo, chars);
  if (chars.length === 5) unpackHalf(hi, chars);
  return chars.join("");
}

/** The key as one BigInt (for tests and the normaliseKey export). */
export function packPlate(plate: string): bigint {
  const pair = new Uint32Array(2);
  if (!packPlateInto(plate, pair, 0)) return 0n;
  return (BigInt(pair[1]!) << 32n) | BigInt(pair[0]!);
}

export function unpackBigKey(key: bigint): string {
  return unpackKey(Number(key & 0xffffffffn), Number(key >> 32n));
}
