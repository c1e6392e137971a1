// Hot-list table: a blocked bloom filter (one 64-byte cache line per key, after Putze, Sanders & Singler,
// "Cache-, hash- and space-efficient bloom filters", 2007, in the split-block form Parquet uses) in front of
// an exact open-addressing set of 64-bit plate keys (linear probing, backward-shift deletion, slots indexed
// by Lemire's multiply-shift range reduction so the table need not be a power of two).
// An optional second bloom filter holds each plate's look-alike-normalised key (8->B, 0/D/Q->O, 1->I, 5->S,
// 2->Z, 6->G): a read whose normalised key is absent cannot be a look-alike of any listed plate, so the
// substitution variants are enumerated only when it is present.
//
// Layout (chosen by the host, src/hotlist/table.ts): a header of u32 fields at `hdr`, bloom blocks, look-alike
// bloom blocks and set slots elsewhere in the same memory. Keys: 6 bits per character (characters 0-4 from bit 0, 5-9 from bit 32),
// 0 = no character, 1..10 = '0'..'9', 11..36 = 'A'..'Z'; key 0 is the empty slot and never a plate.
// Nothing here allocates: the host sizes the memory once per table and never grows it.

import { HOTLIST_CHAR_BITS, HOTLIST_HIT_BYTES, HOTLIST_MAX_PLATE_CHARS } from "../shared/constants";

const H_BLOOM: usize = 0;
const H_BLOCKS: usize = 4;
const H_NORM: usize = 8;
const H_NORM_BLOCKS: usize = 12;
const H_SET: usize = 16;
const H_SLOTS: usize = 20;
const H_COUNT: usize = 24;
const H_STALE: usize = 28;
const H_TOUCH: usize = 32;
/** Keys whose cache lines are touched together before they are used, so their memory misses overlap. */
const GROUP = 8;

const CHAR_MASK: u64 = 63;
// 64-bit multipliers written as two halves (a JS linter cannot read 64-bit literals); the compiler folds them.
const MIX_1: u64 = ((<u64>0xff51afd7) << 32) | 0xed558ccd;
const MIX_2: u64 = ((<u64>0xc4ceb9fe) << 32) | 0x1a85ec53;
const GOLDEN: u64 = ((<u64>0x9e3779b9) << 32) | 0x7f4a7c15;

// Characters 0-4 fill bits 0..29 of the key and characters 5-9 bits 32..61 (two u32 halves for the host).
function shiftOf(p: u32): u64 {
  return <u64>(p < 5 ? p * HOTLIST_CHAR_BITS : 32 + (p - 5) * HOTLIST_CHAR_BITS);
}

// murmur3's 64-bit finaliser: every key bit affects every hash bit.
function mix(k: u64): u64 {
  k ^= k >> 33;
  k *= MIX_1;
  k ^= k >> 33;
  k *= MIX_2;
  k ^= k >> 33;
  return k;
}

// Multiply-shift range reduction of a 32-bit hash to [0, n).
function reduce(h32: u32, n: u32): u32 {
  return <u32>((<u64>h32 * <u64>n) >> 32);
}

// Bit `(h * salt) >> 26` of each of the block's eight words (salts from Parquet's split block bloom filter).
function bit(h32: u32, salt: u32): u64 {
  const index = <u64>((h32 * salt) >> 26);
  return (<u64>1) << index;
}

function blockOf(base: usize, nBlocks: u32, h: u64): usize {
  return base + ((<usize>reduce(<u32>(h >> 32), nBlocks)) << 6);
}

function bloomAdd(base: usize, nBlocks: u32, h: u64): void {
  const b = blockOf(base, nBlocks, h);
  const h32 = <u32>h;
  store<u64>(b, load<u64>(b) | bit(h32, 0x47b6137b));
  store<u64>(b + 8, load<u64>(b + 8) | bit(h32, 0x44974d91));
  store<u64>(b + 16, load<u64>(b + 16) | bit(h32, 0x8824ad5b));
  store<u64>(b + 24, load<u64>(b + 24) | bit(h32, 0xa2b7289d));
  store<u64>(b + 32, load<u64>(b + 32) | bit(h32, 0x705495c7));
  store<u64>(b + 40, load<u64>(b + 40) | bit(h32, 0x2df1424b));
  store<u64>(b + 48, load<u64>(b + 48) | bit(h32, 0x9efc4947));
  store<u64>(b + 56, load<u64>(b + 56) | bit(h32, 0x5c6bfb31));
}

