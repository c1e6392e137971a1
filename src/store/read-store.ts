import { statfsSync } from "node:fs";
import type { Database, RootDatabase } from "lmdb";
import { AuditLog } from "../audit/audit-log.js";
import type { KestrelConfig } from "../config/index.js";
import type { FinalRead, ReadSink } from "../domain/index.js";
import { KestrelError } from "../errors/index.js";
import { logger } from "../log/index.js";
import { bumpPlatesGeneration, EPOCH_KEY, FORMAT_KEY, openStoreDatabases } from "./databases.js";
import { openEnvironment } from "./environment.js";
import { BatchBuilder } from "./intake-batch.js";
import { InlineIntake, type IntakePort, WorkerIntake } from "./intake-port.js";
import {
  decodeCursor,
  encodeCursor,
  indexKey,
  indexTimeKey,
  MAX_TIME_MS,
  nameInIndex,
  prefixEnd,
  READ_KEY_BYTES,
  ReadKeyAllocator,
  readIdOf,
  readKeyInIndex,
  readKeyOf,
  readTime,
  timeKey,
} from "./keys.js";
import {
  storeBatchReads,
  storeDatabaseBytes,
  storeFull,
  storeLastPurge,
  storeMapLimitBytes,
  storePurgedImages,
  storePurgedReads,
  storePurgeHeld,
  storeQueueDepth,
  storeReadsRefused,
  storeReadsStored,
  storeWriteLatency,
} from "./metrics.js";
import { PlateIndex, type PlateIndexOptions } from "./plate-index.js";
import { decodeRecord, encodeRecord, type LegalHold, recordKeys, type StoredRecord } from "./record.js";
import {
  EPOCH_BYTES,
  type ParsedPattern,
  parsePattern,
  plateGramKeys,
  postingsCount,
  postingsFirstAtOrAfter,
  postingsHas,
  postingsWithout,
} from "./wildcard.js";

export type { LegalHold } from "./record.js";

export type StoreConfig = KestrelConfig["store"];

export interface ReadStoreOptions extends Partial<StoreConfig> {
  /** An environment opened by `openEnvironment`; the store then leaves closing it to the caller. */
  root?: RootDatabase;
  /** Free disk space below which intake stops (default: 1% of the map limit, at least 16 MiB). */
  diskReserveBytes?: number;
  /** Distinct plates per gram epoch (default 16384; tests use small values to exercise many epochs). */
  gramEpochPlates?: number;
  /** Plate index run sizes (defaults in plate-index.ts; tests use small values to exercise many runs). */
  plateRuns?: PlateIndexOptions;
  /** Merge plate runs after intake batches (default true); false leaves merging to `compact()`. */
  backgroundMerge?: boolean;
  /**
   * Where intake batches and merges are written: "worker" (default), the store's own writer thread, so
   * LMDB's puts run beside this thread's queuing and queries; "inline", on this thread (tools, tests).
   */
  intakeThread?: "worker" | "inline";
}

/** What the store keeps of a read: the FinalRead without its patch image, plus its id and legal holds. */
export interface StoredRead extends Omit<FinalRead, "patch"> {
  /** 24 hex characters; encodes the capture time, so it sorts in capture order. */
  readId: string;
  legalHold: LegalHold[];
  /** True if a plate patch image is stored (fetch it with `image(readId)`). */
  hasPatch: boolean;
}

export interface StoredRef {
  readId: string;
  captureTimeMs: number;
}

/** One page of a query. `cursor` is null when there is nothing more; pass it back to get the next page. */
export interface Page<T> {
  items: T[];
  cursor: string | null;
}

export type Order = "asc" | "desc";

export interface WindowQuery {
  /** Inclusive bounds, capture time in ms since epoch UTC. */
  fromMs: number;
  toMs: number;
  /** Items per page: 1..1000, default 100. */
  limit?: number;
  cursor?: string | null;
}

export interface PlateQuery extends WindowQuery {
  plate: string;
}

export interface CameraQuery extends WindowQuery {
  cameraId: string;
  /** Default "desc" (newest first). */
  order?: Order;
}

export interface TimeQuery extends WindowQuery {
  order?: Order;
}

export interface PartialPlateQuery extends WindowQuery {
  /** `?` one character, `*` any run, e.g. `AB1?C*`. */
  pattern: string;
  /** Index steps one page may take before it returns early (fewer items, non-null cursor). Default 10000. */
  scanBudget?: number;
}

export interface ConvoyQuery extends WindowQuery {
  plate: string;
  /** A vehicle counts as with the target if it passed the same camera within this many seconds. */
  withinSeconds: number;
  /** Occasions (target passes) a vehicle must share to be a candidate. */
  minOccasions: number;
}

export interface ConvoySighting {
  readId: string;
  cameraId: string;
  captureTimeMs: number;
  /** The target's read this sighting accompanies, and the gap (sighting minus target) in ms. */
  withReadId: string;
  deltaMs: number;
}

export interface ConvoyCandidate {
  plate: string;
  /** Distinct target passes this vehicle accompanied. */
  occasions: number;
  firstCaptureMs: number;
  lastCaptureMs: number;
  sightings: ConvoySighting[];
}

export interface ConvoyPage extends Page<ConvoyCandidate> {
  /** The target's own reads in the window (capture times for the gateway's age tiers). */
  target: Array<StoredRef & { cameraId: string }>;
}

export interface PurgeOptions {
  /** "Now" for the retention cut-off (default Date.now()). */
  nowMs?: number;
  /** Reads examined per write transaction (default 500): keeps each write lock short. */
  readsPerTxn?: number;
}

export interface PurgeCounts {
  cutoffMs: number;
  reads: number;
  images: number;
  indexEntries: number;
  plates: number;
  /** Reads past retention kept because of a legal hold. */
  held: number;
  transactions: number;
}

export interface StoreStats {
  reads: number;
  images: number;
  plates: number;
  /** Plate index runs listed, the highest level among them, and merges under way. */
  plateRuns: { runs: number; maxLevel: number; merges: number };
  highWaterBytes: number;
  limitBytes: number;
  full: boolean;
  queueDepth: number;
  auditEntries: number;
}

/** A queued read: already encoded into its batch; this is what acknowledging it needs. */
interface Pending {
  key: Buffer;
  enqueuedMs: number;
  resolve?: (ref: StoredRef) => void;
  reject?: (err: Error) => void;
}

interface QueuedBatch {
  builder: BatchBuilder;
  pending: Pending[];
}

