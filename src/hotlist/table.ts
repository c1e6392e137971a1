import {
  HOTLIST_BASE_OFFSET,
  HOTLIST_BLOCK_BYTES,
  HOTLIST_HEADER_BYTES,
  HOTLIST_HIT_BYTES,
  WASM_PAGE_BYTES,
} from "../../assembly/shared/constants.js";
import { KestrelError } from "../errors/index.js";
import { hostSupportsSimd, kernelModule } from "../wasm/module.js";
import { packPlateInto, unpackKey } from "./plate-key.js";

/** Bloom filter bits per entry the table is sized for (designed false-positive rate ≈ 0.42%). */
export const BLOOM_BITS_PER_ENTRY = 12;
/** Largest share of set slots filled at the designed capacity (linear probing stays short below this). */
export const SET_LOAD_FACTOR = 0.8;
/** Keys moved across the JS/wasm boundary per kernel call. */
export const BATCH_KEYS = 8192;
/** Hit records a single read check may return. */
export const MAX_CHECK_HITS = 1024;

interface TableExports {
  tableInit(
    hdr: number,
    bloomPtr: number,
    nBlocks: number,
    normPtr: number,
    nNormBlocks: number,
    setPtr: number,
    nSlots: number,
  ): void;
  tableInsert(hdr: number, keysPtr: number, n: number): number;
  tableRemove(hdr: number, keysPtr: number, n: number): number;
  tableContains(hdr: number, keysPtr: number, n: number, outPtr: number): number;
  tableBloomContains(hdr: number, keysPtr: number, n: number, outPtr: number): number;
  tableCheck(
    hdr: number,
    keysPtr: number,
    n: number,
    maxSubs: number,
    outPtr: number,
    outMax: number,
  ): number;
  tableCount(hdr: number): number;
  tableStale(hdr: number): number;
  normaliseKey(key: bigint): bigint;
}

export interface TableOptions {
  /** Entries the table is sized for; inserts beyond it succeed until the set is 15/16 full. */
  capacity: number;
  /** Also build the look-alike (normalised key) filter. */
  lookalike: boolean;
  /** Use the SIMD build (default: when the host supports it). */
  simd?: boolean;
}

/** One hit of a read check: which input plate (by index), which listed plate, how many substitutions. */
export interface TableHit {
  index: number;
  plate: string;
  substitutions: number;
}

const align = (n: number, to: number): number => Math.ceil(n / to) * to;

/** Designed false-positive rate of the split-block bloom filter: Poisson block loads, one bit per word. */
export function designedFalsePositiveRate(entries: number, nBlocks: number): number {
  const lambda = entries / nBlocks;
  let p = Math.exp(-lambda);
  let rate = 0;
  const limit = Math.ceil(lambda * 4 + 50);
  for (let m = 0; m <= limit; m++) {
    if (m > 0) p *= lambda / m;
    rate += p * (1 - (63 / 64) ** m) ** 8;
  }
  return rate;
}

/**
 * A hot-list table in its own wasm instance and memory (build/hotlist.wasm): the memory is sized once for
 * the capacity and never grows, so the typed views taken here stay valid for the table's life. A new
 * revision is a new table built aside; the caller swaps its reference (tables are never rebuilt in place).
 */
export class HotlistTable {
  readonly capacity: number;
  readonly lookalike: boolean;
  readonly memory: WebAssembly.Memory;
  readonly nBlocks: number;
  readonly nSlots: number;
  private readonly k: TableExports;
  private readonly hdr = HOTLIST_BASE_OFFSET;
  private readonly keysPtr: number;
  private readonly outPtr: number;
  private readonly hitsPtr: number;
  /** Staging area the host writes packed keys into (two u32 per key) before a batch call. */
  readonly keys: Uint32Array;
  /** One u8 per staged key after tableContains / tableBloomContains. */
  readonly out: Uint8Array;
  private readonly hits: DataView;

  constructor(options: TableOptions) {
    const capacity = Math.max(16, Math.ceil(options.capacity));
    this.capacity = capacity;
    this.lookalike = options.lookalike;
    this.nSlots = Math.ceil(capacity / SET_LOAD_FACTOR) + 1;
    this.nBlocks = Math.ceil((capacity * BLOOM_BITS_PER_ENTRY) / (HOTLIST_BLOCK_BYTES * 8));
    const nNormBlocks = options.lookalike ? this.nBlocks : 0;
    this.keysPtr = this.hdr + HOTLIST_HEADER_BYTES;
    this.outPtr = this.keysPtr + BATCH_KEYS * 8;
    this.hitsPtr = align(this.outPtr + BATCH_KEYS, 16);
    const bloomPtr = align(this.hitsPtr + MAX_CHECK_HITS * HOTLIST_HIT_BYTES, HOTLIST_BLOCK_BYTES);
    const normPtr = bloomPtr + this.nBlocks * HOTLIST_BLOCK_BYTES;
    const setPtr = normPtr + nNormBlocks * HOTLIST_BLOCK_BYTES;
    const end = setPtr + this.nSlots * 8;
    const pages = Math.ceil(end / WASM_PAGE_BYTES);
    if (pages > 65536) {
      throw new KestrelError(
        "KESTREL_E_HOTLIST_FULL",
        `${capacity} entries do not fit in 4 GiB of wasm memory`,
      );
    }
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const instance = new WebAssembly.Instance(kernelModule("hotlist", options.simd ?? hostSupportsSimd()), {
      env: {
        memory: this.memory,
        abort: () => {
          throw new Error("hotlist kernel abort");
        },
      },
    });
    this.k = instance.exports as unknown as TableExports;
    this.k.tableInit(this.hdr, bloomPtr, this.nBlocks, normPtr, nNormBlocks, setPtr, this.nSlots);
    this.keys = new Uint32Array(this.memory.buffer, this.keysPtr, BATCH_KEYS * 2);
    this.out = new Uint8Array(this.memory.buffer, this.outPtr, BATCH_KEYS);
    this.hits = new DataView(this.memory.buffer, this.hitsPtr, MAX_CHECK_HITS * HOTLIST_HIT_BYTES);
  }

