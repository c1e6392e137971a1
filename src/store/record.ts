import type { Box, Direction, FinalRead, PlateCandidate } from "../domain/index.js";
import { writeAscii, writeUtf8 } from "./ascii.js";

/**
 * Stored read records (see docs/store.md, "Record layout"). The first byte is the layout version:
 *
 *   1  compact binary layout (below), used for every read whose fields have the FinalRead types
 *   2  UTF-8 JSON of the record, the fallback for a read with an odd field (kept whole rather than coerced)
 *
 * Layout 1, multi-byte numbers little-endian, strings as a length then bytes:
 *   u8 version=1 ‖ u8 flags (bit 0 hasPatch, bit 1 legal-hold tail present)
 *   ‖ u8 len ‖ plate (latin1)  ‖ u8 len ‖ cameraId (latin1)          fixed offsets: purge reads only these
 *   ‖ f64 captureTimeMs ‖ f64 firstCaptureMs ‖ f64 lastCaptureMs ‖ f64 confidence
 *   ‖ f64 firstFrame ‖ f64 lastFrame ‖ f64 framesRead ‖ f64 × 4 box
 *   ‖ u16 len ‖ passId (utf8) ‖ u8 len ‖ direction (utf8) ‖ u8 len ‖ engineVersion (utf8)
 *   ‖ u8 n ‖ f64 × n charConfidences ‖ u8 n ‖ n × (u8 len ‖ plate (utf8) ‖ f64 confidence) candidates
 *   ‖ [flags bit 1] u32 len ‖ JSON of legalHold
 * Numbers are f64 so every value reads back exactly as it was written.
 */

export const RECORD_BINARY = 1;
export const RECORD_JSON = 2;
const FLAG_PATCH = 1;
const FLAG_HOLD = 2;

export interface LegalHold {
  investigation: string;
  sinceMs: number;
}

/** What the store keeps of a read: the FinalRead without kind and patch, plus hasPatch and legal holds. */
export type StoredRecord = Omit<FinalRead, "kind" | "patch"> & {
  hasPatch: boolean;
  legalHold: LegalHold[];
};

// One growable scratch buffer: a record is encoded into it.
let scratch = Buffer.allocUnsafe(4096);

/** The fields a record is encoded from: a FinalRead has them all (plate, patch flag and holds come apart). */
export type RecordSource = Omit<StoredRecord, "plate" | "hasPatch" | "legalHold">;

export function recordOf(
  read: RecordSource,
  plate: string,
  hasPatch: boolean,
  legalHold: LegalHold[],
): StoredRecord {
  return {
    passId: read.passId,
    cameraId: read.cameraId,
    plate,
    confidence: read.confidence,
    charConfidences: read.charConfidences,
    candidates: read.candidates,
    captureTimeMs: read.captureTimeMs,
    firstCaptureMs: read.firstCaptureMs,
    lastCaptureMs: read.lastCaptureMs,
    firstFrame: read.firstFrame,
    lastFrame: read.lastFrame,
    framesRead: read.framesRead,
    direction: read.direction,
    box: read.box,
    engineVersion: read.engineVersion,
    hasPatch,
    legalHold,
  };
}

/** Encodes a record into a buffer of its own (see encodeRecordView). */
export function encodeRecord(rec: StoredRecord): Buffer {
  return Buffer.from(encodeRecordView(rec, rec.plate, rec.hasPatch, rec.legalHold));
}

/**
 * Encodes a record: the binary layout when every field has its declared type, JSON otherwise. Returns a
 * view of a shared scratch buffer, valid until the next call (the intake puts it at once: LMDB copies it).
 */
