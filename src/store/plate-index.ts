import type { Database } from "lmdb";
import { READ_KEY_BYTES, writeTime } from "./keys.js";

/**
 * The plate index as sorted runs (see docs/store.md, "Plate index"): every entry is
 * `run(4) ‖ plate ‖ 0x00 ‖ read key` in `reads-by-plate`, and the runs that exist are listed in store-meta
 * `plate-runs`, read and written inside the same transactions as the entries.
 *
 * Why runs: one B-tree keyed by plate takes every read at a random place, so at millions of reads each
 * intake transaction dirties (copies and writes) about one 4 KiB page per read. Intake here writes only
 * into the newest run (the hot run, at most `hotEntries` entries, so a batch's entries share a few hundred
 * pages), and a background merge later moves `fanIn` sealed runs of one level into one new run of the next
 * level in key order, which fills fresh pages one after another. Each entry is moved once per level
 * (about four levels at 2 years of reads), in transactions of `mergeStepEntries` that delete what they move:
 * at every commit each read has exactly one entry, in exactly one listed run.
 *
 * Queries seek each listed run whose capture-time span meets their window (a few dozen runs at most).
 */

export const RUN_ID_BYTES = 4;

export interface PlateRun {
  id: number;
  /** 0 for the runs intake writes; a merge of level-n runs makes one level-(n+1) run. */
  level: number;
  /** Entries in the run (intake and merges add, merges and the purge subtract). */
  entries: number;
  /** Capture-time span of every entry ever put in the run, ms (fromMs > toMs while it is empty). */
  fromMs: number;
  toMs: number;
}

export interface PlateMerge {
  /** The run being built, listed in `runs` with level = the sources' level + 1. */
  out: number;
  /** Runs whose entries are still to move; a source leaves the list (and `runs`) once empty. */
  sources: number[];
}

export interface PlateRunState {
  /** Next unused run id. */
  next: number;
  /** The run intake writes. */
  hot: number;
  runs: PlateRun[];
  merges: PlateMerge[];
}

export interface PlateIndexOptions {
  /** Entries after which the hot run is sealed and intake starts a new one (default 65536). */
  hotEntries?: number;
  /** Runs of one level merged into one run of the next (default 16). */
  fanIn?: number;
  /** Entries one merge transaction moves (default 8192): bounds how long a merge holds the write lock. */
  mergeStepEntries?: number;
}

const STATE_KEY = Buffer.from("plate-runs", "latin1");
const EMPTY = Buffer.alloc(0);
const MAX_RUN_ID = 0xffffffff;

export function runPrefix(id: number): Buffer {
  const b = Buffer.allocUnsafe(RUN_ID_BYTES);
  b.writeUInt32BE(id, 0);
  return b;
}

/** run ‖ plate ‖ 0x00 ‖ read key. */
export function plateEntryKey(run: number, plate: string, readKey: Uint8Array): Buffer {
  const n = Buffer.byteLength(plate, "latin1");
  const key = Buffer.allocUnsafe(RUN_ID_BYTES + n + 1 + READ_KEY_BYTES);
  key.writeUInt32BE(run, 0);
  key.write(plate, RUN_ID_BYTES, "latin1");
  key[RUN_ID_BYTES + n] = 0;
  key.set(readKey, RUN_ID_BYTES + n + 1);
  return key;
}

/** run ‖ plate ‖ 0x00 ‖ time(6) ‖ 000000: the first key of `plate` in `run` at or after `timeMs`. */
function plateTimeKey(run: number, plate: string, timeMs: number): Buffer {
  const n = Buffer.byteLength(plate, "latin1");
  const key = Buffer.alloc(RUN_ID_BYTES + n + 1 + READ_KEY_BYTES);
  key.writeUInt32BE(run, 0);
  key.write(plate, RUN_ID_BYTES, "latin1");
  writeTime(key, RUN_ID_BYTES + n + 1, timeMs);
  return key;
}