// Branch-free: the eight loads share one cache line and independent keys overlap their misses.
function bloomHas(base: usize, nBlocks: u32, h: u64): bool {
  const b = blockOf(base, nBlocks, h);
  const h32 = <u32>h;
  let miss: u64 = ~load<u64>(b) & bit(h32, 0x47b6137b);
  miss |= ~load<u64>(b + 8) & bit(h32, 0x44974d91);
  miss |= ~load<u64>(b + 16) & bit(h32, 0x8824ad5b);
  miss |= ~load<u64>(b + 24) & bit(h32, 0xa2b7289d);
  miss |= ~load<u64>(b + 32) & bit(h32, 0x705495c7);
  miss |= ~load<u64>(b + 40) & bit(h32, 0x2df1424b);
  miss |= ~load<u64>(b + 48) & bit(h32, 0x9efc4947);
  miss |= ~load<u64>(b + 56) & bit(h32, 0x5c6bfb31);
  return miss === 0;
}

function homeSlot(h: u64, nSlots: u32): u32 {
  return reduce(<u32>((h * GOLDEN) >> 32), nSlots);
}

// Loads the first word of each key's line for keys [from, to) (bloom blocks, or set home slots when
// `setPtr` is non-zero): the loads are independent, so the CPU has all their misses in flight at once.
// The caller stores the returned value so the loads are kept.
function touch(
  keysPtr: usize,
  from: i32,
  to: i32,
  bloomPtr: usize,
  nBlocks: u32,
  normPtr: usize,
  nNormBlocks: u32,
  setPtr: usize,
  nSlots: u32,
): u64 {
  let t: u64 = 0;
  for (let k = from; k < to; k++) {
    const key = load<u64>(keysPtr + ((<usize>k) << 3));
    const h = mix(key);
    if (nBlocks !== 0) t |= load<u64>(blockOf(bloomPtr, nBlocks, h));
    if (nNormBlocks !== 0) t |= load<u64>(blockOf(normPtr, nNormBlocks, mix(normalise(key))));
    if (nSlots !== 0) t |= load<u64>(setPtr + ((<usize>homeSlot(h, nSlots)) << 3));
  }
  return t;
}

function setHas(setPtr: usize, nSlots: u32, key: u64, h: u64): bool {
  let i = homeSlot(h, nSlots);
  let s = load<u64>(setPtr + ((<usize>i) << 3));
  while (s !== 0) {
    if (s === key) return true;
    i++;
    if (i === nSlots) i = 0;
    s = load<u64>(setPtr + ((<usize>i) << 3));
  }
  return false;
}

function has(hdr: usize, key: u64): bool {
  const h = mix(key);
  if (!bloomHas(<usize>load<u32>(hdr + H_BLOOM), load<u32>(hdr + H_BLOCKS), h)) return false;
  return setHas(<usize>load<u32>(hdr + H_SET), load<u32>(hdr + H_SLOTS), key, h);
}

// Look-alike class representative of a packed character (see the header comment).
function canon(c: u32): u32 {
  switch (c) {
    case 9: // 8 -> B
      return 12;
    case 1: // 0, D, Q -> O
    case 14:
    case 27:
      return 25;
    case 2: // 1 -> I
      return 19;
    case 6: // 5 -> S
      return 29;
    case 3: // 2 -> Z
      return 36;
    case 7: // 6 -> G
      return 17;
    default:
      return c;
  }
}

// Members of a character's look-alike class, 6 bits each from bit 0, member count in bits 24..27.
function classOf(c: u32): u32 {
  const r = canon(c);
  if (r === 12) return (2 << 24) | 12 | (9 << 6);
  if (r === 25) return (4 << 24) | 25 | (1 << 6) | (14 << 12) | (27 << 18);
  if (r === 19) return (2 << 24) | 19 | (2 << 6);
  if (r === 29) return (2 << 24) | 29 | (6 << 6);
  if (r === 36) return (2 << 24) | 36 | (3 << 6);
  if (r === 17) return (2 << 24) | 17 | (7 << 6);
  return (1 << 24) | c;
}

function normalise(key: u64): u64 {
  let out: u64 = 0;
  for (let p: u32 = 0; p < <u32>HOTLIST_MAX_PLATE_CHARS; p++) {
    const shift = shiftOf(p);
    const c = <u32>((key >> shift) & CHAR_MASK);
    if (c === 0) break;
    out |= (<u64>canon(c)) << shift;
  }
  return out;
}

function replaceChar(key: u64, p: u32, c: u32): u64 {
  const shift = shiftOf(p);
  return (key & ~(CHAR_MASK << shift)) | ((<u64>c) << shift);
}

