import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isKestrelError } from "../src/errors/index.js";
import { registry } from "../src/metrics/registry.js";
import { openEnvironment, ReadStore } from "../src/store/index.js";
import { makeRead, rng, tempDir, ukPlate } from "./store-fixtures.js";

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const DAY_MS = 86_400_000;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function openTemp(options: Parameters<typeof ReadStore.open>[0] = {}): { store: ReadStore; dir: string } {
  const { dir, cleanup } = tempDir("store");
  const store = ReadStore.open({ dataDir: dir, mapSizeGiB: 1, ...options });
  cleanups.push(cleanup, () => store.close());
  return { store, dir };
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = m?.values.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l));
  return Number(v?.value ?? 0);
}

function expectQueryError(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(isKestrelError(caught, "KESTREL_E_STORE_QUERY")).toBe(true);
}

function allPages<T>(first: (cursor: string | null) => { items: T[]; cursor: string | null }): T[] {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const page = first(cursor);
    out.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return out;
}

describe("ReadStore queries", () => {
  it("returns exactly the reads of a plate, a camera and a window, in order, across pages", async () => {
    const { store } = openTemp();
    const rand = rng(11);
    const plates = Array.from({ length: 20 }, () => ukPlate(rand));
    const input = Array.from({ length: 600 }, (_, i) =>
      makeRead(plates[i % plates.length]!, `cam-${i % 7}`, T0 + Math.floor(rand() * 3_600_000), {
        patch: i % 3 === 0 ? new Uint8Array([i & 255, 1, 2]) : undefined,
      }),
    );
    const refs = await Promise.all(input.map((r) => store.write(r)));
    const stored = input.map((r, i) => ({ ...r, readId: refs[i]!.readId }));
    const byIdDesc = (a: { readId: string }, b: { readId: string }) => (a.readId < b.readId ? 1 : -1);
    const fromMs = T0 + 600_000;
    const toMs = T0 + 2_400_000;
    const inWindow = (r: { captureTimeMs: number }) => r.captureTimeMs >= fromMs && r.captureTimeMs <= toMs;

    const plate = plates[3]!;
    const expectPlate = stored.filter((r) => r.plate === plate && inWindow(r)).sort(byIdDesc);
    const gotPlate = allPages((cursor) => store.byPlate({ plate, fromMs, toMs, limit: 4, cursor }));
    expect(gotPlate.map((r) => r.readId)).toEqual(expectPlate.map((r) => r.readId));
    expect(gotPlate.every((r, i) => r.captureTimeMs === expectPlate[i]!.captureTimeMs)).toBe(true);

    const expectCam = stored.filter((r) => r.cameraId === "cam-2" && inWindow(r)).sort(byIdDesc);
    const gotCam = allPages((cursor) =>
      store.byCamera({ cameraId: "cam-2", fromMs, toMs, limit: 7, cursor }),
    );
    expect(gotCam.map((r) => r.readId)).toEqual(expectCam.map((r) => r.readId));
    const gotCamAsc = allPages((cursor) =>
      store.byCamera({ cameraId: "cam-2", fromMs, toMs, limit: 7, cursor, order: "asc" }),
    );
    expect(gotCamAsc.map((r) => r.readId)).toEqual(expectCam.map((r) => r.readId).reverse());

    const expectTime = stored.filter(inWindow).sort(byIdDesc);
    const gotTime = allPages((cursor) => store.byTime({ fromMs, toMs, limit: 50, cursor }));
    expect(gotTime.map((r) => r.readId)).toEqual(expectTime.map((r) => r.readId));

    // The stored record is the FinalRead without its patch, plus readId, legalHold and hasPatch.
    const sample = stored[3]!;
    const { patch, ...rest } = sample;
    expect(store.get(sample.readId)).toEqual({ ...rest, legalHold: [], hasPatch: true });
    expect(store.image(sample.readId)).toEqual(patch);
    expect(store.image(stored[1]!.readId)).toBeUndefined();
    expect(store.checkConsistency()).toEqual({ reads: 600, problems: [] });
  });

  it("includes reads exactly at the window's bounds and none outside", async () => {
    const { store } = openTemp();
    const times = [T0 - 1, T0, T0 + 1000, T0 + 2000, T0 + 2001];
    for (const t of times) await store.write(makeRead("AB12CDE", "cam-1", t));
    const got = store.byPlate({ plate: "ab12 cde", fromMs: T0, toMs: T0 + 2000 }).items;
    expect(got.map((r) => r.captureTimeMs)).toEqual([T0 + 2000, T0 + 1000, T0]);
  });

  it("refuses invalid queries with KESTREL_E_STORE_QUERY", async () => {
    const { store } = openTemp();
    expectQueryError(() => store.byPlate({ plate: "AB12CDE", fromMs: T0 + 1, toMs: T0 }));
    expectQueryError(() => store.byPlate({ plate: "AB-12", fromMs: T0, toMs: T0 + 1 }));
    expectQueryError(() => store.byCamera({ cameraId: "cam 1", fromMs: T0, toMs: T0 + 1 }));
    expectQueryError(() => store.byTime({ fromMs: T0, toMs: T0 + 1, limit: 0 }));
    expectQueryError(() => store.byPartialPlate({ pattern: "AB#1*", fromMs: T0, toMs: T0 + 1 }));
    expectQueryError(() => store.byPartialPlate({ pattern: "*?*", fromMs: T0, toMs: T0 + 1 }));
    expectQueryError(() => store.byPartialPlate({ pattern: "AB1*", fromMs: T0 + 5, toMs: T0 }));
    expectQueryError(() =>
      store.convoy({ plate: "AB12CDE", fromMs: T0, toMs: T0 + 1, withinSeconds: 0, minOccasions: 1 }),
    );
    for (let i = 0; i < 3; i++) await store.write(makeRead("AB12CDE", "cam-1", T0 + i));
    const page = store.byPlate({ plate: "AB12CDE", fromMs: T0, toMs: T0 + 10, limit: 1 });
    expect(page.cursor).not.toBeNull();
    expectQueryError(() =>
      store.byPlate({ plate: "XY12CDE", fromMs: T0, toMs: T0 + 10, cursor: page.cursor }),
    );
    expectQueryError(() =>
      store.byCamera({ cameraId: "cam-1", fromMs: T0, toMs: T0 + 10, cursor: page.cursor }),
    );
  });

  it("finds convoy candidates: vehicles at the same cameras within N seconds on at least K occasions", async () => {
    const { store } = openTemp();
    const target = "TG11ETT";
    const reads = [];
    for (let k = 0; k < 5; k++) {
      const t = T0 + k * 3_600_000;
      const cam = `cam-${k}`;
      reads.push(makeRead(target, cam, t));
      // Always within 20 s: five occasions.
      reads.push(makeRead("CV01AAA", cam, t + 15_000));
      // Within 20 s on three occasions, 45 s away on the others.
      reads.push(makeRead("CV02BBB", cam, t + (k < 3 ? -20_000 : 45_000)));
      // Same time, different camera: never with the target.
      reads.push(makeRead("CV03CCC", `cam-${k + 10}`, t));
      // Twice at the same pass: still one occasion.
      if (k === 0) reads.push(makeRead("CV04DDD", cam, t + 1000), makeRead("CV04DDD", cam, t + 2000));
    }
    await Promise.all(reads.map((r) => store.write(r)));
    const q = { plate: target, fromMs: T0, toMs: T0 + DAY_MS, withinSeconds: 20 };
    const k3 = store.convoy({ ...q, minOccasions: 3 });
    expect(k3.items.map((c) => [c.plate, c.occasions])).toEqual([
      ["CV01AAA", 5],
      ["CV02BBB", 3],
    ]);
    expect(k3.target.map((r) => r.cameraId)).toEqual(["cam-0", "cam-1", "cam-2", "cam-3", "cam-4"]);
    expect(k3.items[1]!.sightings.map((s) => s.deltaMs)).toEqual([-20_000, -20_000, -20_000]);
    const k1 = allPages((cursor) => store.convoy({ ...q, minOccasions: 1, limit: 1, cursor }));
    expect(k1.map((c) => [c.plate, c.occasions, c.sightings.length])).toEqual([
      ["CV01AAA", 5, 5],
      ["CV02BBB", 3, 3],
      ["CV04DDD", 1, 2],
    ]);
  });
});