/** run ‖ plate ‖ sep: with sep 0 the start of the plate's entries in the run, with 1 just past them. */
function plateBound(run: number, plate: string, sep: number): Buffer {
  const n = Buffer.byteLength(plate, "latin1");
  const key = Buffer.allocUnsafe(RUN_ID_BYTES + n + 1);
  key.writeUInt32BE(run, 0);
  key.write(plate, RUN_ID_BYTES, "latin1");
  key[RUN_ID_BYTES + n] = sep;
  return key;
}

/** Run id, plate and read key of an entry key. */
export function parsePlateEntry(key: Uint8Array): { run: number; plate: string; readKey: Buffer } {
  const b = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  return {
    run: b.readUInt32BE(0),
    plate: b.toString("latin1", RUN_ID_BYTES, b.length - READ_KEY_BYTES - 1),
    readKey: Buffer.from(b.subarray(b.length - READ_KEY_BYTES)),
  };
}

export function initialRunState(): PlateRunState {
  return { next: 1, hot: 0, runs: [emptyRun(0, 0)], merges: [] };
}

/** Byte order of two entry keys after their run ids (a JS loop: keys differ within the first few bytes). */
function compareAfterRun(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = RUN_ID_BYTES; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** The hot run and the runs of merges under way. */
function busyRuns(state: PlateRunState): Set<number> {
  const busy = new Set<number>([state.hot]);
  for (const m of state.merges) {
    busy.add(m.out);
    for (const s of m.sources) busy.add(s);
  }
  return busy;
}

function emptyRun(id: number, level: number): PlateRun {
  return { id, level, entries: 0, fromMs: Number.MAX_SAFE_INTEGER, toMs: -1 };
}

export class PlateIndex {
  readonly hotEntries: number;
  readonly fanIn: number;
  readonly mergeStepEntries: number;
  private cachedBytes: Buffer | undefined;
  private cachedState: PlateRunState | undefined;

  constructor(
    private readonly db: Database<Buffer, Buffer>,
    private readonly meta: Database<Buffer, Buffer>,
    options: PlateIndexOptions = {},
  ) {
    this.hotEntries = Math.max(1, options.hotEntries ?? 65_536);
    this.fanIn = Math.max(2, options.fanIn ?? 16);
    this.mergeStepEntries = Math.max(1, options.mergeStepEntries ?? 8192);
  }

  // ---------------------------------------------------------------- state

  /** The run list as of the current transaction (read or write). Do not modify: use `editableState`. */
  state(): PlateRunState {
    const bytes = this.meta.getBinary(STATE_KEY);
    if (!bytes) throw new Error("plate-runs missing from store-meta");
    if (this.cachedBytes && this.cachedState && bytes.equals(this.cachedBytes)) return this.cachedState;
    const state = JSON.parse(bytes.toString("utf8")) as PlateRunState;
    this.cachedBytes = bytes;
    this.cachedState = state;
    return state;
  }

  /** A copy of the state to change and `save` in a write transaction. */
  editableState(): PlateRunState {
    return structuredClone(this.state());
  }

  /** The raw state bytes, to put back if a write transaction has to undo its work. */
  stateBytes(): Buffer | undefined {
    return this.meta.getBinary(STATE_KEY);
  }

  restoreStateBytes(bytes: Buffer): void {
    this.meta.putSync(STATE_KEY, bytes);
  }

  save(state: PlateRunState): void {
    this.meta.putSync(STATE_KEY, Buffer.from(JSON.stringify(state), "utf8"));
  }

  /** A new store: one empty hot run. */
  create(): void {
    this.save(initialRunState());
  }

  hasState(): boolean {
    return this.meta.doesExist(STATE_KEY);
  }

  summary(): { runs: number; maxLevel: number; merges: number } {
    const state = this.state();
    return {
      runs: state.runs.length,
      maxLevel: Math.max(0, ...state.runs.map((r) => r.level)),
      merges: state.merges.length,
    };
  }

  // ---------------------------------------------------------------- intake

  /**
   * Inside an intake write transaction: the run this batch's entries go to, sealing the hot run first if it
   * is full, with its count and span already covering the batch. The caller puts the entries and saves.
   */
  intakeRun(state: PlateRunState, reads: number, fromMs: number, toMs: number): number {
    let hot = state.runs.find((r) => r.id === state.hot);
    if (!hot || hot.entries >= this.hotEntries) {
      hot = emptyRun(this.newRunId(state), 0);
      state.runs.push(hot);
      state.hot = hot.id;
    }
    hot.entries += reads;
    hot.fromMs = Math.min(hot.fromMs, fromMs);
    hot.toMs = Math.max(hot.toMs, toMs);
    return hot.id;
  }

  private newRunId(state: PlateRunState): number {
    const id = state.next;
    if (id >= MAX_RUN_ID) throw new Error("plate run ids exhausted");
    state.next = id + 1;
    return id;
  }

  /** Puts an entry key (any Uint8Array: lmdb-js copies it). */
  putEntry(key: Uint8Array): void {
    this.db.putSync(key as Buffer, EMPTY);
  }

  removeEntry(key: Uint8Array): void {
    this.db.removeSync(key as Buffer);
  }

  // ---------------------------------------------------------------- queries

  /**
   * Read keys of `plate` captured in [fromMs, toMs], newest first (or oldest first with `asc`), at most
   * `limit` (more: true if there are others), starting after the read key `after` when given.
   */
  readKeys(
    plate: string,
    fromMs: number,
    toMs: number,
    order: "asc" | "desc",
    limit: number,
    after?: Buffer,
  ): { keys: Buffer[]; more: boolean } {
    const found: Buffer[] = [];
    // The bounds are the same in every run but for the run id in their first four bytes, rewritten per run
    // (lmdb-js copies a bound when it positions; each run's iteration ends before the next rewrite).
    const lo = after && order === "asc" ? plateEntryKey(0, plate, after) : plateTimeKey(0, plate, fromMs);
    const hi = after && order === "desc" ? plateEntryKey(0, plate, after) : plateTimeKey(0, plate, toMs + 1);
    for (const run of this.state().runs) {
      if (run.toMs < fromMs || run.fromMs > toMs) continue;
      lo.writeUInt32BE(run.id, 0);
      hi.writeUInt32BE(run.id, 0);
      // A count is a native call: about a quarter of the cost of opening an iterator, and most runs hold
      // nothing of a given plate.
      if (this.db.getKeysCount({ start: lo, end: hi }) === 0) continue;
      for (const key of this.db.getKeys({
        start: order === "asc" ? lo : hi,
        end: order === "asc" ? hi : lo,
        reverse: order === "desc",
        exclusiveStart: after !== undefined,
        limit: limit + 1,
      })) {
        const b = key as Buffer;
        found.push(Buffer.from(b.subarray(b.length - READ_KEY_BYTES)));
      }
    }
    found.sort(order === "asc" ? Buffer.compare : (a, b) => Buffer.compare(b, a));
    return { keys: found.slice(0, limit), more: found.length > limit };
  }

  /** True if any listed run holds an entry of `plate` (largest runs first: most plates are found there). */
  hasReads(plate: string): boolean {
    const runs = [...this.state().runs].sort((a, b) => b.entries - a.entries);
    const lo = plateBound(0, plate, 0);
    const hi = plateBound(0, plate, 1);
    for (const run of runs) {
      lo.writeUInt32BE(run.id, 0);
      hi.writeUInt32BE(run.id, 0);
      if (this.db.getKeysCount({ start: lo, end: hi }) > 0) return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- purge

  /**
   * Inside a write transaction: deletes the entry of a read (captured at `timeMs`) from whichever run holds
   * it (only runs whose span covers the time can), counting it off that run in `state`. False if none had it.
   */
  remove(state: PlateRunState, plate: string, readKey: Buffer, timeMs: number): boolean {
    for (const run of state.runs) {
      if (run.fromMs > timeMs || run.toMs < timeMs) continue;
      if (this.db.removeSync(plateEntryKey(run.id, plate, readKey))) {
        run.entries = Math.max(0, run.entries - 1);
        return true;
      }
    }
    return false;
  }

  /** Unlists sealed runs the purge has emptied (checked with a seek: the counts only steer). */
  dropEmptyRuns(state: PlateRunState): void {
    const busy = busyRuns(state);
    state.runs = state.runs.filter((run) => {
      if (run.entries > 0 || busy.has(run.id)) return true;
      for (const _ of this.db.getKeys({ start: runPrefix(run.id), end: runPrefix(run.id + 1), limit: 1 }))
        return true;
      return false;
    });
  }

  // ---------------------------------------------------------------- merge

  /** True if a merge is under way or one level has `fanIn` sealed runs waiting (read outside a write). */
  mergeDue(): boolean {
    const state = this.state();
    return state.merges.length > 0 || this.nextMerge(state) !== undefined;
  }

  /** Sealed runs of the lowest level that has `fanIn` of them, not already in a merge. */
  private nextMerge(state: PlateRunState): PlateRun[] | undefined {
    const busy = busyRuns(state);
    const byLevel = new Map<number, PlateRun[]>();
    for (const run of state.runs) {
      if (busy.has(run.id)) continue;
      const list = byLevel.get(run.level) ?? [];
      list.push(run);
      byLevel.set(run.level, list);
    }
    const levels = [...byLevel.keys()].sort((a, b) => a - b);
    for (const level of levels) {
      // One merge per level at a time; a merge of a higher level may run alongside.
      if (state.merges.some((m) => state.runs.find((r) => r.id === m.out)?.level === level + 1)) continue;
      const runs = byLevel.get(level)!;
      if (runs.length >= this.fanIn) return runs.sort((a, b) => a.id - b.id).slice(0, this.fanIn);
    }
    return undefined;
  }

  /**
   * Inside a write transaction: one merge step. Starts a merge if one is due, then moves up to
   * `mergeStepEntries` entries of the lowest-level merge under way, smallest first (a k-way merge of its
   * sources, whose remaining entries are always at their fronts because moved ones are deleted), into its
   * output run. Returns the entries moved (0: nothing to do). If a put throws part-way, what this step did is
   * undone before the error propagates.
   */
  mergeStep(): number {
    const saved = this.stateBytes()!;
    const state = this.editableState();
    const due = this.nextMerge(state);
    if (due) {
      const out = emptyRun(this.newRunId(state), due[0]!.level + 1);
      for (const s of due) {
        out.fromMs = Math.min(out.fromMs, s.fromMs);
        out.toMs = Math.max(out.toMs, s.toMs);
      }
      state.runs.push(out);
      state.merges.push({ out: out.id, sources: due.map((r) => r.id) });
    }
    if (state.merges.length === 0) return 0;
    const levelOf = (id: number) => state.runs.find((r) => r.id === id)?.level ?? 0;
    state.merges.sort((a, b) => levelOf(a.out) - levelOf(b.out));
    const merge = state.merges[0]!;
    const moves = this.planMoves(merge.sources);
    const outKey = (key: Buffer) => {
      // The same key under the output run: the source's key with its first four bytes rewritten.
      const k = Buffer.from(key);
      k.writeUInt32BE(merge.out, 0);
      return k;
    };
    let done = 0;
    try {
      for (; done < moves.keys.length; done++) {
        const key = moves.keys[done]!;
        this.db.putSync(outKey(key), EMPTY);
        this.db.removeSync(key);
      }
    } catch (err) {
      for (let i = 0; i < done; i++) {
        const key = moves.keys[i]!;
        this.db.removeSync(outKey(key));
        this.db.putSync(key, EMPTY);
      }
      this.restoreStateBytes(saved);
      throw err;
    }
    const out = state.runs.find((r) => r.id === merge.out)!;
    out.entries += moves.keys.length;
    for (const [id, moved] of moves.movedFrom) {
      const run = state.runs.find((r) => r.id === id);
      if (run) run.entries = Math.max(0, run.entries - moved);
    }
    const emptied = new Set(moves.exhausted);
    merge.sources = merge.sources.filter((id) => !emptied.has(id));
    state.runs = state.runs.filter((r) => !emptied.has(r.id));
    if (merge.sources.length === 0) state.merges = state.merges.filter((m) => m !== merge);
    this.save(state);
    // A merge that found nothing left to move still changed the state: report progress so the caller goes on.
    return Math.max(moves.keys.length, emptied.size > 0 || due ? 1 : 0);
  }

  /**
   * The next `mergeStepEntries` entries of the sources in merged key order (by plate ‖ read key), and which
   * sources that empties. Reads each source a chunk at a time and refills a source's chunk when it runs out,
   * so no entry is taken while a smaller one is still unread.
   */
  private planMoves(sources: number[]): {
    keys: Buffer[];
    movedFrom: Map<number, number>;
    exhausted: number[];
  } {
    const limit = this.mergeStepEntries;
    const chunk = Math.max(64, Math.ceil((2 * limit) / sources.length));
    const heads = sources.map((id) => ({
      id,
      moved: 0,
      end: runPrefix(id + 1),
      buf: [] as Buffer[],
      pos: 0,
      more: true,
      last: runPrefix(id) as Buffer | undefined,
      first: true,
    }));
    type Head = (typeof heads)[number];
    const fill = (h: Head): boolean => {
      h.buf = [];
      h.pos = 0;
      if (!h.more) return false;
      // lmdb-js hands out binary keys as copies (Uint8Array slice of its key buffer): kept as they are.
      for (const key of this.db.getKeys({
        start: h.last!,
        end: h.end,
        exclusiveStart: !h.first,
        limit: chunk,
      })) {
        h.buf.push(key as Buffer);
      }
      h.first = false;
      h.more = h.buf.length === chunk;
      if (h.buf.length > 0) h.last = h.buf[h.buf.length - 1];
      return h.buf.length > 0;
    };
    const current = (h: Head) => h.buf[h.pos]!;
    const less = (a: Head, b: Head) => compareAfterRun(current(a), current(b)) < 0;
    // Binary min-heap of the sources that still have entries, by their current entry.
    const heap: Head[] = [];
    const exhausted: number[] = [];
    for (const h of heads) {
      if (fill(h)) heap.push(h);
      else exhausted.push(h.id);
    }
    const down = (i: number) => {
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) return;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    };
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
    const keys: Buffer[] = [];
    while (keys.length < limit && heap.length > 0) {
      const h = heap[0]!;
      keys.push(current(h));
      h.moved++;
      h.pos++;
      if (h.pos >= h.buf.length && !fill(h)) {
        exhausted.push(h.id);
        heap[0] = heap[heap.length - 1]!;
        heap.pop();
      }
      if (heap.length > 0) down(0);
    }
    return { keys, movedFrom: new Map(heads.map((h) => [h.id, h.moved])), exhausted };
  }

  // ---------------------------------------------------------------- consistency

  /**
   * Walks every entry: calls `each` with its run, plate and read key, and reports entries outside any listed
   * run or outside their run's span, and a run list that does not hang together.
   */
  check(
    each: (plate: string, readKey: Buffer, run: PlateRun) => void,
    note: (problem: string) => void,
  ): number {
    const state = this.state();
    const runs = new Map(state.runs.map((r) => [r.id, r]));
    if (!runs.has(state.hot)) note(`plate index: hot run ${state.hot} not listed`);
    for (const m of state.merges) {
      if (!runs.has(m.out)) note(`plate index: merge output ${m.out} not listed`);
      for (const s of m.sources) if (!runs.has(s)) note(`plate index: merge source ${s} not listed`);
    }
    for (const r of state.runs) if (r.id >= state.next) note(`plate index: run ${r.id} beyond next id`);
    let entries = 0;
    for (const key of this.db.getKeys({})) {
      entries++;
      const { run: id, plate, readKey } = parsePlateEntry(key);
      const run = runs.get(id);
      if (!run) {
        note(`plate index entry ${readKey.toString("hex")}: in run ${id}, which is not listed`);
        continue;
      }
      each(plate, readKey, run);
    }
    return entries;
  }

  /** The runs that could hold an entry of a read captured at `timeMs` (for the consistency check). */
  runsCovering(timeMs: number): PlateRun[] {
    return this.state().runs.filter((r) => r.fromMs <= timeMs && r.toMs >= timeMs);
  }

  hasEntry(run: number, plate: string, readKey: Buffer): boolean {
    return this.db.doesExist(plateEntryKey(run, plate, readKey));
  }
}