function writeHit(outPtr: usize, n: i32, key: u64, index: i32, substitutions: i32): void {
  const at = outPtr + <usize>n * HOTLIST_HIT_BYTES;
  store<u64>(at, key);
  store<i32>(at, index, 8);
  store<i32>(at, substitutions, 12);
}

/** Lays out an empty table: header at `hdr`; zeroed bloom blocks, look-alike blocks (0 = none) and slots. */
export function tableInit(
  hdr: usize,
  bloomPtr: usize,
  nBlocks: u32,
  normPtr: usize,
  nNormBlocks: u32,
  setPtr: usize,
  nSlots: u32,
): void {
  store<u32>(hdr + H_BLOOM, <u32>bloomPtr);
  store<u32>(hdr + H_BLOCKS, nBlocks);
  store<u32>(hdr + H_NORM, <u32>normPtr);
  store<u32>(hdr + H_NORM_BLOCKS, nNormBlocks);
  store<u32>(hdr + H_SET, <u32>setPtr);
  store<u32>(hdr + H_SLOTS, nSlots);
  store<u32>(hdr + H_COUNT, 0);
  store<u32>(hdr + H_STALE, 0);
}

/** Inserts `n` u64 keys at `keysPtr`; returns how many were new, or -1 when the set would exceed 15/16 full. */
export function tableInsert(hdr: usize, keysPtr: usize, n: i32): i32 {
  const bloomPtr = <usize>load<u32>(hdr + H_BLOOM);
  const nBlocks = load<u32>(hdr + H_BLOCKS);
  const normPtr = <usize>load<u32>(hdr + H_NORM);
  const nNormBlocks = load<u32>(hdr + H_NORM_BLOCKS);
  const setPtr = <usize>load<u32>(hdr + H_SET);
  const nSlots = load<u32>(hdr + H_SLOTS);
  const maxCount = nSlots - (nSlots >> 4);
  let count = load<u32>(hdr + H_COUNT);
  let added = 0;
  let t: u64 = 0;
  for (let k = 0; k < n; k++) {
    if (k % GROUP === 0) {
      t |= touch(keysPtr, k, min(k + GROUP, n), bloomPtr, nBlocks, normPtr, nNormBlocks, setPtr, nSlots);
    }
    const key = load<u64>(keysPtr + ((<usize>k) << 3));
    if (key === 0) continue;
    const h = mix(key);
    let i = homeSlot(h, nSlots);
    let found = false;
    while (true) {
      const s = load<u64>(setPtr + ((<usize>i) << 3));
      if (s === key) {
        found = true;
        break;
      }
      if (s === 0) break;
      i++;
      if (i === nSlots) i = 0;
    }
    if (found) continue;
    if (count >= maxCount) {
      store<u32>(hdr + H_COUNT, count);
      store<u64>(hdr + H_TOUCH, t);
      return -1;
    }
    store<u64>(setPtr + ((<usize>i) << 3), key);
    count++;
    added++;
    bloomAdd(bloomPtr, nBlocks, h);
    if (nNormBlocks !== 0) bloomAdd(normPtr, nNormBlocks, mix(normalise(key)));
  }
  store<u32>(hdr + H_COUNT, count);
  store<u64>(hdr + H_TOUCH, t);
  return added;
}

/** Removes `n` u64 keys at `keysPtr` (backward-shift deletion); returns how many were present. */
export function tableRemove(hdr: usize, keysPtr: usize, n: i32): i32 {
  const setPtr = <usize>load<u32>(hdr + H_SET);
  const nSlots = load<u32>(hdr + H_SLOTS);
  let removed = 0;
  for (let k = 0; k < n; k++) {
    const key = load<u64>(keysPtr + ((<usize>k) << 3));
    if (key === 0) continue;
    let i = homeSlot(mix(key), nSlots);
    let s: u64 = 0;
    while (true) {
      s = load<u64>(setPtr + ((<usize>i) << 3));
      if (s === key || s === 0) break;
      i++;
      if (i === nSlots) i = 0;
    }
    if (s === 0) continue;
    // Shift later members of the probe run back into the hole when their home slot allows it.
    let j = i;
    while (true) {
      j++;
      if (j === nSlots) j = 0;
      const t = load<u64>(setPtr + ((<usize>j) << 3));
      if (t === 0) break;
      const home = homeSlot(mix(t), nSlots);
      const movable = i <= j ? home <= i || home > j : home <= i && home > j;
      if (movable) {
        store<u64>(setPtr + ((<usize>i) << 3), t);
        i = j;
      }
    }
    store<u64>(setPtr + ((<usize>i) << 3), 0);
    removed++;
  }
  store<u32>(hdr + H_COUNT, load<u32>(hdr + H_COUNT) - <u32>removed);
  // Removed keys stay in the bloom filters (harmless: the set confirms) until the next rebuild.
  store<u32>(hdr + H_STALE, load<u32>(hdr + H_STALE) + <u32>removed);
  return removed;
}

