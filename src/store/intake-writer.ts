import type { Database, RootDatabase } from "lmdb";
import { logger } from "../log/index.js";
import { EPOCH_KEY, openStoreDatabases, platesGeneration, type StoreDatabases } from "./databases.js";
import { entryLayout, type IntakeBatch, newEntryLayout } from "./intake-batch.js";
import { READ_KEY_BYTES } from "./keys.js";
import { PlateCache, packPlate } from "./plate-cache.js";
import { PlateIndex, type PlateIndexOptions } from "./plate-index.js";
import { EPOCH_BYTES, epochPostings } from "./wildcard.js";

export interface IntakeWriterOptions {
  /** Distinct plates per gram epoch. */
  gramEpochPlates: number;
  plateRuns?: PlateIndexOptions | undefined;
  /** Merge plate runs after intake batches; false leaves merging to `compact()`. */
  backgroundMerge: boolean;
}

const EMPTY = Buffer.alloc(0);

/**
 * The write calls as lmdb-js has them: keys and values may be any Uint8Array (views into the batch), and
 * putSync returns false when a NO_OVERWRITE put found the key (lmdb's typings say void).
 */
interface WritableDb {
  putSync(key: Uint8Array, value: Uint8Array, options?: { noOverwrite?: boolean; append?: boolean }): boolean;
  removeSync(key: Uint8Array): boolean;
}
const writable = (db: Database<Buffer, Buffer>) => db as unknown as WritableDb;
/** put flag: MDB_NOOVERWRITE (putSync returns false if the key exists, and leaves it as it was). */
const NO_OVERWRITE = { noOverwrite: true } as const;
/** put flag: MDB_APPEND (the key goes after the last one without a search; false if it does not sort last). */
const APPEND = { append: true } as const;
const FULL_RE = /MDB_MAP_FULL|ENOSPC|No space|MDB_TXN_FULL/i;

/**
 * Writes intake batches and runs the plate-run merges: every write the intake makes, in whichever thread
 * holds it (the store's writer thread, or the caller's thread with `intakeThread: "inline"`).
 *
 * A batch is one write transaction: each read, its image, its camera and plate index entries (the plate
 * entry into the plate index's hot run) and, for a plate not yet listed, its `plates` entry and its place in
 * the open gram epoch's plate list.
 * `write` resolves once the transaction has committed and been flushed. After a batch, merge steps run
 * (one write transaction each, queued with the batches) until none is due.
 */
export class IntakeWriter {
  private readonly dbs: StoreDatabases;
  private readonly plateIndex: PlateIndex;
  private readonly cache = new PlateCache();
  private readonly layout = newEntryLayout();
  private readonly log = logger("store");
  private merging: Promise<void> | undefined;
  private closed = false;
  /** The last commit failed for want of space: merges wait until a batch commits again. */
  private full = false;

  constructor(
    private readonly root: RootDatabase,
    private readonly options: IntakeWriterOptions,
  ) {
    this.dbs = openStoreDatabases(root);
    this.plateIndex = new PlateIndex(this.dbs.plateIndex, this.dbs.meta, options.plateRuns);
  }

  /** Writes one batch in its own transaction; resolves once committed and flushed, rejects if it failed. */
  async write(batch: IntakeBatch): Promise<void> {
    // Packed plates the batch found listed or listed itself, for the cache once the commit is through.
    const seen = new Float64Array(batch.offsets.length);
    let seenCount = 0;
    let generation = 0;
    try {
      // The callback runs in the write transaction (puts are direct native calls); lmdb-js commits it on its
      // own thread. lmdb-js commits every callback that shares a transaction even if one throws, so the
      // batch is written in a child transaction of its own: if anything throws part-way, LMDB drops all of
      // it and the error propagates; the batch commits whole or not at all.
      await this.root.transaction(() => {
        generation = platesGeneration(this.dbs.meta);
        this.cache.validate(generation);
        // Inside a write transaction lmdb-js runs the child synchronously and returns the callback's value
        // (its typings promise a Promise).
        seenCount = this.root.childTransaction(() => this.writeBatch(batch, seen)) as unknown as number;
      });
      await this.root.flushed;
    } catch (err) {
      if (FULL_RE.test(String((err as Error)?.message ?? err))) this.full = true;
      throw err;
    }
    this.full = false;
    this.cache.addAll(seen, seenCount, generation);
    this.startMerges();
  }

