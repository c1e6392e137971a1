import { afterEach, describe, expect, it } from "vitest";
import { openEnvironment, ReadStore, type StoredRef } from "../src/store/index.js";
import { makeRead, rng, tempDir, ukPlate } from "./store-fixtures.js";

/**
 * The plate index as runs (docs/store.md, "Plate index"): tiny runs here, so that a few hundred reads make
 * sealed runs, merges of several levels and merges under way, and every query must see each read exactly
 * once wherever its entry is at the time.
 */
const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const DAY_MS = 86_400_000;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function openTemp(options: Parameters<typeof ReadStore.open>[0] = {}): ReadStore {
  const { dir, cleanup } = tempDir("store-runs");
  const store = ReadStore.open({
    dataDir: dir,
    mapSizeGiB: 1,
    batchMaxReads: 50,
    batchMaxDelayMs: 2,
    ...options,
  });
  cleanups.push(cleanup, () => store.close());
  return store;
}

interface Written {
  plate: string;
  cameraId: string;
  ref: StoredRef;
}

/** Every read of `plate` in the window, newest first, collected over pages of `limit`. */
function plateReads(store: ReadStore, plate: string, fromMs: number, toMs: number, limit: number): string[] {
  const out: string[] = [];
  let cursor: string | null = null;
  do {
    const page = store.byPlate({ plate, fromMs, toMs, limit, cursor });
    out.push(...page.items.map((r) => r.readId));
    cursor = page.cursor;
  } while (cursor);
  return out;
}

function expected(written: Written[], plate: string, fromMs: number, toMs: number): string[] {
  return written
    .filter((w) => w.plate === plate && w.ref.captureTimeMs >= fromMs && w.ref.captureTimeMs <= toMs)
    .map((w) => w.ref.readId)
    .sort()
    .reverse();
}