/**
 * Exact membership of `n` u64 keys at `keysPtr`: one u8 (1 present, 0 absent) per key at `outPtr`; returns
 * hits. Two passes: the bloom pass has no data-dependent branches, so the CPU overlaps many keys' cache
 * misses; only bloom positives reach the set.
 */
export function tableContains(hdr: usize, keysPtr: usize, n: i32, outPtr: usize): i32 {
  const bloomPtr = <usize>load<u32>(hdr + H_BLOOM);
  const nBlocks = load<u32>(hdr + H_BLOCKS);
  const setPtr = <usize>load<u32>(hdr + H_SET);
  const nSlots = load<u32>(hdr + H_SLOTS);
  let t: u64 = 0;
  let positives = 0;
  for (let g = 0; g < n; g += GROUP) {
    const end = min(g + GROUP, n);
    t |= touch(keysPtr, g, end, bloomPtr, nBlocks, 0, 0, 0, 0);
    for (let k = g; k < end; k++) {
      const positive = bloomHas(bloomPtr, nBlocks, mix(load<u64>(keysPtr + ((<usize>k) << 3))));
      store<u8>(outPtr + <usize>k, <u8>positive);
      positives += <i32>positive;
    }
  }
  let hits = 0;
  if (positives !== 0) {
    for (let g = 0; g < n; g += GROUP) {
      const end = min(g + GROUP, n);
      for (let k = g; k < end; k++) {
        if (load<u8>(outPtr + <usize>k) === 0) continue;
        t |= load<u64>(
          setPtr + ((<usize>homeSlot(mix(load<u64>(keysPtr + ((<usize>k) << 3))), nSlots)) << 3),
        );
      }
      for (let k = g; k < end; k++) {
        if (load<u8>(outPtr + <usize>k) === 0) continue;
        const key = load<u64>(keysPtr + ((<usize>k) << 3));
        const present = setHas(setPtr, nSlots, key, mix(key));
        store<u8>(outPtr + <usize>k, <u8>present);
        hits += <i32>present;
      }
    }
  }
  store<u64>(hdr + H_TOUCH, t);
  return hits;
}

/** Bloom filter alone (no confirmation) for `n` keys: u8 per key at `outPtr`; returns positives. */
export function tableBloomContains(hdr: usize, keysPtr: usize, n: i32, outPtr: usize): i32 {
  const bloomPtr = <usize>load<u32>(hdr + H_BLOOM);
  const nBlocks = load<u32>(hdr + H_BLOCKS);
  let t: u64 = 0;
  let hits = 0;
  for (let g = 0; g < n; g += GROUP) {
    const end = min(g + GROUP, n);
    t |= touch(keysPtr, g, end, bloomPtr, nBlocks, 0, 0, 0, 0);
    for (let k = g; k < end; k++) {
      const positive = bloomHas(bloomPtr, nBlocks, mix(load<u64>(keysPtr + ((<usize>k) << 3))));
      store<u8>(outPtr + <usize>k, <u8>positive);
      hits += <i32>positive;
    }
  }
  store<u64>(hdr + H_TOUCH, t);
  return hits;
}

// Variants waiting in the scratch area carry their substitution count in bits 62..63 (keys use 0..61).
const KEY_BITS: u64 = ((<u64>1) << 62) - 1;

// Checks `v` variant keys at `scratchPtr` against the table, touching each group's bloom blocks before use
// so their misses overlap; appends hits for input `index`. Returns the new hit count.
function checkVariants(
  hdr: usize,
  scratchPtr: usize,
  v: i32,
  index: i32,
  outPtr: usize,
  found: i32,
  outMax: i32,
): i32 {
  const bloomPtr = <usize>load<u32>(hdr + H_BLOOM);
  const nBlocks = load<u32>(hdr + H_BLOCKS);
  const setPtr = <usize>load<u32>(hdr + H_SET);
  const nSlots = load<u32>(hdr + H_SLOTS);
  let t: u64 = 0;
  for (let g = 0; g < v; g += GROUP) {
    const end = min(g + GROUP, v);
    for (let j = g; j < end; j++) {
      t |= load<u64>(blockOf(bloomPtr, nBlocks, mix(load<u64>(scratchPtr + ((<usize>j) << 3)) & KEY_BITS)));
    }
    for (let j = g; j < end; j++) {
      const e = load<u64>(scratchPtr + ((<usize>j) << 3));
      const key = e & KEY_BITS;
      const h = mix(key);
      if (bloomHas(bloomPtr, nBlocks, h) && setHas(setPtr, nSlots, key, h)) {
        if (found === outMax) break;
        writeHit(outPtr, found++, key, index, <i32>(e >> 62));
      }
    }
  }
  store<u64>(hdr + H_TOUCH, t);
  return found;
}

