import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReadStore } from "../src/store/index.js";
import { makeRead, rng, tempDir } from "./store-fixtures.js";

/**
 * Partial-plate search against a brute-force scan of the same reads. Plates come from a small alphabet so
 * that random patterns hit many of them; patterns come from real plates with characters blanked (`?`) and
 * runs cut (`*`), and from random strings.
 */
const T0 = Date.UTC(2026, 0, 1);
const ALPHABET = "AB12";
let store: ReadStore;
/**
 * The same reads in a store with 16 plates per gram epoch (25 epochs, so the search merges across them) and
 * plate runs of 100 entries merged 3 at a time (each candidate plate's reads are spread over many runs).
 */
let epochStore: ReadStore;
let cleanup: () => void;
let epochCleanup: () => void;
const stored: Array<{ plate: string; captureTimeMs: number; readId: string }> = [];
/** readId in the epoch store → readId of the same read in the default store. */
const epochIds = new Map<string, string>();
let plates: string[] = [];

beforeAll(async () => {
  const dir = tempDir("wild");
  cleanup = dir.cleanup;
  store = ReadStore.open({ dataDir: dir.dir, mapSizeGiB: 1, batchMaxReads: 250 });
  const epochDir = tempDir("wild-epochs");
  epochCleanup = epochDir.cleanup;
  epochStore = ReadStore.open({
    dataDir: epochDir.dir,
    mapSizeGiB: 1,
    batchMaxReads: 250,
    gramEpochPlates: 16,
    plateRuns: { hotEntries: 100, fanIn: 3, mergeStepEntries: 50 },
  });
  const rand = rng(2024);
  const set = new Set<string>();
  while (set.size < 400) {
    const len = 2 + Math.floor(rand() * 6);
    set.add(Array.from({ length: len }, () => ALPHABET[Math.floor(rand() * ALPHABET.length)]).join(""));
  }
  plates = [...set];
  const reads = Array.from({ length: 3000 }, () =>
    makeRead(
      plates[Math.floor(rand() * plates.length)]!,
      `cam-${Math.floor(rand() * 5)}`,
      T0 + Math.floor(rand() * 1e7),
    ),
  );
  const refs = await Promise.all(reads.map((r) => store.write(r)));
  const epochRefs = await Promise.all(reads.map((r) => epochStore.write(r)));
  reads.forEach((r, i) => {
    stored.push({ plate: r.plate, captureTimeMs: r.captureTimeMs, readId: refs[i]!.readId });
    epochIds.set(epochRefs[i]!.readId, refs[i]!.readId);
  });
});

afterAll(async () => {
  await store.close();
  await epochStore.close();
  cleanup();
  epochCleanup();
});

function bruteForce(pattern: string, fromMs: number, toMs: number): string[] {
  const re = new RegExp(`^${pattern.replace(/\?/g, ".").replace(/\*+/g, ".*")}$`);
  return stored
    .filter((r) => re.test(r.plate) && r.captureTimeMs >= fromMs && r.captureTimeMs <= toMs)
    .sort((a, b) => (a.plate < b.plate ? -1 : a.plate > b.plate ? 1 : a.readId < b.readId ? 1 : -1))
    .map((r) => r.readId);
}

function search(
  pattern: string,
  fromMs: number,
  toMs: number,
  limit: number,
  scanBudget: number,
  from: ReadStore = store,
): string[] {
  const out: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = from.byPartialPlate({ pattern, fromMs, toMs, limit, cursor, scanBudget });
    out.push(...page.items.map((r) => r.readId));
    cursor = page.cursor;
    if (++pages > 10_000) throw new Error("paging does not end");
  } while (cursor);
  return out;
}

const fromPlate = fc
  .tuple(fc.nat(), fc.array(fc.nat({ max: 9 }), { minLength: 1, maxLength: 8 }))
  .map(([i, ops]) => {
    const chars = plates[i % plates.length]!.split("");
    ops.forEach((op, j) => {
      const at = (op + j) % chars.length;
      if (op < 4) chars[at] = "?";
      else if (op < 6) chars.splice(at, Math.min(2, chars.length - at), "*");
    });
    return chars.join("");
  });
const randomPattern = fc
  .array(fc.constantFrom("A", "B", "1", "2", "?", "*"), { minLength: 1, maxLength: 8 })
  .map((a) => a.join(""));

describe("partial-plate search", () => {
  it("returns exactly what a brute-force scan returns, in order, over any paging", () => {
    fc.assert(
      fc.property(
        fc.oneof(fromPlate, randomPattern).filter((p) => /[A-Z0-9]/.test(p)),
        fc.nat({ max: 1e7 }),
        fc.nat({ max: 1e7 }),
        fc.constantFrom(1, 7, 100, 1000),
        fc.constantFrom(3, 40, 20_000),
        (pattern, a, b, limit, budget) => {
          const fromMs = T0 + Math.min(a, b);
          const toMs = T0 + Math.max(a, b);
          expect(search(pattern, fromMs, toMs, limit, budget)).toEqual(bruteForce(pattern, fromMs, toMs));
        },
      ),
      { numRuns: 300, seed: 77 },
    );
  });

  it("returns the same when plates are spread over many gram epochs and their reads over many runs", () => {
    expect(epochStore.stats().plates).toBe(plates.length);
    expect(epochStore.stats().plateRuns.runs).toBeGreaterThan(3);
    fc.assert(
      fc.property(
        fc.oneof(fromPlate, randomPattern).filter((p) => /[A-Z0-9]/.test(p)),
        fc.nat({ max: 1e7 }),
        fc.nat({ max: 1e7 }),
        fc.constantFrom(1, 7, 100, 1000),
        fc.constantFrom(3, 40, 20_000),
        (pattern, a, b, limit, budget) => {
          const fromMs = T0 + Math.min(a, b);
          const toMs = T0 + Math.max(a, b);
          const got = search(pattern, fromMs, toMs, limit, budget, epochStore).map((id) => epochIds.get(id));
          expect(got).toEqual(bruteForce(pattern, fromMs, toMs));
        },
      ),
      { numRuns: 150, seed: 78 },
    );
  });

  it("treats spaces and lower case as the witness meant them", () => {
    const window = { fromMs: T0, toMs: T0 + 1e7 };
    const plate = plates[0]!;
    const spaced = `${plate.slice(0, 1).toLowerCase()} ${plate.slice(1, -1)}?`;
    expect(search(spaced, window.fromMs, window.toMs, 100, 20_000)).toEqual(
      bruteForce(`${plate.slice(0, -1)}?`, window.fromMs, window.toMs),
    );
  });
});