export function encodeRecordView(
  rec: RecordSource,
  plate: string,
  hasPatch: boolean,
  legalHold: LegalHold[],
): Buffer {
  if (!fitsBinary(rec, legalHold)) return encodeJson(recordOf(rec, plate, hasPatch, legalHold));
  const holdJson = legalHold.length > 0 ? JSON.stringify(legalHold) : undefined;
  // Upper bound of the size: strings at most 3 bytes per UTF-16 unit.
  let bound = 2 + 2 + plate.length + rec.cameraId.length + 11 * 8 + 2 + 3 * rec.passId.length;
  bound += 2 + 3 * (rec.direction.length + rec.engineVersion.length) + 2 + 8 * rec.charConfidences.length;
  for (const c of rec.candidates) bound += 9 + 3 * c.plate.length;
  if (holdJson !== undefined) bound += 4 + 3 * holdJson.length;
  if (scratch.length < bound) scratch = Buffer.allocUnsafe(Math.max(bound, scratch.length * 2));
  const b = scratch;
  b[0] = RECORD_BINARY;
  b[1] = (hasPatch ? FLAG_PATCH : 0) | (holdJson !== undefined ? FLAG_HOLD : 0);
  let o = 2;
  b[o] = plate.length;
  o = 1 + o + writeLatin1(b, o + 1, plate);
  b[o] = rec.cameraId.length;
  o = 1 + o + writeLatin1(b, o + 1, rec.cameraId);
  o = b.writeDoubleLE(rec.captureTimeMs, o);
  o = b.writeDoubleLE(rec.firstCaptureMs, o);
  o = b.writeDoubleLE(rec.lastCaptureMs, o);
  o = b.writeDoubleLE(rec.confidence, o);
  o = b.writeDoubleLE(rec.firstFrame, o);
  o = b.writeDoubleLE(rec.lastFrame, o);
  o = b.writeDoubleLE(rec.framesRead, o);
  for (let i = 0; i < 4; i++) o = b.writeDoubleLE(rec.box[i]!, o);
  o = writeStr16(b, o, rec.passId);
  o = writeStr8(b, o, rec.direction);
  o = writeStr8(b, o, rec.engineVersion);
  b[o++] = rec.charConfidences.length;
  for (const c of rec.charConfidences) o = b.writeDoubleLE(c, o);
  b[o++] = rec.candidates.length;
  for (const c of rec.candidates) {
    o = writeStr8(b, o, c.plate);
    o = b.writeDoubleLE(c.confidence, o);
  }
  if (holdJson !== undefined) {
    const n = b.write(holdJson, o + 4, "utf8");
    b.writeUInt32LE(n, o);
    o += 4 + n;
  }
  return b.subarray(0, o);
}

export function decodeRecord(bytes: Uint8Array): StoredRecord {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b[0] === RECORD_JSON) return JSON.parse(b.toString("utf8", 1)) as StoredRecord;
  if (b[0] !== RECORD_BINARY) throw new Error(`unknown read record layout ${b[0]}`);
  const flags = b[1]!;
  let o = 2;
  const plate = b.toString("latin1", o + 1, o + 1 + b[o]!);
  o += 1 + b[o]!;
  const cameraId = b.toString("latin1", o + 1, o + 1 + b[o]!);
  o += 1 + b[o]!;
  const captureTimeMs = b.readDoubleLE(o);
  const firstCaptureMs = b.readDoubleLE(o + 8);
  const lastCaptureMs = b.readDoubleLE(o + 16);
  const confidence = b.readDoubleLE(o + 24);
  const firstFrame = b.readDoubleLE(o + 32);
  const lastFrame = b.readDoubleLE(o + 40);
  const framesRead = b.readDoubleLE(o + 48);
  const box: Box = [
    b.readDoubleLE(o + 56),
    b.readDoubleLE(o + 64),
    b.readDoubleLE(o + 72),
    b.readDoubleLE(o + 80),
  ];
  o += 88;
  const passIdLen = b.readUInt16LE(o);
  const passId = b.toString("utf8", o + 2, o + 2 + passIdLen);
  o += 2 + passIdLen;
  const direction = b.toString("utf8", o + 1, o + 1 + b[o]!) as Direction;
  o += 1 + b[o]!;
  const engineVersion = b.toString("utf8", o + 1, o + 1 + b[o]!);
  o += 1 + b[o]!;
  const nChars = b[o++]!;
  const charConfidences = new Array<number>(nChars);
  for (let i = 0; i < nChars; i++, o += 8) charConfidences[i] = b.readDoubleLE(o);
  const nCands = b[o++]!;
  const candidates = new Array<PlateCandidate>(nCands);
  for (let i = 0; i < nCands; i++) {
    const p = b.toString("utf8", o + 1, o + 1 + b[o]!);
    o += 1 + b[o]!;
    candidates[i] = { plate: p, confidence: b.readDoubleLE(o) };
    o += 8;
  }
  let legalHold: LegalHold[] = [];
  if (flags & FLAG_HOLD) {
    const n = b.readUInt32LE(o);
    legalHold = JSON.parse(b.toString("utf8", o + 4, o + 4 + n)) as LegalHold[];
  }
  return {
    passId,
    cameraId,
    plate,
    confidence,
    charConfidences,
    candidates,
    captureTimeMs,
    firstCaptureMs,
    lastCaptureMs,
    firstFrame,
    lastFrame,
    framesRead,
    direction,
    box,
    engineVersion,
    hasPatch: (flags & FLAG_PATCH) !== 0,
    legalHold,
  };
}