const DEFAULTS: StoreConfig = {
  dataDir: "./data",
  retentionDays: 730,
  mapSizeGiB: 64,
  writeQueueMax: 50_000,
  batchMaxReads: 5_000,
  batchMaxDelayMs: 20,
  purgeIntervalMs: 60_000,
};
const DAY_MS = 86_400_000;
const GIB = 1024 ** 3;
const MAX_PAGE = 1000;
const MAX_BATCHES_IN_FLIGHT = 4;
const DEFAULT_PAGE = 100;
const MAX_CONVOY_TARGET_READS = 5000;
const DEFAULT_GRAM_EPOCH_PLATES = 16_384;
const FORMAT = Buffer.from("kestrel-store-4", "latin1");
/** A plate of the open gram epoch tested one by one costs this many index steps of a page's scan budget. */
const OPEN_EPOCH_SCAN_STEP = 1 / 8;
const PLATE_RE = /^[A-Z0-9]{1,20}$/;
const CAMERA_RE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The read store: reads, their plate and camera indexes, patch images, the distinct-plate and gram indexes
 * for partial-plate search, and the audit log, all in named databases of one LMDB environment.
 *
 * Intake is a bounded queue of batches (up to `batchMaxReads` reads, or whatever is waiting after
 * `batchMaxDelayMs`), each read encoded into its batch as it is queued and each batch written by the
 * store's writer thread in one write transaction (intake-writer.ts); a read and all its index entries are
 * in the same transaction, so a crash leaves either all of them or none. A read is acknowledged (write()
 * resolves) only after its transaction has committed and been flushed to disk. Queries, the purge and
 * legal holds run on the caller's thread.
 */
export class ReadStore implements ReadSink {
  readonly name = "store";
  readonly root: RootDatabase;
  readonly audit: AuditLog;
  readonly config: StoreConfig;

  private readonly reads: Database<Buffer, Buffer>;
  private readonly plateIndex: PlateIndex;
  private readonly cameraIndex: Database<Buffer, Buffer>;
  private readonly patches: Database<Buffer, Buffer>;
  private readonly plates: Database<Buffer, Buffer>;
  private readonly openPlates: Database<Buffer, Buffer>;
  private readonly grams: Database<Buffer, Buffer>;
  private readonly meta: Database<Buffer, Buffer>;
  private readonly intake: IntakePort;
  private readonly ownsRoot: boolean;
  private readonly keys = new ReadKeyAllocator();
  private readonly limitBytes: number;
  private readonly diskReserveBytes: number;
  private readonly log = logger("store");

  /** Batches waiting to be written, oldest first, and the batch reads are being added to. */
  private sealed: QueuedBatch[] = [];
  private open: QueuedBatch | undefined;
  /** Reads in `sealed` and `open`. */
  private queued = 0;
  private inFlight = 0;
  private readonly batches = new Set<Promise<void>>();
  private exclusiveDepth = 0;
  private acceptWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private writeChain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private fullReason: string | undefined;
  private lastHighWater = 0;
  private purgeTimer: NodeJS.Timeout | undefined;
  private purging: Promise<PurgeCounts> | undefined;
  private refusedLogAtMs = 0;

  private constructor(root: RootDatabase, ownsRoot: boolean, config: StoreConfig, options: ReadStoreOptions) {
    this.root = root;
    this.ownsRoot = ownsRoot;
    this.config = config;
    const dbs = openStoreDatabases(root);
    this.reads = dbs.reads;
    this.cameraIndex = dbs.cameraIndex;
    this.patches = dbs.patches;
    this.plates = dbs.plates;
    this.openPlates = dbs.openPlates;
    this.grams = dbs.grams;
    this.meta = dbs.meta;
    this.plateIndex = new PlateIndex(dbs.plateIndex, this.meta, options.plateRuns);
    this.checkFormat();
    this.audit = AuditLog.open({ root });
    const writer = {
      gramEpochPlates: Math.max(1, options.gramEpochPlates ?? DEFAULT_GRAM_EPOCH_PLATES),
      plateRuns: options.plateRuns,
      backgroundMerge: options.backgroundMerge ?? true,
    };
    this.intake =
      options.intakeThread === "inline"
        ? new InlineIntake(root, writer)
        : new WorkerIntake({
            dataDir: (root as unknown as { path: string }).path,
            mapSizeGiB: config.mapSizeGiB,
            writer,
          });
    this.limitBytes = Math.round(config.mapSizeGiB * GIB);
    this.diskReserveBytes =
      options.diskReserveBytes ?? Math.max(16 * 1024 ** 2, Math.round(this.limitBytes * 0.01));
    storeMapLimitBytes.set(this.limitBytes);
    const highWater = this.highWaterBytes();
    this.lastHighWater = highWater;
    if (highWater > this.fullThreshold()) this.setFull("map size limit reached");
    storeDatabaseBytes.set(highWater);
  }

