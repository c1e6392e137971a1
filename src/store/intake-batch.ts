import type { FinalRead } from "../domain/index.js";
import { writeAscii } from "./ascii.js";
import { READ_KEY_BYTES, readTime } from "./keys.js";
import { RUN_ID_BYTES } from "./plate-index.js";
import type { LegalHold } from "./record.js";
import { encodeRecordView } from "./record.js";

/**
 * One intake batch as bytes: built on the caller's thread as reads are queued (so a queued read is a few
 * hundred bytes, not a tree of objects for the garbage collector to carry), then handed whole to the
 * intake writer, which may run in another thread (the buffers are transferred, not copied).
 *
 * Each read's entry, at `offsets[i]`, holds every key and value the writer puts for it, laid out so that
 * each is one contiguous range:
 *
 *   u8 c ‖ cameraId (c) ‖ 0x00 ‖ read key (12)                  camera index key (read key inside it)
 *   u8 p ‖ run (4, set by the writer) ‖ plate (p) ‖ 0x00 ‖ read key   plate index entry (plate inside it)
 *   u32le r ‖ record (r)
 *   u32le m ‖ patch image (m; 0 = none)
 */
export interface IntakeBatch {
  bytes: Uint8Array;
  /** Start of each read's entry, in arrival order. */
  offsets: Uint32Array;
  /** Read indexes by plate, and by camera (stable): each index's puts then walk its B-tree in key order. */
  byPlate: Uint32Array;
  byCamera: Uint32Array;
  /** Capture-time span of the batch (ms). */
  fromMs: number;
  toMs: number;
}

/** The buffers of a batch, for postMessage's transfer list. */
export function batchTransfer(batch: IntakeBatch): ArrayBuffer[] {
  return [batch.bytes, batch.offsets, batch.byPlate, batch.byCamera].map((a) => a.buffer as ArrayBuffer);
}

const NO_HOLDS: LegalHold[] = [];

/** Appends reads to a growing batch; `finish` hands out the batch and leaves the builder unusable. */
export class BatchBuilder {
  private buf: Buffer;
  private at = 0;
  private readonly offsets: number[] = [];
  private readonly plates: string[] = [];
  private readonly cameras: string[] = [];
  private fromMs = Number.MAX_SAFE_INTEGER;
  private toMs = -1;

  constructor(expectedReads: number) {
    this.buf = Buffer.from(new ArrayBuffer(Math.max(4096, expectedReads * 400)));
  }

  get count(): number {
    return this.offsets.length;
  }

  /** Adds a read whose plate (normalised) and camera id have been validated as ASCII. */
  add(read: FinalRead, plate: string, key: Buffer): void {
    const hasPatch = read.patch !== undefined && read.patch.byteLength > 0;
    const record = encodeRecordView(read, plate, hasPatch, NO_HOLDS);
    const camera = read.cameraId;
    const patchBytes = hasPatch ? read.patch!.byteLength : 0;
    const need =
      1 + camera.length + 1 + READ_KEY_BYTES + 1 + RUN_ID_BYTES + plate.length + 1 + READ_KEY_BYTES + 8;
    this.reserve(need + record.length + patchBytes);
    const b = this.buf;
    let o = this.at;
    this.offsets.push(o);
    b[o] = camera.length;
    o += 1 + writeAscii(b, o + 1, camera);
    b[o++] = 0;
    b.set(key, o);
    o += READ_KEY_BYTES;
    b[o] = plate.length;
    o += 1 + RUN_ID_BYTES;
    o += writeAscii(b, o, plate);
    b[o++] = 0;
    b.set(key, o);
    o += READ_KEY_BYTES;
    b.writeUInt32LE(record.length, o);
    b.set(record, o + 4);
    o += 4 + record.length;
    b.writeUInt32LE(patchBytes, o);
    if (hasPatch) b.set(read.patch!, o + 4);
    this.at = o + 4 + patchBytes;
    this.plates.push(plate);
    this.cameras.push(camera);
    const t = readTime(key, 0);
    if (t < this.fromMs) this.fromMs = t;
    if (t > this.toMs) this.toMs = t;
  }

  finish(): IntakeBatch {
    const byPlate = sortedIndexes(this.plates);
    const byCamera = sortedIndexes(this.cameras);
    // The bytes stay in their own ArrayBuffer (transferable); only the used part is sent.
    const bytes = new Uint8Array(this.buf.buffer, 0, this.at);
    return {
      bytes,
      offsets: Uint32Array.from(this.offsets),
      byPlate,
      byCamera,
      fromMs: this.fromMs,
      toMs: this.toMs,
    };
  }

  private reserve(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    const grown = Buffer.from(new ArrayBuffer(Math.max(this.buf.length * 2, this.at + bytes)));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }
}

/** Indexes 0..n-1 ordered by `names` (stable: equal names keep arrival order). */
function sortedIndexes(names: string[]): Uint32Array {
  const n = names.length;
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => {
    const na = names[a]!;
    const nb = names[b]!;
    return na < nb ? -1 : na > nb ? 1 : a - b;
  });
  return Uint32Array.from(order);
}

/** Where the parts of one entry lie in `bytes` (see IntakeBatch). */
export interface EntryLayout {
  cameraKeyStart: number;
  cameraKeyEnd: number;
  readKeyStart: number;
  plateKeyStart: number;
  plateKeyEnd: number;
  plateStart: number;
  plateEnd: number;
  recordStart: number;
  recordEnd: number;
  patchStart: number;
  patchEnd: number;
}

/** Reads the layout of the entry at `o` into `out` (reused: nothing allocated per read). */
export function entryLayout(bytes: Uint8Array, o: number, out: EntryLayout): EntryLayout {
  const cameraLen = bytes[o]!;
  out.cameraKeyStart = o + 1;
  out.readKeyStart = o + 2 + cameraLen;
  out.cameraKeyEnd = out.readKeyStart + READ_KEY_BYTES;
  const p = out.cameraKeyEnd;
  const plateLen = bytes[p]!;
  out.plateKeyStart = p + 1;
  out.plateStart = out.plateKeyStart + RUN_ID_BYTES;
  out.plateEnd = out.plateStart + plateLen;
  out.plateKeyEnd = out.plateEnd + 1 + READ_KEY_BYTES;
  const q = out.plateKeyEnd;
  const recordLen = u32le(bytes, q);
  out.recordStart = q + 4;
  out.recordEnd = out.recordStart + recordLen;
  const patchLen = u32le(bytes, out.recordEnd);
  out.patchStart = out.recordEnd + 4;
  out.patchEnd = out.patchStart + patchLen;
  return out;
}

export function newEntryLayout(): EntryLayout {
  return {
    cameraKeyStart: 0,
    cameraKeyEnd: 0,
    readKeyStart: 0,
    plateKeyStart: 0,
    plateKeyEnd: 0,
    plateStart: 0,
    plateEnd: 0,
    recordStart: 0,
    recordEnd: 0,
    patchStart: 0,
    patchEnd: 0,
  };
}

function u32le(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
