import { randomBytes } from "node:crypto";

/**
 * Binary key layout of the read store (see docs/store.md). Every key sorts byte-wise in the order the
 * queries walk it, so a time window is one contiguous range.
 *
 *   read key   = time(6) ‖ uniq(6)                  12 bytes; the readId is its hex form (24 chars)
 *   time(6)    = capture time, ms since epoch UTC, unsigned 48-bit big-endian (good to year 10889)
 *   uniq(6)    = 2 random bytes per store open ‖ 32-bit counter: unique among reads of the same ms
 *   plate key  = plate bytes ‖ 0x00 ‖ read key
 *   camera key = camera id bytes ‖ 0x00 ‖ read key     (value: the plate, for convoy scans)
 */

export const READ_KEY_BYTES = 12;
export const TIME_BYTES = 6;
export const MAX_TIME_MS = 2 ** 48 - 1;
const TWO_32 = 2 ** 32;

export function writeTime(buf: Buffer, offset: number, timeMs: number): void {
  const hi = Math.floor(timeMs / TWO_32);
  buf.writeUInt16BE(hi, offset);
  buf.writeUInt32BE(timeMs - hi * TWO_32, offset + 2);
}

export function readTime(buf: Uint8Array, offset: number): number {
  const b = buf as Buffer;
  const view = Buffer.isBuffer(b) ? b : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return view.readUInt16BE(offset) * TWO_32 + view.readUInt32BE(offset + 2);
}

/** Allocates read keys: unique within this process, and (by the random prefix) across restarts. */
export class ReadKeyAllocator {
  private readonly nonce = randomBytes(2).readUInt16BE(0);
  // Starts at 1: no stored key ends in six zero bytes, the suffix the range bounds use.
  private counter = 1;

  next(timeMs: number): Buffer {
    const key = Buffer.allocUnsafe(READ_KEY_BYTES);
    writeTime(key, 0, timeMs);
    key.writeUInt16BE(this.nonce, 6);
    key.writeUInt32BE(this.counter, 8);
    this.counter = this.counter === 0xffffffff ? 1 : this.counter + 1;
    return key;
  }
}

/** The lowest read key at a capture time: a range [timeKey(a), timeKey(b)) covers captures a ≤ t < b. */
export function timeKey(timeMs: number): Buffer {
  const key = Buffer.alloc(READ_KEY_BYTES);
  writeTime(key, 0, clampTime(timeMs));
  return key;
}

function clampTime(timeMs: number): number {
  return Math.min(Math.max(0, Math.floor(timeMs)), MAX_TIME_MS);
}

export function readIdOf(readKey: Uint8Array): string {
  return Buffer.from(readKey.buffer, readKey.byteOffset, readKey.byteLength).toString("hex");
}

/** The read key of a readId, or undefined if it is not one. */
export function readKeyOf(readId: string): Buffer | undefined {
  if (typeof readId !== "string" || !/^[0-9a-f]{24}$/.test(readId)) return undefined;
  return Buffer.from(readId, "hex");
}

export function captureTimeOfReadId(readId: string): number | undefined {
  const key = readKeyOf(readId);
  return key ? readTime(key, 0) : undefined;
}

/** name ‖ 0x00 ‖ read key: the plate and camera index keys. */
export function indexKey(name: string, readKey: Uint8Array): Buffer {
  const nameBytes = Buffer.byteLength(name, "latin1");
  const key = Buffer.allocUnsafe(nameBytes + 1 + READ_KEY_BYTES);
  key.write(name, 0, "latin1");
  key[nameBytes] = 0;
  key.set(readKey, nameBytes + 1);
  return key;
}

/** name ‖ 0x00 ‖ time(6) ‖ 000000: the first index key of `name` at or after `timeMs`. */
export function indexTimeKey(name: string, timeMs: number): Buffer {
  const nameBytes = Buffer.byteLength(name, "latin1");
  const key = Buffer.alloc(nameBytes + 1 + READ_KEY_BYTES);
  key.write(name, 0, "latin1");
  writeTime(key, nameBytes + 1, clampTime(timeMs));
  return key;
}

/** The read key inside an index key (its last 12 bytes). */
export function readKeyInIndex(indexKeyBytes: Uint8Array): Buffer {
  const b = Buffer.from(indexKeyBytes.buffer, indexKeyBytes.byteOffset, indexKeyBytes.byteLength);
  return Buffer.from(b.subarray(b.length - READ_KEY_BYTES));
}

export function nameInIndex(indexKeyBytes: Uint8Array): string {
  const b = Buffer.from(indexKeyBytes.buffer, indexKeyBytes.byteOffset, indexKeyBytes.byteLength);
  return b.toString("latin1", 0, b.length - READ_KEY_BYTES - 1);
}

/** The smallest key greater than every key starting with `prefix`. */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.concat([prefix, Buffer.from([0xff, 0xff, 0xff, 0xff])]);
}

/** Opaque page cursors: base64url JSON, tagged with the query kind so one query's cursor cannot drive another. */
export function encodeCursor(kind: string, state: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ k: kind, ...state })).toString("base64url");
}

export function decodeCursor(kind: string, cursor: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as Record<string, unknown>;
    return value && typeof value === "object" && value.k === kind ? value : undefined;
  } catch {
    return undefined;
  }
}