/**
 * Checks a read's `n` keys (its plate and alternative candidates): each key exactly, then, when
 * `maxSubstitutions` > 0 and the look-alike filter holds its normalised key, every variant with 1..2
 * look-alike substitutions (enumerated into `scratchMax` u64 slots at `scratchPtr`, then checked as a
 * batch). Writes up to `outMax` hit records (HOTLIST_HIT_BYTES each) at `outPtr`; returns the number written.
 */
export function tableCheck(
  hdr: usize,
  keysPtr: usize,
  n: i32,
  maxSubstitutions: i32,
  outPtr: usize,
  outMax: i32,
  scratchPtr: usize,
  scratchMax: i32,
): i32 {
  const normPtr = <usize>load<u32>(hdr + H_NORM);
  const nNormBlocks = load<u32>(hdr + H_NORM_BLOCKS);
  const bloomPtr = <usize>load<u32>(hdr + H_BLOOM);
  const nBlocks = load<u32>(hdr + H_BLOCKS);
  const normBlocks = maxSubstitutions > 0 ? nNormBlocks : 0;
  let t: u64 = 0;
  for (let g = 0; g < n; g += GROUP) {
    t |= touch(keysPtr, g, min(g + GROUP, n), bloomPtr, nBlocks, normPtr, normBlocks, 0, 0);
  }
  store<u64>(hdr + H_TOUCH, t);
  let found = 0;
  for (let k = 0; k < n; k++) {
    const key = load<u64>(keysPtr + ((<usize>k) << 3));
    if (key === 0) continue;
    if (has(hdr, key)) {
      if (found === outMax) return found;
      writeHit(outPtr, found++, key, k, 0);
    }
    if (maxSubstitutions <= 0 || nNormBlocks === 0) continue;
    if (!bloomHas(normPtr, nNormBlocks, mix(normalise(key)))) continue;
    let v = 0;
    for (let p1: u32 = 0; p1 < <u32>HOTLIST_MAX_PLATE_CHARS; p1++) {
      const c1 = <u32>((key >> shiftOf(p1)) & CHAR_MASK);
      if (c1 === 0) break;
      const m1 = classOf(c1);
      const n1 = m1 >> 24;
      for (let a: u32 = 0; a < n1; a++) {
        const alt1 = (m1 >> (a * 6)) & 63;
        if (alt1 === c1) continue;
        const k1 = replaceChar(key, p1, alt1);
        if (v === scratchMax) {
          found = checkVariants(hdr, scratchPtr, v, k, outPtr, found, outMax);
          v = 0;
        }
        store<u64>(scratchPtr + ((<usize>v) << 3), k1 | ((<u64>1) << 62));
        v++;
        if (maxSubstitutions < 2) continue;
        for (let p2: u32 = p1 + 1; p2 < <u32>HOTLIST_MAX_PLATE_CHARS; p2++) {
          const c2 = <u32>((key >> shiftOf(p2)) & CHAR_MASK);
          if (c2 === 0) break;
          const m2 = classOf(c2);
          const n2 = m2 >> 24;
          for (let b: u32 = 0; b < n2; b++) {
            const alt2 = (m2 >> (b * 6)) & 63;
            if (alt2 === c2) continue;
            if (v === scratchMax) {
              found = checkVariants(hdr, scratchPtr, v, k, outPtr, found, outMax);
              v = 0;
            }
            store<u64>(scratchPtr + ((<usize>v) << 3), replaceChar(k1, p2, alt2) | ((<u64>2) << 62));
            v++;
          }
        }
      }
    }
    found = checkVariants(hdr, scratchPtr, v, k, outPtr, found, outMax);
    if (found === outMax) return found;
  }
  return found;
}

/** Keys in the set. */
export function tableCount(hdr: usize): u32 {
  return load<u32>(hdr + H_COUNT);
}

/** Keys removed since the table was built: still set in the bloom filters until the next rebuild. */
export function tableStale(hdr: usize): u32 {
  return load<u32>(hdr + H_STALE);
}

/** Look-alike-normalised form of one key (exported so the host can test the mapping). */
export function normaliseKey(key: u64): u64 {
  return normalise(key);
}