  /** Opens (creating if needed) the store in `root`, or in a new environment under `dataDir`. */
  static open(options: ReadStoreOptions = {}): ReadStore {
    const config: StoreConfig = { ...DEFAULTS };
    for (const k of Object.keys(DEFAULTS) as (keyof StoreConfig)[]) {
      if (options[k] !== undefined) (config as Record<string, unknown>)[k] = options[k];
    }
    const root = options.root ?? openEnvironment({ dataDir: config.dataDir, mapSizeGiB: config.mapSizeGiB });
    try {
      return new ReadStore(root, options.root === undefined, config, options);
    } catch (err) {
      if (options.root === undefined) root.close().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Earlier formats (kestrel-store-3: a gram key per plate and gram; kestrel-store-2: one plate index keyed
   * plate ‖ 0x00 ‖ read key; before it, msgpack records without a marker) are refused rather than misread. A new store gets the marker and an empty
   * plate run list, in one transaction.
   */
  private checkFormat(): void {
    const format = this.meta.getBinary(FORMAT_KEY);
    if (format && Buffer.compare(format, FORMAT) === 0 && this.plateIndex.hasState()) return;
    let empty = true;
    for (const _ of this.reads.getKeys({ limit: 1 })) empty = false;
    for (const _ of this.plates.getKeys({ limit: 1 })) empty = false;
    if (!empty || format) {
      throw new KestrelError(
        "KESTREL_E_STORE_FORMAT",
        `${format ? `format ${format.toString("latin1")}` : "records written before the store format marker"}; this version reads ${FORMAT.toString("latin1")}`,
      );
    }
    this.root.transactionSync(() => {
      this.meta.putSync(FORMAT_KEY, FORMAT);
      this.plateIndex.create();
    });
  }

  // ---------------------------------------------------------------- intake

  /** True while the store takes new reads: not closed, not full, queue below `writeQueueMax`. */
  get accepting(): boolean {
    return !this.closed && this.fullReason === undefined && this.queueDepth < this.config.writeQueueMax;
  }

  /** Reads waiting in the queue or in the transaction being committed. */
  get queueDepth(): number {
    return this.queued + this.inFlight;
  }

  get full(): boolean {
    return this.fullReason !== undefined;
  }

  /**
   * ReadSink: queue a final read without waiting. If the store cannot take it (queue full, store full,
   * closed, invalid read) the read is refused and counted in kestrel_store_reads_refused_total.
   */
  final(read: FinalRead): void {
    const refusal = this.enqueue(read);
    if (refusal) this.noteRefusal(refusal);
  }

  /** Queue a read and resolve once its transaction has committed and been flushed: only then is it stored. */
  write(read: FinalRead): Promise<StoredRef> {
    return new Promise<StoredRef>((resolve, reject) => {
      const refusal = this.enqueue(read, resolve, reject);
      if (refusal) {
        this.noteRefusal(refusal);
        reject(refusal);
      }
    });
  }

  /**
   * Resolves once the store takes reads again (queue below `writeQueueMax`), for producers that can wait
   * instead of dropping. Rejects if the store is full or closed, since waiting would not help.
   */
  whenAccepting(): Promise<void> {
    if (this.accepting) return Promise.resolve();
    if (this.closed) return Promise.reject(new KestrelError("KESTREL_E_STORE_CLOSED"));
    if (this.fullReason !== undefined) return Promise.reject(fullError(this.fullReason));
    return new Promise((resolve, reject) => this.acceptWaiters.push({ resolve, reject }));
  }

  private wakeWaiters(): void {
    if (this.acceptWaiters.length === 0) return;
    if (!this.accepting && !this.closed && this.fullReason === undefined) return;
    const waiters = this.acceptWaiters;
    this.acceptWaiters = [];
    for (const w of waiters) {
      if (this.accepting) w.resolve();
      else w.reject(this.closed ? new KestrelError("KESTREL_E_STORE_CLOSED") : fullError(this.fullReason!));
    }
  }

  /** Resolves when everything queued so far has been committed (or refused). */
  async flush(): Promise<void> {
    while (this.queueDepth > 0 || this.batches.size > 0) {
      this.startBatch();
      if (this.batches.size > 0) await Promise.allSettled([...this.batches]);
      else await this.writeChain;
    }
  }

  private enqueue(
    read: FinalRead,
    resolve?: (ref: StoredRef) => void,
    reject?: (err: Error) => void,
  ): KestrelError | undefined {
    if (this.closed) return new KestrelError("KESTREL_E_STORE_CLOSED");
    if (this.fullReason !== undefined) return fullError(this.fullReason);
    if (this.queueDepth >= this.config.writeQueueMax) {
      return new KestrelError("KESTREL_E_STORE_BACKPRESSURE", `${this.queueDepth} reads waiting`, {
        details: { queueDepth: this.queueDepth, writeQueueMax: this.config.writeQueueMax },
      });
    }
    const plate = intakePlate(read.plate);
    const t = read.captureTimeMs;
    if (
      plate === undefined ||
      typeof read.cameraId !== "string" ||
      !CAMERA_RE.test(read.cameraId) ||
      !Number.isFinite(t) ||
      t < 0 ||
      t > MAX_TIME_MS
    ) {
      return new KestrelError(
        "KESTREL_E_INPUT_INVALID",
        "read has no valid plate, camera id or capture time",
        {
          details: { reason: "invalid" },
        },
      );
    }
    const entry: Pending = { key: this.keys.next(Math.floor(t)), enqueuedMs: performance.now() };
    if (resolve) entry.resolve = resolve;
    if (reject) entry.reject = reject;
    this.open ??= { builder: new BatchBuilder(this.config.batchMaxReads), pending: [] };
    const batch = this.open;
    try {
      batch.builder.add(read, plate, entry.key);
    } catch (cause) {
      // A field the record cannot be encoded from (JSON.stringify refused it): nothing was added.
      return new KestrelError("KESTREL_E_INPUT_INVALID", "read cannot be encoded", {
        cause,
        details: { reason: "invalid" },
      });
    }
    batch.pending.push(entry);
    this.queued++;
    if (batch.pending.length >= this.config.batchMaxReads) this.sealOpen();
    storeQueueDepth.set(this.queueDepth);
    this.schedule();
    return undefined;
  }

  private noteRefusal(err: KestrelError): void {
    const reason =
      err.code === "KESTREL_E_STORE_BACKPRESSURE"
        ? "backpressure"
        : err.code === "KESTREL_E_STORE_FULL"
          ? "full"
          : err.code === "KESTREL_E_STORE_CLOSED"
            ? "closed"
            : "invalid";
    storeReadsRefused.inc({ reason });
    const now = Date.now();
    if (now - this.refusedLogAtMs > 10_000) {
      this.refusedLogAtMs = now;
      this.log.warn({ reason, queueDepth: this.queueDepth }, "store refused a read");
    }
  }

  private sealOpen(): void {
    if (this.open) this.sealed.push(this.open);
    this.open = undefined;
  }

  private schedule(): void {
    if (this.batches.size > 0 || this.queued === 0) return;
    if (this.sealed.length > 0 || this.config.batchMaxDelayMs === 0) this.kick();
    else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.startBatch();
      }, this.config.batchMaxDelayMs);
    }
  }

  private kick(): void {
    if (this.queued === 0) return;
    this.immediate ??= setImmediate(() => {
      this.immediate = undefined;
      this.startBatch();
    });
  }

  /**
   * Hands the next batch to the writer. Several may be in flight: the writer commits one while it writes the
   * next, and this thread goes on queuing.
   */
  private startBatch(): void {
    if (this.exclusiveDepth > 0 || this.batches.size >= MAX_BATCHES_IN_FLIGHT || this.queued === 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.sealed.length === 0) this.sealOpen();
    const batch = this.sealed.shift()!;
    const reads = batch.pending.length;
    this.queued -= reads;
    this.inFlight += reads;
    const run: Promise<void> = this.commitBatch(batch).finally(() => {
      this.inFlight -= reads;
      this.batches.delete(run);
      storeQueueDepth.set(this.queueDepth);
      this.wakeWaiters();
      // Whatever queued while this batch committed has waited long enough: commit it now.
      this.kick();
    });
    this.batches.add(run);
    if (this.sealed.length > 0) this.kick();
  }

  private async commitBatch({ builder, pending: batch }: QueuedBatch): Promise<void> {
    const refuse = (err: KestrelError, reason: string) => {
      storeReadsRefused.inc({ reason }, batch.length);
      for (const p of batch) p.reject?.(err);
    };
    this.checkDisk();
    if (this.fullReason !== undefined) return refuse(fullError(this.fullReason), "full");
    try {
      // One write transaction (see intake-writer.ts): the batch's reads with all their index entries
      // commit whole or not at all.
      await this.intake.write(builder.finish());
      // The writer thread committed: this thread's read snapshot may predate it (a query or an index
      // lookup made while the batch was in flight), so it is renewed before the reads are acknowledged and
      // a caller reads back what it just wrote.
      this.root.resetReadTxn();
    } catch (cause) {
      const message = String((cause as Error)?.message ?? cause);
      if (/MDB_MAP_FULL|ENOSPC|No space|MDB_TXN_FULL/i.test(message)) {
        this.setFull(`commit failed: ${message}`);
        return refuse(fullError(this.fullReason!), "full");
      }
      this.log.error({ err: cause, reads: batch.length }, "store commit failed");
      return refuse(
        new KestrelError("KESTREL_E_INTERNAL", "store commit failed", { cause }),
        "commit_failed",
      );
    }
    const done = performance.now();
    storeReadsStored.inc(batch.length);
    storeBatchReads.observe(batch.length);
    for (const p of batch) {
      storeWriteLatency.observe((done - p.enqueuedMs) / 1000);
      p.resolve?.({ readId: readIdOf(p.key), captureTimeMs: readTime(p.key, 0) });
    }
    this.checkGrowth();
  }

  /**
   * Runs plate-run merge steps now (all that are due, or at most `maxSteps`) and resolves with the number
   * taken once they are flushed. The writer does this by itself after intake unless `backgroundMerge` is off.
   */
  async compact(maxSteps = Number.POSITIVE_INFINITY): Promise<number> {
    const steps = await this.intake.compact(maxSteps);
    // As after a batch: the steps may have been committed by the writer thread, after this thread's read
    // snapshot was taken, and a caller that compacted expects to see the result.
    this.root.resetReadTxn();
    return steps;
  }

  /** The gram epoch new plates join (every lower one is sealed). */
  private openEpoch(): number {
    const bytes = this.meta.getBinary(EPOCH_KEY);
    return bytes ? bytes.readUInt32BE(0) : 0;
  }

  private plateHasReads(plate: string): boolean {
    return this.plateIndex.hasReads(plate);
  }

  /**
   * Runs a write step (purge step, legal hold, repair) alone: new intake batches wait, those in flight
   * finish first, so the step sees every acknowledged read and intake sees the step.
   */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writeChain.then(async () => {
      this.exclusiveDepth++;
      try {
        await Promise.allSettled([...this.batches]);
        return await fn();
      } finally {
        this.root.resetReadTxn();
        this.exclusiveDepth--;
        this.kick();
      }
    });
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  // ---------------------------------------------------------------- size and disk

  highWaterBytes(): number {
    const s = this.root.getStats() as { lastPageNumber: number; pageSize: number };
    return (s.lastPageNumber + 1) * s.pageSize;
  }

  private fullThreshold(): number {
    return this.limitBytes - Math.min(Math.round(this.limitBytes * 0.05), 256 * 1024 ** 2);
  }

  /**
   * LMDB reuses freed pages before it grows the file, so the file's high-water mark grows only when the free
   * list is exhausted. Intake stops when a commit grew it past the limit (less a 5% reserve, at most
   * 256 MiB): nothing committed is lost, and the reads of the refused batch were never acknowledged.
   */
  private checkGrowth(): void {
    const highWater = this.highWaterBytes();
    storeDatabaseBytes.set(highWater);
    if (highWater > this.lastHighWater && highWater > this.fullThreshold()) {
      this.setFull(`map size limit reached (${highWater} of ${this.limitBytes} bytes)`);
    }
    this.lastHighWater = highWater;
  }

  private checkDisk(): void {
    try {
      const fs = statfsSync((this.root as unknown as { path?: string }).path ?? this.config.dataDir);
      const freeBytes = fs.bavail * fs.bsize;
      if (freeBytes < this.diskReserveBytes) this.setFull(`disk nearly full (${freeBytes} bytes free)`);
    } catch {
      // statfs unsupported here: the commit error path still catches a full disk.
    }
  }

  private setFull(reason: string): void {
    if (this.fullReason === undefined) this.log.error({ reason }, "store full: intake stopped");
    this.fullReason = reason;
    storeFull.set(1);
    this.wakeWaiters();
  }

  /** Lets intake try again (after a purge freed pages, or the operator freed disk or raised the limit). */
  clearFull(): void {
    if (this.fullReason === undefined) return;
    this.fullReason = undefined;
    this.lastHighWater = this.highWaterBytes();
    storeFull.set(0);
    this.log.info("store intake resumed");
  }

  // ---------------------------------------------------------------- reads by id

  get(readId: string): StoredRead | undefined {
    const key = readKeyOf(readId);
    if (!key) return undefined;
    const rec = this.reads.getBinary(key);
    return rec ? fromRecord(decodeRecord(rec), key) : undefined;
  }

  /** The plate patch image (PNG bytes) of a read, if stored. The gateway audits every call. */
  image(readId: string): Uint8Array | undefined {
    const key = readKeyOf(readId);
    if (!key) return undefined;
    const bytes = this.patches.getBinary(key);
    return bytes ? new Uint8Array(bytes) : undefined;
  }

  // ---------------------------------------------------------------- queries

  /** Reads of one plate (exact) in a window, newest first. */
  byPlate(q: PlateQuery): Page<StoredRead> {
    const plate = normalisePlate(q.plate);
    const { fromMs, toMs, limit } = checkWindow(q);
    const after = this.cursorReadKey("plate", q.cursor, plate);
    const { keys, more } = this.plateIndex.readKeys(plate, fromMs, toMs, "desc", limit, after);
    return this.pageFromReadKeys("plate", keys, more, plate);
  }

  /** Reads at one camera in a window, newest first unless `order: "asc"`. */
  byCamera(q: CameraQuery): Page<StoredRead> {
    if (typeof q.cameraId !== "string" || !CAMERA_RE.test(q.cameraId))
      throw queryError("cameraId is invalid");
    const { fromMs, toMs, limit } = checkWindow(q);
    const order = checkOrder(q.order);
    const after = this.cursorKey(`camera-${order}`, q.cursor, q.cameraId);
    const { keys, more } = scanKeys(
      this.cameraIndex,
      indexTimeKey(q.cameraId, fromMs),
      indexTimeKey(q.cameraId, toMs + 1),
      order,
      limit,
      after,
    );
    return this.pageFromIndex(`camera-${order}`, keys, more, q.cameraId);
  }

  /** Reads at every camera in a window, newest first unless `order: "asc"`. */
  byTime(q: TimeQuery): Page<StoredRead> {
    const { fromMs, toMs, limit } = checkWindow(q);
    const order = checkOrder(q.order);
    const after = this.cursorKey(`time-${order}`, q.cursor, "");
    const lo = timeKey(fromMs);
    const hi = timeKey(toMs + 1);
    const items: StoredRead[] = [];
    let more = false;
    for (const { key, value } of this.reads.getRange({
      start: order === "asc" ? (after ?? lo) : (after ?? hi),
      end: order === "asc" ? hi : lo,
      reverse: order === "desc",
      exclusiveStart: after !== undefined,
    })) {
      if (items.length === limit) {
        more = true;
        break;
      }
      items.push(fromRecord(decodeRecord(value), Buffer.from(key)));
    }
    const last = items.at(-1);
    return {
      items,
      cursor: more && last ? encodeCursor(`time-${order}`, { n: "", a: last.readId }) : null,
    };
  }

  /**
   * Reads whose plate matches a wildcard pattern, in a window: ordered by plate, then newest first.
   * Candidate plates come from a leapfrog join of the pattern's gram lists (and the plate-prefix range);
   * a page may return fewer than `limit` items with a cursor when it has spent its scan budget.
   */
  byPartialPlate(q: PartialPlateQuery): Page<StoredRead> {
    const parsed = parsePattern(q.pattern);
    const { fromMs, toMs, limit } = checkWindow(q);
    const budget = q.scanBudget ?? 10_000;
    let resumePlate = "";
    let resumeKey: Buffer | undefined;
    if (q.cursor) {
      const c = decodeCursor("wild", q.cursor);
      if (!c || c.q !== parsed.pattern || typeof c.p !== "string")
        throw queryError("cursor does not belong to this query");
      resumePlate = c.p;
      if (typeof c.a === "string") resumeKey = readKeyOf(c.a);
    }
    const scan = { steps: 0 };
    const joins = this.candidateJoins(parsed, scan);
    // Each join yields its plates in order; heads[j] is join j's next plate at or after `from` (null: not
    // looked up yet, undefined: exhausted). The smallest head is the next candidate in plate order.
    const heads: Array<string | null | undefined> = joins.map(() => null);
    const items: StoredRead[] = [];
    let ops = 0;
    let from = resumePlate;
    for (;;) {
      // The budget is checked once per candidate, so every page gets past at least one.
      if (ops + scan.steps >= budget) {
        const state: Record<string, unknown> = { q: parsed.pattern, p: from };
        if (from === resumePlate && resumeKey) state.a = readIdOf(resumeKey);
        return { items, cursor: encodeCursor("wild", state) };
      }
      let candidate: string | undefined;
      for (let j = 0; j < joins.length; j++) {
        let head = heads[j];
        if (head === undefined) continue;
        if (head === null || head < from) {
          const r = leapfrog(joins[j]!, from);
          ops += r.ops;
          head = r.plate;
          heads[j] = head;
          if (head === undefined) continue;
        }
        if (candidate === undefined || head < candidate) candidate = head;
      }
      if (candidate === undefined) break;
      if (parsed.regex.test(candidate)) {
        const after = candidate === resumePlate && resumeKey ? resumeKey : undefined;
        const { keys, more } = this.plateIndex.readKeys(
          candidate,
          fromMs,
          toMs,
          "desc",
          limit - items.length,
          after,
        );
        ops += 1 + keys.length;
        for (const rk of keys) {
          const rec = this.reads.getBinary(rk);
          if (rec) items.push(fromRecord(decodeRecord(rec), rk));
        }
        if (items.length === limit) {
          const last = items.at(-1)!;
          const state = more
            ? { q: parsed.pattern, p: candidate, a: last.readId }
            : { q: parsed.pattern, p: `${candidate}\u0000` };
          return { items, cursor: encodeCursor("wild", state) };
        }
      }
      from = `${candidate}\u0000`;
    }
    return { items, cursor: null };
  }

  /**
   * The joins a pattern's candidates come from, each a set of sorted lists ("first plate ≥ x" in the list)
   * whose intersection is that join's candidates: one join per gram epoch present (the epoch's gram lists,
   * plus the plate-prefix range), or, for a pattern that fixes no gram, the plate list alone.
   */
  private candidateJoins(parsed: ParsedPattern, scan: { steps: number }): CandidateList[][] {
    if (parsed.exact) {
      const plate = parsed.pattern;
      return [[(from) => (from <= plate ? plate : undefined)]];
    }
    const prefixLists: CandidateList[] = [];
    if (parsed.prefix.length > 0 || parsed.grams.length === 0) {
      // The plate-prefix range (or, with no gram and no prefix, every plate: a budgeted scan).
      const prefix = Buffer.from(parsed.prefix, "latin1");
      const end = parsed.prefix.length > 0 ? prefixEnd(prefix) : undefined;
      prefixLists.push((from) => {
        const start = from > parsed.prefix ? Buffer.from(from, "latin1") : prefix;
        for (const key of this.plates.getKeys(end ? { start, end, limit: 1 } : { start, limit: 1 })) {
          return Buffer.from(key).toString("latin1");
        }
        return undefined;
      });
    }
    if (parsed.grams.length === 0) return [prefixLists];
    const joins: CandidateList[][] = [];
    for (const epoch of this.gramEpochs()) {
      // A sealed epoch: the pattern's grams' posting lists (an epoch missing one has no candidate).
      const lists: CandidateList[] = [];
      for (const g of parsed.grams) {
        const value = this.grams.getBinary(Buffer.concat([epochKey(epoch), g]));
        if (!value) break;
        lists.push((from) => postingsFirstAtOrAfter(value, from));
      }
      if (lists.length === parsed.grams.length) joins.push([...lists, ...prefixLists]);
    }
    joins.push([this.openEpochCandidates(parsed, scan)]);
    return joins;
  }

  /**
   * The open gram epoch's plates (not gram-indexed until it is sealed) that match the pattern, tested one
   * by one from the pattern's literal prefix on. Each plate tested adds OPEN_EPOCH_SCAN_STEP to `scan.steps`.
   */
  private openEpochCandidates(parsed: ParsedPattern, scan: { steps: number }): CandidateList {
    const prefix = Buffer.from(parsed.prefix, "latin1");
    const end = parsed.prefix.length > 0 ? prefixEnd(prefix) : undefined;
    return (from) => {
      const start = from > parsed.prefix ? Buffer.from(from, "latin1") : prefix;
      for (const key of this.openPlates.getKeys(end ? { start, end } : { start })) {
        scan.steps += OPEN_EPOCH_SCAN_STEP;
        const plate = Buffer.from(key).toString("latin1");
        if (parsed.regex.test(plate)) return plate;
      }
      return undefined;
    };
  }

  /** The gram epochs that hold any key, ascending (one seek each). */
  private gramEpochs(): number[] {
    const epochs: number[] = [];
    let start = epochKey(0);
    for (;;) {
      let next: number | undefined;
      for (const key of this.grams.getKeys({ start, limit: 1 })) next = Buffer.from(key).readUInt32BE(0);
      if (next === undefined) return epochs;
      epochs.push(next);
      if (next >= 0xffffffff) return epochs;
      start = epochKey(next + 1);
    }
  }

  /**
   * Convoy candidates: vehicles read at the same camera within `withinSeconds` of the target's reads in
   * the window, on at least `minOccasions` distinct target passes. Most occasions first, then by plate.
   */
  convoy(q: ConvoyQuery): ConvoyPage {
    const plate = normalisePlate(q.plate);
    const { fromMs, toMs, limit } = checkWindow(q);
    if (!(Number.isFinite(q.withinSeconds) && q.withinSeconds > 0 && q.withinSeconds <= 3600)) {
      throw queryError("withinSeconds must be more than 0 and at most 3600");
    }
    if (!(Number.isInteger(q.minOccasions) && q.minOccasions >= 1)) {
      throw queryError("minOccasions must be a whole number of at least 1");
    }
    let offset = 0;
    if (q.cursor) {
      const c = decodeCursor("convoy", q.cursor);
      if (!c || typeof c.o !== "number" || c.p !== plate)
        throw queryError("cursor does not belong to this query");
      offset = c.o;
    }
    const withinMs = Math.round(q.withinSeconds * 1000);
    const { keys: targetKeys, more: tooMany } = this.plateIndex.readKeys(
      plate,
      fromMs,
      toMs,
      "asc",
      MAX_CONVOY_TARGET_READS,
    );
    if (tooMany) {
      throw queryError(`the target has more than ${MAX_CONVOY_TARGET_READS} reads in the window: narrow it`);
    }
    const target: ConvoyPage["target"] = [];
    const found = new Map<string, { occasions: Set<number>; sightings: ConvoySighting[] }>();
    targetKeys.forEach((tk, occasion) => {
      const rec = this.reads.getBinary(tk);
      if (!rec) return;
      const { cameraId } = recordKeys(rec);
      const t = readTime(tk, 0);
      const withReadId = readIdOf(tk);
      target.push({ readId: withReadId, captureTimeMs: t, cameraId });
      for (const { key, value } of this.cameraIndex.getRange({
        start: indexTimeKey(cameraId, t - withinMs),
        end: indexTimeKey(cameraId, t + withinMs + 1),
      })) {
        const other = Buffer.from(value).toString("latin1");
        if (other === plate) continue;
        const rk = readKeyInIndex(key);
        const st = readTime(rk, 0);
        let f = found.get(other);
        if (!f) {
          f = { occasions: new Set(), sightings: [] };
          found.set(other, f);
        }
        f.occasions.add(occasion);
        f.sightings.push({ readId: readIdOf(rk), cameraId, captureTimeMs: st, withReadId, deltaMs: st - t });
      }
    });
    const all: ConvoyCandidate[] = [];
    for (const [p, f] of found) {
      if (f.occasions.size < q.minOccasions) continue;
      const times = f.sightings.map((s) => s.captureTimeMs);
      all.push({
        plate: p,
        occasions: f.occasions.size,
        firstCaptureMs: Math.min(...times),
        lastCaptureMs: Math.max(...times),
        sightings: f.sightings,
      });
    }
    all.sort((a, b) => b.occasions - a.occasions || (a.plate < b.plate ? -1 : a.plate > b.plate ? 1 : 0));
    const items = all.slice(offset, offset + limit);
    const next = offset + items.length;
    return {
      items,
      cursor: next < all.length ? encodeCursor("convoy", { p: plate, o: next }) : null,
      target,
    };
  }

  /** The read key a page cursor of this query stops at (undefined: first page). */
  private cursorReadKey(kind: string, cursor: string | null | undefined, name: string): Buffer | undefined {
    if (!cursor) return undefined;
    const c = decodeCursor(kind, cursor);
    const key = c && c.n === name && typeof c.a === "string" ? readKeyOf(c.a) : undefined;
    if (!key) throw queryError("cursor does not belong to this query");
    return key;
  }

  /** The same as an index key (name ‖ 0x00 ‖ read key), for the camera index. */
  private cursorKey(kind: string, cursor: string | null | undefined, name: string): Buffer | undefined {
    const key = this.cursorReadKey(kind, cursor, name);
    if (!key) return undefined;
    return kind.startsWith("time") ? key : indexKey(name, key);
  }

  private pageFromIndex(kind: string, keys: Buffer[], more: boolean, name: string): Page<StoredRead> {
    return this.pageFromReadKeys(
      kind,
      keys.map((k) => readKeyInIndex(k)),
      more,
      name,
    );
  }

  private pageFromReadKeys(kind: string, readKeys: Buffer[], more: boolean, name: string): Page<StoredRead> {
    const items: StoredRead[] = [];
    for (const rk of readKeys) {
      const rec = this.reads.getBinary(rk);
      if (rec) items.push(fromRecord(decodeRecord(rec), rk));
    }
    const last = readKeys.at(-1);
    return {
      items,
      cursor: more && last ? encodeCursor(kind, { n: name, a: readIdOf(last) }) : null,
    };
  }

  // ---------------------------------------------------------------- legal hold

  /** Places a legal hold for a named investigation; the read is then never purged until every hold is cleared. */
  setLegalHold(readId: string, investigation: string, nowMs = Date.now()): Promise<StoredRead | undefined> {
    if (typeof investigation !== "string" || investigation.trim() === "" || investigation.length > 200) {
      return Promise.reject(queryError("investigation name must be 1-200 characters"));
    }
    return this.updateHolds(readId, (holds) =>
      holds.some((h) => h.investigation === investigation)
        ? holds
        : [...holds, { investigation, sinceMs: nowMs }],
    );
  }

  /** Clears one investigation's hold on a read. */
  clearLegalHold(readId: string, investigation: string): Promise<StoredRead | undefined> {
    return this.updateHolds(readId, (holds) => holds.filter((h) => h.investigation !== investigation));
  }

  private updateHolds(
    readId: string,
    change: (holds: LegalHold[]) => LegalHold[],
  ): Promise<StoredRead | undefined> {
    const key = readKeyOf(readId);
    if (!key) return Promise.reject(queryError("readId is invalid"));
    return this.exclusive(async () => {
      const out = await this.root.transaction(() => {
        const bytes = this.reads.getBinary(key);
        if (!bytes) return undefined;
        const rec = decodeRecord(bytes);
        const updated: StoredRecord = { ...rec, legalHold: change(rec.legalHold) };
        this.reads.putSync(key, encodeRecord(updated));
        return fromRecord(updated, key);
      });
      await this.root.flushed;
      return out;
    });
  }

  // ---------------------------------------------------------------- retention

  /**
   * Deletes reads captured before now − retentionDays (with their index entries, images, and any plate
   * left with no reads), a few hundred per write transaction so intake never waits long. Held reads stay.
   */
  purge(options: PurgeOptions = {}): Promise<PurgeCounts> {
    this.purging ??= this.runPurge(options).finally(() => {
      this.purging = undefined;
    });
    return this.purging;
  }

  private async runPurge(options: PurgeOptions): Promise<PurgeCounts> {
    const nowMs = options.nowMs ?? Date.now();
    const perTxn = Math.max(1, options.readsPerTxn ?? 500);
    const cutoffMs = Math.max(0, nowMs - this.config.retentionDays * DAY_MS);
    const counts: PurgeCounts = {
      cutoffMs,
      reads: 0,
      images: 0,
      indexEntries: 0,
      plates: 0,
      held: 0,
      transactions: 0,
    };
    const end = timeKey(cutoffMs);
    let start: Buffer | undefined;
    for (;;) {
      const step = await this.exclusive(() =>
        this.root.transaction(() => {
          const batch: Array<{ key: Buffer; rec: ReturnType<typeof recordKeys> }> = [];
          for (const { key, value } of this.reads.getRange({
            start: start ?? timeKey(0),
            end,
            exclusiveStart: start !== undefined,
            limit: perTxn,
          })) {
            batch.push({ key: Buffer.from(key), rec: recordKeys(value) });
          }
          const touched = new Set<string>();
          const runs = this.plateIndex.editableState();
          let reads = 0;
          let images = 0;
          let held = 0;
          for (const { key, rec } of batch) {
            if (rec.held) {
              held++;
              continue;
            }
            const plate = rec.plate;
            this.reads.removeSync(key);
            this.plateIndex.remove(runs, plate, key, readTime(key, 0));
            this.cameraIndex.removeSync(indexKey(rec.cameraId, key));
            if (this.patches.removeSync(key)) images++;
            touched.add(plate);
            reads++;
          }
          let plates = 0;
          const openEpoch = this.openEpoch();
          for (const plate of touched) {
            if (this.plateHasReads(plate)) continue;
            const plateBytes = Buffer.from(plate, "latin1");
            const epochBytes = this.plates.getBinary(plateBytes);
            if (!epochBytes) continue;
            const epoch = epochBytes.readUInt32BE(0);
            if (epoch === openEpoch) this.openPlates.removeSync(plateBytes);
            else {
              for (const g of plateGramKeys(plate, epoch)) {
                const postings = this.grams.getBinary(g);
                if (!postings) continue;
                const rest = postingsWithout(postings, plate);
                if (rest) this.grams.putSync(g, rest);
                else this.grams.removeSync(g);
              }
            }
            this.plates.removeSync(plateBytes);
            plates++;
          }
          if (reads > 0) {
            this.plateIndex.dropEmptyRuns(runs);
            this.plateIndex.save(runs);
          }
          // The intake writer's cache of listed plates is stale now (see plate-cache.ts).
          if (plates > 0) bumpPlatesGeneration(this.meta);
          return { last: batch.at(-1)?.key, n: batch.length, reads, images, held, plates };
        }),
      );
      counts.transactions++;
      counts.reads += step.reads;
      counts.images += step.images;
      counts.indexEntries += step.reads * 2;
      counts.held += step.held;
      counts.plates += step.plates;
      if (step.n < perTxn || !step.last || this.closed) break;
      start = step.last;
    }
    await this.root.flushed;
    storePurgedReads.inc(counts.reads);
    storePurgedImages.inc(counts.images);
    storePurgeHeld.set(counts.held);
    storeLastPurge.set(Date.now() / 1000);
    if (counts.reads > 0 && this.fullReason !== undefined) {
      // Freed pages are reused before the file grows: let intake try again (the next batch re-checks the disk).
      this.clearFull();
    }
    this.log.info(counts, "retention purge");
    return counts;
  }

  /** Runs the purge every `purgeIntervalMs` until close. */
  startPurgeTimer(): void {
    if (this.purgeTimer) return;
    this.purgeTimer = setInterval(() => {
      this.purge().catch((err: unknown) => this.log.error({ err }, "retention purge failed"));
    }, this.config.purgeIntervalMs);
    this.purgeTimer.unref();
  }

  // ---------------------------------------------------------------- health

  stats(): StoreStats {
    const count = (db: { getStats(): unknown }) => (db.getStats() as { entryCount: number }).entryCount;
    return {
      reads: count(this.reads),
      images: count(this.patches),
      plates: count(this.plates),
      plateRuns: this.plateIndex.summary(),
      highWaterBytes: this.highWaterBytes(),
      limitBytes: this.limitBytes,
      full: this.full,
      queueDepth: this.queueDepth,
      auditEntries: this.audit.count(),
    };
  }

  /**
   * Checks that every read has its index entries and every index entry its read (and images likewise).
   * Returns the problems found (empty when consistent). Walks everything: for tests and `kestrel store check`.
   */
  checkConsistency(maxProblems = 100): { reads: number; problems: string[] } {
    const problems: string[] = [];
    const note = (p: string) => {
      if (problems.length < maxProblems) problems.push(p);
    };
    let reads = 0;
    for (const { key, value: bytes } of this.reads.getRange({})) {
      if (key.length !== READ_KEY_BYTES) continue;
      reads++;
      const k = Buffer.from(key);
      const value = decodeRecord(bytes);
      const id = readIdOf(k);
      // Exactly one entry, in one of the runs whose span covers the capture time (entries outside their
      // run's span are reported by the walk below).
      const t = readTime(k, 0);
      const entries = this.plateIndex
        .runsCovering(t)
        .filter((run) => this.plateIndex.hasEntry(run.id, value.plate as string, k)).length;
      if (entries === 0) note(`read ${id}: no plate index entry`);
      else if (entries > 1) note(`read ${id}: ${entries} plate index entries`);
      if (!this.cameraIndex.doesExist(indexKey(value.cameraId as string, k)))
        note(`read ${id}: no camera index entry`);
      if (Boolean(value.hasPatch) !== this.patches.doesExist(k)) note(`read ${id}: image presence mismatch`);
      if (!this.plates.doesExist(Buffer.from(value.plate as string, "latin1")))
        note(`read ${id}: plate not listed`);
    }
    this.plateIndex.check((plate, rk, run) => {
      const bytes = this.reads.getBinary(rk);
      const rec = bytes ? recordKeys(bytes) : undefined;
      const t = readTime(rk, 0);
      if (!rec) note(`plate index entry ${readIdOf(rk)}: no read`);
      else if (rec.plate !== plate) note(`plate index entry ${readIdOf(rk)}: wrong plate`);
      if (t < run.fromMs || t > run.toMs)
        note(`plate index entry ${readIdOf(rk)}: outside run ${run.id}'s span`);
    }, note);
    for (const key of this.cameraIndex.getKeys({})) {
      const rk = readKeyInIndex(key);
      const bytes = this.reads.getBinary(rk);
      const rec = bytes ? recordKeys(bytes) : undefined;
      if (!rec) note(`cameraId index entry ${readIdOf(rk)}: no read`);
      else if (rec.cameraId !== nameInIndex(key))
        note(`cameraId index entry ${readIdOf(rk)}: wrong cameraId`);
    }
    for (const key of this.patches.getKeys({})) {
      if (!this.reads.doesExist(Buffer.from(key))) note(`image ${readIdOf(Buffer.from(key))}: no read`);
    }
    // Every listed plate is in its sealed epoch's posting lists, or in the open epoch's list, and nothing else is.
    const openEpoch = this.openEpoch();
    let postings = 0;
    let open = 0;
    for (const { key, value } of this.plates.getRange({})) {
      const plate = Buffer.from(key).toString("latin1");
      const epoch = Buffer.from(value).readUInt32BE(0);
      if (epoch > openEpoch) note(`plate ${plate}: epoch ${epoch} after the open epoch ${openEpoch}`);
      if (epoch === openEpoch) {
        open++;
        if (!this.openPlates.doesExist(Buffer.from(key)))
          note(`plate ${plate}: not in the open epoch's list`);
      } else {
        const keys = plateGramKeys(plate, epoch);
        postings += keys.length;
        const has = (g: Buffer) => {
          const list = this.grams.getBinary(g);
          return list !== undefined && postingsHas(list, plate);
        };
        if (!keys.every(has)) note(`plate ${plate}: gram postings missing`);
      }
      if (!this.plateHasReads(plate)) note(`plate ${plate}: listed without reads`);
    }
    let stored = 0;
    for (const { value } of this.grams.getRange({})) stored += postingsCount(value);
    if (stored !== postings) note(`gram postings hold ${stored} entries, listed plates need ${postings}`);
    const openListed = (this.openPlates.getStats() as { entryCount: number }).entryCount;
    if (openListed !== open) note(`open epoch list holds ${openListed} plates, ${open} are listed in it`);
    return { reads, problems };
  }

  // ---------------------------------------------------------------- close

  /** Stops intake, commits what is queued, stops the purge timer and closes (the environment too if owned). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeWaiters();
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    await this.flush();
    await this.intake.close();
    await this.purging?.catch(() => undefined);
    await this.writeChain;
    await this.audit.settled();
    if (this.ownsRoot) await this.root.close();
  }
}

type CandidateList = (from: string) => string | undefined;

/** The first plate at or after `from` present in every list (leapfrog: seek the lagging lists forward). */
function leapfrog(lists: CandidateList[], from: string): { plate: string | undefined; ops: number } {
  let candidate = from;
  let agreed = 0;
  let ops = 0;
  for (let i = 0; agreed < lists.length; i = (i + 1) % lists.length) {
    const next = lists[i]!(candidate);
    ops++;
    if (next === undefined) return { plate: undefined, ops };
    if (next === candidate) agreed++;
    else {
      candidate = next;
      agreed = 1;
    }
  }
  return { plate: candidate, ops };
}