  /**
   * Inside the batch's transaction. Puts the records in arrival order, the camera entries in camera order and
   * the plate entries in plate order (each B-tree walked in key order), and for each plate not yet listed its
   * `plates` entry (value: its gram epoch) and its entry in the open epoch's plate list. When the open
   * epoch is full it is sealed first (see sealEpoch). Returns how many packed plates it wrote into `seen`.
   */
  private writeBatch(batch: IntakeBatch, seen: Float64Array): number {
    const { meta } = this.dbs;
    const reads = writable(this.dbs.reads);
    const patches = writable(this.dbs.patches);
    const cameraIndex = writable(this.dbs.cameraIndex);
    const plates = writable(this.dbs.plates);
    const openPlates = writable(this.dbs.openPlates);
    const { bytes, offsets, byPlate, byCamera } = batch;
    const n = offsets.length;
    const e = this.layout;
    const runs = this.plateIndex.editableState();
    const run = this.plateIndex.intakeRun(runs, n, batch.fromMs, batch.toMs);
    const epochBytes = meta.getBinary(EPOCH_KEY);
    let epoch = epochBytes ? epochBytes.readUInt32BE(0) : 0;
    let inEpoch = epochBytes ? epochBytes.readUInt32BE(4) : 0;
    let epochValue = epochKey(epoch);
    let listed = 0;
    let seenCount = 0;
    for (let i = 0; i < n; i++) {
      entryLayout(bytes, offsets[i]!, e);
      const key = bytes.subarray(e.readKeyStart, e.readKeyStart + READ_KEY_BYTES);
      reads.putSync(key, bytes.subarray(e.recordStart, e.recordEnd));
      if (e.patchEnd > e.patchStart) patches.putSync(key, bytes.subarray(e.patchStart, e.patchEnd));
    }
    for (let j = 0; j < n; j++) {
      entryLayout(bytes, offsets[byCamera[j]!]!, e);
      // key: camera ‖ 0x00 ‖ read key; value: the plate.
      cameraIndex.putSync(
        bytes.subarray(e.cameraKeyStart, e.cameraKeyEnd),
        bytes.subarray(e.plateStart, e.plateEnd),
      );
    }
    for (let j = 0; j < n; j++) {
      entryLayout(bytes, offsets[byPlate[j]!]!, e);
      // key: run ‖ plate ‖ 0x00 ‖ read key, the run id written into its first four bytes.
      writeUInt32BE(bytes, run, e.plateKeyStart);
      this.plateIndex.putEntry(bytes.subarray(e.plateKeyStart, e.plateKeyEnd));
      const packed = packPlate(bytes, e.plateStart, e.plateEnd - e.plateStart);
      if (this.cache.has(packed)) continue;
      if (inEpoch >= this.options.gramEpochPlates) {
        this.sealEpoch(epoch);
        epoch++;
        inEpoch = 0;
        epochValue = epochKey(epoch);
      }
      const plate = bytes.subarray(e.plateStart, e.plateEnd);
      // One native call: lists the plate if it is new, else leaves its entry (and epoch) as it is.
      if (plates.putSync(plate, epochValue, NO_OVERWRITE)) {
        openPlates.putSync(plate, EMPTY);
        inEpoch++;
        listed++;
      }
      if (packed !== 0) seen[seenCount++] = packed;
    }
    if (listed > 0 || (epochBytes && epochBytes.readUInt32BE(0) !== epoch)) {
      const value = Buffer.allocUnsafe(8);
      value.writeUInt32BE(epoch, 0);
      value.writeUInt32BE(inEpoch, 4);
      meta.putSync(EPOCH_KEY, value);
    }
    this.plateIndex.save(runs);
    return seenCount;
  }

  /**
   * Seals the open gram epoch: writes its posting lists (one key per distinct gram, about two per plate of
   * the epoch, against fourteen gram keys per plate if each plate's grams were put as they came), appended in
   * key order after every earlier epoch's, and empties the open epoch's plate list. Until then a partial-plate
   * query tests the open epoch's plates one by one (at most `gramEpochPlates` of them).
   */
  private sealEpoch(epoch: number): void {
    const plates: string[] = [];
    for (const key of this.dbs.openPlates.getKeys({})) {
      const b = key as Uint8Array;
      plates.push(latin1(b, 0, b.length));
    }
    const grams = writable(this.dbs.grams);
    for (const { key, value } of epochPostings(epoch, plates)) {
      if (!grams.putSync(key, value, APPEND)) {
        throw new Error(`gram postings of epoch ${epoch} out of order: the gram index is inconsistent`);
      }
    }
    this.dbs.openPlates.clearSync();
  }

  // ---------------------------------------------------------------- merges

  /**
   * Runs plate-run merge steps, one write transaction each, until none is due. lmdb-js queues them with the
   * intake batches, so intake waits at most one step (`mergeStepEntries` entries) at a time. A step's effect
   * need not be flushed before the next: whatever a crash keeps of them is consistent.
   */
  private startMerges(): void {
    if (!this.options.backgroundMerge || this.merging || this.closed || this.full) return;
    if (!this.plateIndex.mergeDue()) return;
    this.merging = this.mergeSteps(Number.POSITIVE_INFINITY)
      .then(
        () => undefined,
        (err: unknown) =>
          this.log.error({ err }, "plate index merge step failed; retried after the next batch"),
      )
      .finally(() => {
        this.merging = undefined;
      });
  }

  private async mergeSteps(maxSteps: number): Promise<number> {
    let steps = 0;
    while (steps < maxSteps && !this.closed && !this.full) {
      const moved = await this.root.transaction(() => this.plateIndex.mergeStep());
      if (moved === 0) break;
      steps++;
    }
    return steps;
  }

  /** Runs the merge steps due now (at most `maxSteps`); resolves with the steps taken once flushed. */
  async compact(maxSteps: number): Promise<number> {
    await this.merging;
    const steps = await this.mergeSteps(maxSteps);
    await this.root.flushed;
    return steps;
  }

  /** Stops starting merges and waits for the one under way (its current step) to finish. */
  async close(): Promise<void> {
    this.closed = true;
    await this.merging;
    await this.root.flushed;
  }
}

function epochKey(epoch: number): Buffer {
  const b = Buffer.allocUnsafe(EPOCH_BYTES);
  b.writeUInt32BE(epoch, 0);
  return b;
}

function writeUInt32BE(b: Uint8Array, v: number, o: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

function latin1(b: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}
