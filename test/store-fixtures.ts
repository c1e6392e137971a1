import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FinalRead } from "../src/domain/index.js";

/** A temp directory for one test's LMDB environment, removed by the returned cleanup. */
export function tempDir(tag: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `kestrel-${tag}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Deterministic pseudo-random numbers (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY";
const DIGITS = "0123456789";

/** A current-format UK mark (LLNNLLL), drawn from `rand`. */
export function ukPlate(rand: () => number): string {
  const l = () => LETTERS[Math.floor(rand() * LETTERS.length)]!;
  const d = () => DIGITS[Math.floor(rand() * DIGITS.length)]!;
  return `${l()}${l()}${d()}${d()}${l()}${l()}${l()}`;
}

export function makeRead(
  plate: string,
  cameraId: string,
  captureTimeMs: number,
  options: { patch?: Uint8Array; passId?: string } = {},
): FinalRead {
  const read: FinalRead = {
    kind: "final",
    passId: options.passId ?? `${cameraId}-${captureTimeMs}-${plate}`,
    cameraId,
    plate,
    confidence: 0.91,
    charConfidences: Array.from(plate, () => 0.9),
    candidates: [{ plate, confidence: 0.91 }],
    captureTimeMs,
    firstCaptureMs: captureTimeMs - 400,
    lastCaptureMs: captureTimeMs + 400,
    firstFrame: 10,
    lastFrame: 30,
    framesRead: 12,
    direction: "towards",
    box: [100, 200, 120, 30],
    engineVersion: "test-1",
  };
  if (options.patch) read.patch = options.patch;
  return read;
}