function epochKey(epoch: number): Buffer {
  const b = Buffer.allocUnsafe(EPOCH_BYTES);
  b.writeUInt32BE(epoch, 0);
  return b;
}

function fromRecord(rec: StoredRecord, key: Buffer): StoredRead {
  return { kind: "final", ...rec, readId: readIdOf(key) };
}

function scanKeys(
  db: Database<Buffer, Buffer>,
  lo: Buffer,
  hi: Buffer,
  order: Order,
  limit: number,
  after: Buffer | undefined,
): { keys: Buffer[]; more: boolean } {
  const keys: Buffer[] = [];
  let more = false;
  if (limit <= 0) return { keys, more: true };
  for (const key of db.getKeys({
    start: order === "asc" ? (after ?? lo) : (after ?? hi),
    end: order === "asc" ? hi : lo,
    reverse: order === "desc",
    exclusiveStart: after !== undefined,
    limit: limit + 1,
  })) {
    if (keys.length === limit) {
      more = true;
      break;
    }
    keys.push(Buffer.from(key));
  }
  return { keys, more };
}

function queryError(detail: string): KestrelError {
  return new KestrelError("KESTREL_E_STORE_QUERY", detail);
}

function fullError(reason: string): KestrelError {
  return new KestrelError("KESTREL_E_STORE_FULL", reason);
}

