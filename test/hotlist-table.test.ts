import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { packPlate, packPlateInto, unpackBigKey } from "../src/hotlist/plate-key.js";
import { BATCH_KEYS, HotlistTable } from "../src/hotlist/table.js";
import { kernelPath } from "../src/wasm/module.js";

// These tests load build/hotlist.wasm (and the scalar build), the modules that ship.

const CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const plateArb = fc
  .array(fc.constantFrom(...CHARS), { minLength: 1, maxLength: 10 })
  .map((chars) => chars.join(""));

describe("plate keys", () => {
  it("round-trip every plate of 1-10 characters from 0-9 and A-Z", () => {
    fc.assert(fc.property(plateArb, (p) => unpackBigKey(packPlate(p)) === p));
  });

  it("refuse plates a key cannot hold", () => {
    const out = new Uint32Array(2);
    for (const bad of ["", "ABCDEFGHIJK", "ab12cde", "AB 12", "AB-1", "ÄB1"]) {
      expect(packPlateInto(bad, out, 0)).toBe(false);
      expect([out[0], out[1]]).toEqual([0, 0]);
    }
  });
});

describe("wasm hot-list table", () => {
  for (const simd of [true, false]) {
    it(`${simd ? "SIMD" : "scalar"} build: never misses a listed plate, never confirms an unlisted one`, () => {
      expect(kernelPath("hotlist", simd)).toMatch(simd ? /hotlist\.wasm$/ : /hotlist\.scalar\.wasm$/);
      fc.assert(
        fc.property(
          fc.uniqueArray(plateArb, { minLength: 1, maxLength: 400 }),
          fc.array(plateArb, { maxLength: 400 }),
          (listed, probes) => {
            const table = new HotlistTable({ capacity: listed.length, lookalike: false, simd });
            expect(table.insertPlates(listed)).toBe(listed.length);
            expect(table.count).toBe(listed.length);
            const set = new Set(listed);
            for (const p of listed) expect(table.has(p)).toBe(true);
            for (const p of probes) expect(table.has(p)).toBe(set.has(p));
          },
        ),
        { numRuns: 60 },
      );
    });
  }

  it("keeps every other plate after removals (backward-shift deletion) and forgets the removed", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(plateArb, { minLength: 2, maxLength: 300 }),
        fc.integer({ min: 1, max: 100 }),
        (listed, percent) => {
          const table = new HotlistTable({ capacity: listed.length, lookalike: false });
          table.insertPlates(listed);
          const cut = Math.max(1, Math.floor((listed.length * percent) / 100));
          const removed = listed.slice(0, cut);
          expect(table.removePlates(removed)).toBe(removed.length);
          expect(table.removePlates(removed)).toBe(0);
          for (const p of removed) expect(table.has(p)).toBe(false);
          for (const p of listed.slice(cut)) expect(table.has(p)).toBe(true);
          expect(table.count).toBe(listed.length - cut);
          expect(table.stale).toBe(cut);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("confirms none of the bloom filter's false positives (batch API)", () => {
    const listed = fc.sample(fc.uniqueArray(plateArb, { minLength: 5000, maxLength: 5000 }), {
      numRuns: 1,
      seed: 11,
    })[0]!;
    const set = new Set(listed);
    const table = new HotlistTable({ capacity: listed.length, lookalike: false });
    table.insertPlates(listed);
    const probes = fc
      .sample(plateArb, { numRuns: 120_000, seed: 12 })
      .filter((p) => !set.has(p))
      .slice(0, 100_000);
    let bloomPositives = 0;
    let confirmed = 0;
    for (let at = 0; at < probes.length; at += BATCH_KEYS) {
      const m = Math.min(BATCH_KEYS, probes.length - at);
      for (let i = 0; i < m; i++) packPlateInto(probes[at + i]!, table.keys, i);
      bloomPositives += table.bloomContainsStaged(m);
      confirmed += table.containsStaged(m);
    }
    // The filter does let some absent plates through (so this test exercises the exact set) ...
    expect(bloomPositives).toBeGreaterThan(0);
    // ... and the exact set confirms none of them.
    expect(confirmed).toBe(0);
  });

  it("refuses inserts beyond 15/16 of its slots with KESTREL_E_HOTLIST_FULL", () => {
    const table = new HotlistTable({ capacity: 16, lookalike: false });
    const plates = Array.from({ length: 40 }, (_, i) => `P${i}`);
    expect(() => table.insertPlates(plates)).toThrow(/capacity exceeded/);
    for (const p of plates.slice(0, table.count)) expect(table.has(p)).toBe(true);
  });
});

describe("look-alike matching in the table", () => {
  const table = new HotlistTable({ capacity: 100, lookalike: true });
  table.insertPlates(["AB12CDE", "XY51ZZZ", "G6ABC"]);

  it("normalises 8/B, 0/O/D/Q, 1/I, 5/S, 2/Z, 6/G to one class each", () => {
    expect(unpackBigKey(table.normaliseKey(packPlate("80DQ1I5S2Z")))).toBe("BOOOIISSZZ");
    expect(unpackBigKey(table.normaliseKey(packPlate("6G")))).toBe("GG");
    expect(unpackBigKey(table.normaliseKey(packPlate("AB12CDE")))).toBe("ABIZCOE");
  });

  it("finds one substitution with a limit of 1, two only with a limit of 2, never three", () => {
    const one = table.check(["A812CDE"], 1);
    expect(one).toEqual([{ index: 0, plate: "AB12CDE", substitutions: 1 }]);
    expect(table.check(["A8I2CDE"], 1)).toEqual([]);
    expect(table.check(["A8I2CDE"], 2)).toEqual([{ index: 0, plate: "AB12CDE", substitutions: 2 }]);
    expect(table.check(["A8I2C0E"], 2)).toEqual([]);
    expect(table.check(["XY5IZZZ", "XY51222"], 2)).toEqual([
      { index: 0, plate: "XY51ZZZ", substitutions: 1 },
    ]);
  });

  it("substitutes only within look-alike classes, and not at all when off", () => {
    expect(table.check(["AB12CDF"], 2)).toEqual([]); // F is nobody's look-alike of E
    expect(table.check(["A812CDE"], 0)).toEqual([]);
    expect(table.check(["GGABC"], 1)).toEqual([{ index: 0, plate: "G6ABC", substitutions: 1 }]);
    const noFilter = new HotlistTable({ capacity: 100, lookalike: false });
    noFilter.insertPlates(["AB12CDE"]);
    expect(noFilter.check(["A812CDE"], 2)).toEqual([]);
  });

  it("reports exact hits of later inputs (candidates) with their index", () => {
    expect(table.check(["ZZ99ZZZ", "AB12CDE"], 0)).toEqual([
      { index: 1, plate: "AB12CDE", substitutions: 0 },
    ]);
  });
});