  /** Bytes of wasm memory this table holds. */
  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  get count(): number {
    return this.k.tableCount(this.hdr);
  }

  /** Keys removed since the build that still set bloom bits (cleared by the next rebuild). */
  get stale(): number {
    return this.k.tableStale(this.hdr);
  }

  /** Designed false-positive rate of the bloom filter at the current count. */
  get designedFalsePositiveRate(): number {
    return designedFalsePositiveRate(this.count + this.stale, this.nBlocks);
  }

  /** Inserts `n` keys staged in `keys`; returns how many were new. Throws when the set is full. */
  insertStaged(n: number): number {
    const added = this.k.tableInsert(this.hdr, this.keysPtr, n);
    if (added < 0)
      throw new KestrelError("KESTREL_E_HOTLIST_FULL", `table sized for ${this.capacity} entries`);
    return added;
  }

  removeStaged(n: number): number {
    return this.k.tableRemove(this.hdr, this.keysPtr, n);
  }

  /** Exact membership of `n` staged keys: results in `out`; returns how many are present. */
  containsStaged(n: number): number {
    return this.k.tableContains(this.hdr, this.keysPtr, n, this.outPtr);
  }

  /** Bloom filter alone for `n` staged keys: results in `out`; returns positives. */
  bloomContainsStaged(n: number): number {
    return this.k.tableBloomContains(this.hdr, this.keysPtr, n, this.outPtr);
  }

  /** Inserts packed keys (pairs of u32) in batches; returns how many were new. */
  insertPacked(packed: Uint32Array, n = packed.length / 2): number {
    let added = 0;
    for (let at = 0; at < n; at += BATCH_KEYS) {
      const m = Math.min(BATCH_KEYS, n - at);
      this.keys.set(packed.subarray(at * 2, (at + m) * 2));
      added += this.insertStaged(m);
    }
    return added;
  }

  /** Inserts plates (normalised, packable); returns how many were new. Unpackable plates are skipped. */
  insertPlates(plates: readonly string[]): number {
    return this.batchPlates(plates, (m) => this.insertStaged(m));
  }

  removePlates(plates: readonly string[]): number {
    return this.batchPlates(plates, (m) => this.removeStaged(m));
  }

  has(plate: string): boolean {
    if (!packPlateInto(plate, this.keys, 0)) return false;
    return this.containsStaged(1) === 1;
  }

  private batchPlates(plates: readonly string[], call: (m: number) => number): number {
    let total = 0;
    for (let at = 0; at < plates.length; at += BATCH_KEYS) {
      const m = Math.min(BATCH_KEYS, plates.length - at);
      for (let i = 0; i < m; i++) packPlateInto(plates[at + i]!, this.keys, i);
      total += call(m);
    }
    return total;
  }

  /**
   * Checks up to BATCH_KEYS plates (a read's plate and its candidates): exact membership of each, and with
   * `maxSubstitutions` 1 or 2 (and a look-alike filter), listed plates within that many look-alike
   * substitutions. Unpackable plates never match.
   */
  check(plates: readonly string[], maxSubstitutions: number): TableHit[] {
    const n = Math.min(plates.length, BATCH_KEYS);
    for (let i = 0; i < n; i++) packPlateInto(plates[i]!, this.keys, i);
    const subs = this.lookalike ? maxSubstitutions : 0;
    const found = this.k.tableCheck(this.hdr, this.keysPtr, n, subs, this.hitsPtr, MAX_CHECK_HITS);
    const hits: TableHit[] = [];
    for (let h = 0; h < found; h++) {
      const at = h * HOTLIST_HIT_BYTES;
      hits.push({
        plate: unpackKey(this.hits.getUint32(at, true), this.hits.getUint32(at + 4, true)),
        index: this.hits.getInt32(at + 8, true),
        substitutions: this.hits.getInt32(at + 12, true),
      });
    }
    return hits;
  }

  /** Number of hits only (no decoding): the benchmark's read-check path. */
  checkStaged(n: number, maxSubstitutions: number): number {
    const subs = this.lookalike ? maxSubstitutions : 0;
    return this.k.tableCheck(this.hdr, this.keysPtr, n, subs, this.hitsPtr, MAX_CHECK_HITS);
  }

  /** Look-alike-normalised form of a key (kernel's own mapping). */
  normaliseKey(key: bigint): bigint {
    return this.k.normaliseKey(key);
  }
}