describe("ReadStore retention and legal hold", () => {
  it("purges a read one second outside retention, keeps one a second inside, and keeps held reads", async () => {
    const { store } = openTemp({ retentionDays: 730, gramEpochPlates: 2 });
    const nowMs = T0;
    const cutoff = nowMs - 730 * DAY_MS;
    const outside = await store.write(
      makeRead("OL01DDD", "cam-1", cutoff - 1000, { patch: new Uint8Array(8) }),
    );
    const inside = await store.write(
      makeRead("IN01EEE", "cam-1", cutoff + 1000, { patch: new Uint8Array(8) }),
    );
    const held = await store.write(makeRead("HD01FFF", "cam-2", cutoff - 5000));
    // A plate with one read outside and one inside keeps its plate entry.
    const mixedOld = await store.write(makeRead("MX01GGG", "cam-3", cutoff - 2000));
    const mixedNew = await store.write(makeRead("MX01GGG", "cam-3", cutoff + 2000));
    expect((await store.setLegalHold(held.readId, "Op Heron", nowMs))?.legalHold).toEqual([
      { investigation: "Op Heron", sinceMs: nowMs },
    ]);

    const counts = await store.purge({ nowMs, readsPerTxn: 1 });
    expect(counts).toMatchObject({
      cutoffMs: cutoff,
      reads: 2,
      images: 1,
      indexEntries: 4,
      plates: 1,
      held: 1,
    });
    expect(counts.transactions).toBeGreaterThanOrEqual(3);
    expect(store.get(outside.readId)).toBeUndefined();
    expect(store.image(outside.readId)).toBeUndefined();
    expect(store.get(mixedOld.readId)).toBeUndefined();
    expect(store.get(inside.readId)?.plate).toBe("IN01EEE");
    expect(store.image(inside.readId)).toEqual(new Uint8Array(8));
    expect(store.get(held.readId)?.legalHold).toHaveLength(1);
    expect(store.get(mixedNew.readId)?.plate).toBe("MX01GGG");
    const window = { fromMs: 0, toMs: nowMs };
    expect(store.byPlate({ plate: "OL01DDD", ...window }).items).toEqual([]);
    expect(store.byPartialPlate({ pattern: "OL01*", ...window }).items).toEqual([]);
    expect(store.byPartialPlate({ pattern: "MX01*", ...window }).items.map((r) => r.readId)).toEqual([
      mixedNew.readId,
    ]);
    expect(store.checkConsistency().problems).toEqual([]);

    // Clearing the hold lets the next purge take it.
    await store.clearLegalHold(held.readId, "Op Heron");
    const again = await store.purge({ nowMs });
    expect(again).toMatchObject({ reads: 1, held: 0 });
    expect(store.get(held.readId)).toBeUndefined();
    expect(store.stats()).toMatchObject({ reads: 2, images: 1, plates: 2 });
    expect(await metric("kestrel_store_purged_reads_total")).toBeGreaterThanOrEqual(3);
  });

  it("purges while intake runs: acknowledged new reads stay, old ones go, indexes stay consistent", async () => {
    const { store } = openTemp({
      retentionDays: 30,
      batchMaxReads: 200,
      batchMaxDelayMs: 1,
      gramEpochPlates: 7,
    });
    const rand = rng(5);
    const plates = Array.from({ length: 60 }, () => ukPlate(rand));
    const old = await Promise.all(
      Array.from({ length: 1500 }, (_, i) =>
        store.write(makeRead(plates[i % 60]!, `cam-${i % 4}`, T0 - 40 * DAY_MS + i)),
      ),
    );
    const fresh = Array.from({ length: 3000 }, (_, i) =>
      store.write(makeRead(plates[(i * 7) % 60]!, `cam-${i % 4}`, T0 - DAY_MS + i)),
    );
    const counts = await store.purge({ nowMs: T0, readsPerTxn: 100 });
    const freshRefs = await Promise.all(fresh);
    expect(counts.reads).toBe(1500);
    expect(old.filter((r) => store.get(r.readId) !== undefined)).toEqual([]);
    expect(freshRefs.filter((r) => store.get(r.readId) === undefined)).toEqual([]);
    expect(store.checkConsistency()).toEqual({ reads: 3000, problems: [] });
    // Every plate still seen is still found by partial search.
    for (const plate of new Set(freshRefs.map((r) => store.get(r.readId)!.plate))) {
      const pattern = `${plate.slice(0, 2)}?${plate.slice(3)}`;
      const got = store.byPartialPlate({ pattern, fromMs: 0, toMs: T0, limit: 1000 }).items;
      expect(got.some((r) => r.plate === plate)).toBe(true);
    }
  });

  it("keeps the audit log through a purge", async () => {
    const { store } = openTemp({ retentionDays: 1 });
    await store.write(makeRead("AU01AAA", "cam-1", T0 - 10 * DAY_MS));
    await store.audit.append({
      actor: "a1",
      role: "analyst",
      action: "query.plate",
      outcome: "ok",
      timeMs: 1,
    });
    await store.purge({ nowMs: T0 });
    expect(store.stats().reads).toBe(0);
    expect(store.audit.verify()).toMatchObject({ ok: true, entries: 1 });
  });
});