/** The plate, camera id and whether any legal hold is set, without decoding the rest (purge, checks). */
export function recordKeys(bytes: Uint8Array): { plate: string; cameraId: string; held: boolean } {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b[0] !== RECORD_BINARY) {
    const rec = decodeRecord(b);
    return { plate: rec.plate, cameraId: rec.cameraId, held: rec.legalHold.length > 0 };
  }
  const plateLen = b[2]!;
  const cameraLen = b[3 + plateLen]!;
  return {
    plate: b.toString("latin1", 3, 3 + plateLen),
    cameraId: b.toString("latin1", 4 + plateLen, 4 + plateLen + cameraLen),
    held: (b[1]! & FLAG_HOLD) !== 0,
  };
}

function encodeJson(rec: StoredRecord): Buffer {
  const json = Buffer.from(JSON.stringify(rec), "utf8");
  const out = Buffer.allocUnsafe(1 + json.length);
  out[0] = RECORD_JSON;
  json.copy(out, 1);
  return out;
}

/** Plate and camera id are validated ASCII; anything else still gets its latin1 bytes. */
function writeLatin1(b: Buffer, o: number, s: string): number {
  const n = writeAscii(b, o, s);
  return n >= 0 ? n : b.write(s, o, "latin1");
}

function writeStr8(b: Buffer, o: number, s: string): number {
  const n = writeUtf8(b, o + 1, s);
  b[o] = n;
  return o + 1 + n;
}

function writeStr16(b: Buffer, o: number, s: string): number {
  const n = writeUtf8(b, o + 2, s);
  b.writeUInt16LE(n, o);
  return o + 2 + n;
}

const isNum = (x: unknown): x is number => typeof x === "number";
// UTF-8 takes at most 3 bytes per UTF-16 unit: most strings pass without measuring.
const isStr = (x: unknown, maxBytes: number): x is string =>
  typeof x === "string" && (x.length * 3 <= maxBytes || Buffer.byteLength(x, "utf8") <= maxBytes);

/** True when every field fits layout 1 (types as declared, lengths within their length fields). */
function fitsBinary(rec: RecordSource, legalHold: LegalHold[]): boolean {
  const { charConfidences: cc, candidates: cands, box } = rec;
  if (
    !isNum(rec.captureTimeMs) ||
    !isNum(rec.firstCaptureMs) ||
    !isNum(rec.lastCaptureMs) ||
    !isNum(rec.confidence) ||
    !isNum(rec.firstFrame) ||
    !isNum(rec.lastFrame) ||
    !isNum(rec.framesRead) ||
    !isStr(rec.passId, 0xffff) ||
    !isStr(rec.direction, 255) ||
    !isStr(rec.engineVersion, 255) ||
    !Array.isArray(box) ||
    box.length !== 4 ||
    !Array.isArray(cc) ||
    cc.length > 255 ||
    !Array.isArray(cands) ||
    cands.length > 255 ||
    !Array.isArray(legalHold)
  ) {
    return false;
  }
  for (let i = 0; i < 4; i++) if (!isNum(box[i])) return false;
  for (let i = 0; i < cc.length; i++) if (!isNum(cc[i])) return false;
  for (let i = 0; i < cands.length; i++) {
    const c = cands[i];
    if (typeof c !== "object" || c === null || !isStr(c.plate, 255) || !isNum(c.confidence)) return false;
    if (Object.keys(c).length !== 2) return false;
  }
  return true;
}