/** The plate as stored (upper case, no spaces), or undefined if it is not one; most arrive that way already. */
function intakePlate(raw: unknown): string | undefined {
  if (typeof raw !== "string") return undefined;
  if (PLATE_RE.test(raw)) return raw;
  const plate = raw.replace(/\s+/g, "").toUpperCase();
  return PLATE_RE.test(plate) ? plate : undefined;
}

function normalisePlate(plate: unknown): string {
  const p = typeof plate === "string" ? plate.replace(/\s+/g, "").toUpperCase() : "";
  if (!PLATE_RE.test(p)) throw queryError("plate must be 1-20 letters or digits");
  return p;
}

function checkOrder(order: unknown): Order {
  if (order === undefined || order === "desc") return "desc";
  if (order === "asc") return "asc";
  throw queryError('order must be "asc" or "desc"');
}

function checkWindow(q: WindowQuery): { fromMs: number; toMs: number; limit: number } {
  const { fromMs, toMs } = q;
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) throw queryError("fromMs and toMs must be numbers");
  if (fromMs > toMs) throw queryError("window is reversed: fromMs is after toMs");
  const limit = q.limit ?? DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
    throw queryError(`limit must be 1-${MAX_PAGE}`);
  return {
    fromMs: Math.max(0, Math.floor(fromMs)),
    toMs: Math.min(MAX_TIME_MS - 1, Math.floor(toMs)),
    limit,
  };
}