describe("ReadStore intake limits", () => {
  it("bounds its write queue: refuses and counts beyond writeQueueMax, then drains", async () => {
    const { store } = openTemp({ writeQueueMax: 100, batchMaxReads: 1000, batchMaxDelayMs: 60_000 });
    const refusedBefore = await metric("kestrel_store_reads_refused_total", { reason: "backpressure" });
    const accepted: Promise<unknown>[] = [];
    for (let i = 0; i < 100; i++) accepted.push(store.write(makeRead("BP01AAA", "cam-1", T0 + i)));
    for (let i = 0; i < 50; i++) store.final(makeRead("BP01AAA", "cam-1", T0 + 1000 + i));
    expect(store.queueDepth).toBe(100);
    expect(store.accepting).toBe(false);
    await expect(store.write(makeRead("BP01AAA", "cam-1", T0 + 5000))).rejects.toMatchObject({
      code: "KESTREL_E_STORE_BACKPRESSURE",
    });
    expect(await metric("kestrel_store_reads_refused_total", { reason: "backpressure" })).toBe(
      refusedBefore + 51,
    );
    const resumed = store.whenAccepting();
    await store.flush();
    await resumed;
    await Promise.all(accepted);
    expect(store.queueDepth).toBe(0);
    expect(store.accepting).toBe(true);
    expect(store.stats().reads).toBe(100);
  });

  it("stops intake with KESTREL_E_STORE_FULL at the map size limit and loses nothing committed", async () => {
    const { dir, cleanup } = tempDir("store-full");
    cleanups.push(cleanup);
    const limitGiB = 2 / 1024; // 2 MiB
    let store = ReadStore.open({ dataDir: dir, mapSizeGiB: limitGiB, batchMaxReads: 20, batchMaxDelayMs: 1 });
    const acked: string[] = [];
    let fullError: unknown;
    const patch = new Uint8Array(3000).fill(7);
    for (let round = 0; round < 200 && !fullError; round++) {
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          store.write(
            makeRead(`FL${String(round).padStart(3, "0")}AA`, "cam-1", T0 + round * 100 + i, { patch }),
          ),
        ),
      );
      for (const r of results) {
        if (r.status === "fulfilled") acked.push(r.value.readId);
        else fullError = r.reason;
      }
    }
    expect(fullError).toMatchObject({ code: "KESTREL_E_STORE_FULL" });
    expect(store.full).toBe(true);
    expect(store.accepting).toBe(false);
    expect(await metric("kestrel_store_full")).toBe(1);
    await expect(store.write(makeRead("FL999AA", "cam-1", T0))).rejects.toMatchObject({
      code: "KESTREL_E_STORE_FULL",
    });
    expect(acked.length).toBeGreaterThan(100);
    await store.close();

    // Reopened with the same limit it is still full; every acknowledged read is there.
    store = ReadStore.open({ dataDir: dir, mapSizeGiB: limitGiB });
    cleanups.push(() => store.close());
    expect(store.full).toBe(true);
    expect(acked.filter((id) => store.get(id) === undefined)).toEqual([]);
    expect(acked.filter((id) => store.image(id)?.length !== 3000)).toEqual([]);
    expect(store.checkConsistency().problems).toEqual([]);
    // A purge that frees reads lets intake resume.
    await store.purge({ nowMs: T0 + 731 * DAY_MS });
    expect(store.full).toBe(false);
    await expect(store.write(makeRead("FL000AB", "cam-1", T0 + 800 * DAY_MS))).resolves.toMatchObject({
      captureTimeMs: T0 + 800 * DAY_MS,
    });
  });

  it("stops intake when the disk has less free space than the reserve, keeping what was committed", async () => {
    const { dir, cleanup } = tempDir("store-disk");
    cleanups.push(cleanup);
    const first = ReadStore.open({ dataDir: dir, mapSizeGiB: 1 });
    const kept = await first.write(makeRead("DK01AAA", "cam-1", T0));
    await first.close();
    // No disk has this much free space: the reserve check trips on the next batch.
    const store = ReadStore.open({ dataDir: dir, mapSizeGiB: 1, diskReserveBytes: Number.MAX_SAFE_INTEGER });
    cleanups.push(() => store.close());
    await expect(store.write(makeRead("DK02BBB", "cam-1", T0 + 1))).rejects.toMatchObject({
      code: "KESTREL_E_STORE_FULL",
      message: expect.stringContaining("disk nearly full"),
    });
    expect(store.full).toBe(true);
    expect(store.accepting).toBe(false);
    expect(store.get(kept.readId)?.plate).toBe("DK01AAA");
    expect(store.byPlate({ plate: "DK02BBB", fromMs: T0, toMs: T0 + 1 }).items).toEqual([]);
  });

  it("keeps its files inside a data directory whose name has a dot", async () => {
    const { dir, cleanup } = tempDir("dotted");
    cleanups.push(cleanup);
    const dataDir = join(dir, "kestrel.d");
    const store = ReadStore.open({ dataDir, mapSizeGiB: 1 });
    await store.write(makeRead("DT01AAA", "cam-1", T0));
    await store.close();
    expect(readdirSync(dataDir).sort()).toEqual(["data.mdb", "lock.mdb"]);
  });

  it("gives back every field of a read as written, in the binary layout and the fallback for odd fields", async () => {
    const { store } = openTemp();
    const plain = makeRead("RC01AAA", "cam-1", T0 + 0.5);
    plain.charConfidences = [0.1 + 0.2, 1 / 3, 0, 1, 0.5, 0.25, 0.125];
    plain.passId = "pass-ünïcode-✓";
    plain.direction = "away";
    plain.firstFrame = 2 ** 40 + 1;
    // A candidate with a field the binary layout has no room for: kept whole through the JSON fallback.
    const odd = makeRead("RC02BBB", "cam-2", T0 + 1);
    (odd.candidates[0] as unknown as Record<string, unknown>).source = "ocr2";
    const refs = [await store.write(plain), await store.write(odd)];
    for (const [i, read] of [plain, odd].entries()) {
      const { patch: _patch, ...rest } = read;
      expect(store.get(refs[i]!.readId)).toEqual({
        ...rest,
        readId: refs[i]!.readId,
        legalHold: [],
        hasPatch: false,
      });
    }
    await store.setLegalHold(refs[1]!.readId, "Op Wren", T0);
    expect(store.get(refs[1]!.readId)?.legalHold).toEqual([{ investigation: "Op Wren", sinceMs: T0 }]);
    expect(store.get(refs[1]!.readId)?.candidates[0]).toEqual({
      plate: "RC02BBB",
      confidence: 0.91,
      source: "ocr2",
    });
  });

  it("leaves nothing of a batch that fails part-way inside its transaction, sealing a gram epoch included", async () => {
    // The writer on this thread, so the test can reach into it; gram epochs of 4 plates, so the next batch
    // seals the first epoch (UN01AAA and three of its own plates) when its fourth new plate comes.
    const { store } = openTemp({
      batchMaxReads: 50,
      batchMaxDelayMs: 5,
      intakeThread: "inline",
      gramEpochPlates: 4,
    });
    const kept = await store.write(makeRead("UN01AAA", "cam-1", T0));
    // The 3rd posting list put of the seal throws: by then the batch's records, index entries and first
    // three plates are in, and the seal has appended two posting lists.
    const grams = (
      store as unknown as {
        intake: { writer: { dbs: { grams: { putSync: (...a: unknown[]) => boolean } } } };
      }
    ).intake.writer.dbs.grams;
    const putSync = grams.putSync;
    let calls = 0;
    grams.putSync = function (this: unknown, ...a: unknown[]) {
      if (++calls === 3) throw new Error("injected failure");
      return putSync.apply(this, a);
    };
    const failed = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => store.write(makeRead(`UN${10 + i}BBB`, "cam-2", T0 + 1 + i))),
    );
    grams.putSync = putSync;
    expect(calls).toBe(3);
    expect(failed.map((r) => r.status)).toEqual(Array(10).fill("rejected"));
    expect(store.stats()).toMatchObject({ reads: 1, plates: 1 });
    expect(store.byCamera({ cameraId: "cam-2", fromMs: T0, toMs: T0 + 100 }).items).toEqual([]);
    expect(store.byPartialPlate({ pattern: "UN1*", fromMs: T0, toMs: T0 + 100 }).items).toEqual([]);
    expect(store.checkConsistency()).toEqual({ reads: 1, problems: [] });
    // The same reads again are written whole, the seal with them.
    const again = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.write(makeRead(`UN${10 + i}BBB`, "cam-2", T0 + 1 + i))),
    );
    expect(
      store.byPartialPlate({ pattern: "UN1*", fromMs: T0, toMs: T0 + 100 }).items.map((r) => r.readId),
    ).toEqual(again.map((r) => r.readId));
    expect(
      store.byPartialPlate({ pattern: "*01A*", fromMs: T0, toMs: T0 + 100 }).items.map((r) => r.readId),
    ).toEqual([kept.readId]);
    expect(store.checkConsistency()).toEqual({ reads: 11, problems: [] });
  });

  it("refuses a data directory holding records of the earlier msgpack format instead of misreading them", async () => {
    const { dir, cleanup } = tempDir("store-format");
    cleanups.push(cleanup);
    const env = openEnvironment({ dataDir: dir, mapSizeGiB: 1 });
    await env.openDB({ name: "reads", keyEncoding: "binary", encoding: "msgpack" }).put(Buffer.alloc(12, 1), {
      plate: "OLD0001",
    });
    await env.close();
    expect(() => ReadStore.open({ dataDir: dir, mapSizeGiB: 1 })).toThrow(
      expect.objectContaining({ code: "KESTREL_E_STORE_FORMAT" }),
    );
  });

  it("refuses reads without a valid plate, camera or time, and refuses after close", async () => {
    const { store } = openTemp();
    await expect(store.write(makeRead("", "cam-1", T0))).rejects.toMatchObject({
      code: "KESTREL_E_INPUT_INVALID",
    });
    await expect(store.write(makeRead("AB12CDE", "cam 1", T0))).rejects.toMatchObject({
      code: "KESTREL_E_INPUT_INVALID",
    });
    await expect(store.write(makeRead("AB12CDE", "cam-1", Number.NaN))).rejects.toMatchObject({
      code: "KESTREL_E_INPUT_INVALID",
    });
    const ok = await store.write(makeRead("ab12 cde", "cam-1", T0));
    expect(store.get(ok.readId)?.plate).toBe("AB12CDE");
    await store.close();
    await expect(store.write(makeRead("AB12CDE", "cam-1", T0))).rejects.toMatchObject({
      code: "KESTREL_E_STORE_CLOSED",
    });
  });
});