describe("plate index runs", () => {
  it("answers plate, wildcard and convoy queries exactly at every step of merges, with intake in between", async () => {
    const store = openTemp({
      plateRuns: { hotEntries: 40, fanIn: 3, mergeStepEntries: 60 },
      backgroundMerge: false,
    });
    const rand = rng(11);
    const plates = Array.from({ length: 40 }, () => ukPlate(rand));
    const written: Written[] = [];
    // Capture times out of arrival order (late reads), so runs' spans overlap.
    const writeSome = async (n: number) => {
      const reads = Array.from({ length: n }, () => {
        const plate = plates[Math.floor(rand() * plates.length)]!;
        return makeRead(plate, `cam-${Math.floor(rand() * 4)}`, T0 + Math.floor(rand() * 10 * DAY_MS));
      });
      const refs = await Promise.all(reads.map((r) => store.write(r)));
      reads.forEach((r, i) => {
        written.push({ plate: r.plate, cameraId: r.cameraId, ref: refs[i]! });
      });
    };
    await writeSome(600);
    let steps = 0;
    let sawMerge = false;
    for (;;) {
      const summary = store.stats().plateRuns;
      if (summary.merges > 0) sawMerge = true;
      for (const plate of plates.slice(0, 6)) {
        expect(plateReads(store, plate, T0, T0 + 10 * DAY_MS, 3)).toEqual(
          expected(written, plate, T0, T0 + 10 * DAY_MS),
        );
        expect(plateReads(store, plate, T0 + 2 * DAY_MS, T0 + 5 * DAY_MS, 100)).toEqual(
          expected(written, plate, T0 + 2 * DAY_MS, T0 + 5 * DAY_MS),
        );
      }
      const pattern = `${plates[0]!.slice(0, 2)}*`;
      const wild = store.byPartialPlate({ pattern, fromMs: T0, toMs: T0 + 10 * DAY_MS, limit: 1000 });
      expect(wild.items.map((r) => r.readId).sort()).toEqual(
        written
          .filter((w) => w.plate.startsWith(pattern.slice(0, 2)))
          .map((w) => w.ref.readId)
          .sort(),
      );
      const convoy = store.convoy({
        plate: plates[1]!,
        fromMs: T0,
        toMs: T0 + 10 * DAY_MS,
        withinSeconds: 3600,
        minOccasions: 1,
      });
      expect(convoy.target.map((t) => t.readId)).toEqual(
        expected(written, plates[1]!, T0, T0 + 10 * DAY_MS).reverse(),
      );
      expect(store.checkConsistency().problems).toEqual([]);
      if ((await store.compact(1)) === 0) break;
      steps++;
      // Intake between merge steps: the hot run fills and seals while merges are under way.
      if (steps % 7 === 0) await writeSome(30);
    }
    expect(sawMerge).toBe(true);
    expect(steps).toBeGreaterThan(10);
    const summary = store.stats().plateRuns;
    expect(summary.maxLevel).toBeGreaterThanOrEqual(2);
    expect(summary.merges).toBe(0);
    // Fewer runs than fanIn at every level but the top, plus the hot run.
    expect(summary.runs).toBeLessThanOrEqual(2 * (summary.maxLevel + 1) + 1);
    expect(store.checkConsistency()).toEqual({ reads: written.length, problems: [] });
  });

  it("purges and keeps held reads in every run, unlists emptied runs, and merges around the holes", async () => {
    const store = openTemp({
      retentionDays: 30,
      plateRuns: { hotEntries: 30, fanIn: 3, mergeStepEntries: 20 },
    });
    const rand = rng(5);
    const plates = Array.from({ length: 25 }, () => ukPlate(rand));
    const nowMs = T0 + 100 * DAY_MS;
    const cutoffMs = nowMs - 30 * DAY_MS;
    // Old reads first (they end up in merged runs), then new ones (hot and sealed runs), all interleaved
    // by plate; plus reads one second either side of the cut-off.
    const old = await Promise.all(
      Array.from({ length: 700 }, (_, i) =>
        store.write(makeRead(plates[i % plates.length]!, "cam-1", T0 + i * 60_000)),
      ),
    );
    await store.compact();
    const fresh = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        store.write(makeRead(plates[(i * 7) % 20]!, "cam-2", cutoffMs + DAY_MS + i * 1000)),
      ),
    );
    const outside = await store.write(makeRead("ZZ99OUT", "cam-3", cutoffMs - 1000));
    const inside = await store.write(makeRead("ZZ99INS", "cam-3", cutoffMs + 1000));
    expect(store.stats().plateRuns.maxLevel).toBeGreaterThanOrEqual(2);
    const held = [old[3]!, old[250]!, old[699]!];
    for (const h of held) await store.setLegalHold(h.readId, "Op Heron", T0);

    const runsBefore = store.stats().plateRuns.runs;
    const counts = await store.purge({ nowMs, readsPerTxn: 37 });
    // Runs that held only purged reads are unlisted; those with a held read stay.
    expect(store.stats().plateRuns.runs).toBeLessThan(runsBefore);
    expect(counts.reads).toBe(old.length - held.length + 1);
    expect(counts.held).toBe(held.length);
    expect(store.get(outside.readId)).toBeUndefined();
    expect(store.get(inside.readId)).toBeDefined();
    // The held reads are still found by plate; plates 20..24 had only old reads: all but held ones' gone.
    for (const h of held) {
      const plate = store.get(h.readId)!.plate;
      expect(plateReads(store, plate, T0, nowMs, 10)).toContain(h.readId);
    }
    const heldPlates = new Set(held.map((h) => store.get(h.readId)!.plate));
    for (const plate of plates.slice(20)) {
      const left = plateReads(store, plate, 0, nowMs, 10);
      expect(left.length > 0).toBe(heldPlates.has(plate));
    }
    expect(store.byPlate({ plate: "ZZ99OUT", fromMs: 0, toMs: nowMs }).items).toEqual([]);
    const freshIds = new Set(fresh.map((f) => f.readId));
    for (const plate of plates.slice(0, 20)) {
      const left = plateReads(store, plate, cutoffMs, nowMs, 4);
      expect(left.every((id) => freshIds.has(id))).toBe(true);
    }
    expect(store.checkConsistency()).toEqual({ reads: fresh.length + 1 + held.length, problems: [] });
    // More intake and merges over the purged runs stay consistent.
    await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        store.write(makeRead(plates[i % 25]!, "cam-4", nowMs - i * 1000)),
      ),
    );
    await store.compact();
    expect(store.checkConsistency()).toEqual({ reads: fresh.length + 1 + held.length + 120, problems: [] });
    for (const h of held) await store.clearLegalHold(h.readId, "Op Heron");
    await store.purge({ nowMs });
    expect(store.checkConsistency()).toEqual({ reads: fresh.length + 1 + 120, problems: [] });
  });

  it("undoes a merge step that fails part-way, and the merge completes on the next try", async () => {
    const store = openTemp({
      plateRuns: { hotEntries: 40, fanIn: 3, mergeStepEntries: 50 },
      backgroundMerge: false,
      intakeThread: "inline",
    });
    const rand = rng(3);
    const plates = Array.from({ length: 30 }, () => ukPlate(rand));
    const refs = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        store.write(makeRead(plates[i % plates.length]!, "cam-1", T0 + Math.floor(rand() * DAY_MS))),
      ),
    );
    const before = store.stats().plateRuns;
    // The 30th put of the next merge step throws: by then it has moved 29 entries.
    const db = (
      store as unknown as {
        intake: { writer: { plateIndex: { db: { putSync: (...a: unknown[]) => boolean } } } };
      }
    ).intake.writer.plateIndex.db;
    const putSync = db.putSync;
    let calls = 0;
    db.putSync = function (this: unknown, ...a: unknown[]) {
      if (++calls === 30) throw new Error("injected failure");
      return putSync.apply(this, a);
    };
    await expect(store.compact(1)).rejects.toThrow("injected failure");
    db.putSync = putSync;
    expect(store.stats().plateRuns).toEqual(before);
    expect(store.checkConsistency()).toEqual({ reads: refs.length, problems: [] });
    await store.compact();
    expect(store.stats().plateRuns.maxLevel).toBeGreaterThanOrEqual(1);
    expect(store.checkConsistency()).toEqual({ reads: refs.length, problems: [] });
    for (const plate of plates.slice(0, 5)) {
      expect(plateReads(store, plate, T0, T0 + DAY_MS, 1000).length).toBe(10);
    }
  });

  it("refuses a kestrel-store-2 data directory, naming its format", async () => {
    const { dir, cleanup } = tempDir("store-v2");
    cleanups.push(cleanup);
    const env = openEnvironment({ dataDir: dir, mapSizeGiB: 1 });
    const binary = { keyEncoding: "binary", encoding: "binary" } as const;
    await env
      .openDB({ name: "store-meta", ...binary })
      .put(Buffer.from("format"), Buffer.from("kestrel-store-2"));
    await env.openDB({ name: "reads", ...binary }).put(Buffer.alloc(12, 1), Buffer.from([1]));
    await env.close();
    expect(() => ReadStore.open({ dataDir: dir, mapSizeGiB: 1 })).toThrow(
      expect.objectContaining({
        code: "KESTREL_E_STORE_FORMAT",
        message: expect.stringContaining("kestrel-store-2"),
      }),
    );
  });
});
