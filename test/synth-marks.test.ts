import { describe, expect, it } from "vitest";
import {
  AGE_IDENTIFIERS,
  formatOf,
  groupsOf,
  isValidMark,
  PLATE_FORMATS,
  randomForeignText,
  randomMark,
} from "../src/synth/marks.js";
import { Rng } from "../src/synth/rng.js";
import { EVAL_SEEDS, inRange, seedAt, TRAIN_SEEDS } from "../src/synth/seeds.js";

describe("UK marks", () => {
  it("generates marks of every format that are valid and recognised as that format", () => {
    const rng = new Rng(EVAL_SEEDS.start);
    for (const format of PLATE_FORMATS) {
      for (let i = 0; i < 500; i++) {
        const m = randomMark(rng, format);
        expect(m.text).toMatch(/^[A-Z0-9]{2,8}$/);
        expect(formatOf(m.text), `${m.text} as ${format}`).toBe(format);
      }
    }
  });

  it("follows the letter and age-identifier rules of DOMAIN.md", () => {
    const rng = new Rng(EVAL_SEEDS.start + 1);
    for (let i = 0; i < 2000; i++) {
      const cur = randomMark(rng, "current").text;
      expect(cur.slice(0, 2)).not.toMatch(/[IQZ]/);
      expect(AGE_IDENTIFIERS).toContain(cur.slice(2, 4));
      expect(cur.slice(4)).not.toMatch(/[IQ]/);
      expect(randomMark(rng, "prefix").text[0]).not.toMatch(/[IOQUZ]/);
      expect(randomMark(rng, "suffix").text.at(-1)).not.toMatch(/[IOQUZ]/);
      expect(randomMark(rng, "northern-ireland").text.slice(1, 3)).toMatch(/[IZ]/);
      expect(randomMark(rng, "q").text).toMatch(/^Q[1-9]\d{0,2}[A-Z]{3}$/);
    }
    expect(AGE_IDENTIFIERS[0]).toBe("02");
    expect(AGE_IDENTIFIERS.at(-1)).toBe("75");
    expect(AGE_IDENTIFIERS).toContain("25");
    expect(AGE_IDENTIFIERS).toContain("51");
    expect(AGE_IDENTIFIERS).not.toContain("26");
    expect(AGE_IDENTIFIERS).not.toContain("50");
  });

  it("recognises the DOMAIN.md examples and rejects broken marks", () => {
    expect(formatOf("AB12CDE")).toBe("current");
    expect(formatOf("A123BCD")).toBe("prefix");
    expect(formatOf("ABC123D")).toBe("suffix");
    expect(formatOf("1A")).toBe("dateless");
    expect(formatOf("ABC1")).toBe("dateless");
    expect(formatOf("ABZ1234")).toBe("northern-ireland");
    expect(formatOf("Q123ABC")).toBe("q");
    for (const bad of [
      "AB26CDE",
      "IB12CDE",
      "AB12CDQ",
      "U123ABC",
      "ABC123O",
      "AB12CD",
      "",
      "A0BC",
      "ABCDEFGH",
    ]) {
      expect(isValidMark(bad), bad).toBe(false);
    }
  });

  it("draws mostly current marks, and every format, by the road weights", () => {
    const rng = new Rng(EVAL_SEEDS.start + 2);
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const m = randomMark(rng);
      counts.set(m.format, (counts.get(m.format) ?? 0) + 1);
    }
    expect(counts.get("current") ?? 0).toBeGreaterThan(1800);
    for (const f of PLATE_FORMATS) expect(counts.get(f) ?? 0, f).toBeGreaterThan(30);
  });

  it("splits marks into the groups a plate shows", () => {
    expect(groupsOf("AB12CDE")).toEqual(["AB12", "CDE"]);
    expect(groupsOf("A123BCD")).toEqual(["A123", "BCD"]);
    expect(groupsOf("ABC123D")).toEqual(["ABC", "123D"]);
    expect(groupsOf("ABZ1234")).toEqual(["ABZ", "1234"]);
    expect(groupsOf("1A")).toEqual(["1", "A"]);
    expect(groupsOf("Q12ABC")).toEqual(["Q12", "ABC"]);
  });

  it("makes foreign text of 5-8 A-Z0-9 characters", () => {
    const rng = new Rng(3);
    for (let i = 0; i < 500; i++) expect(randomForeignText(rng)).toMatch(/^[A-Z0-9]{5,8}$/);
  });
});

describe("seeds", () => {
  it("keeps training and evaluation ranges apart", () => {
    expect(TRAIN_SEEDS.end).toBeLessThanOrEqual(EVAL_SEEDS.start);
    expect(inRange(seedAt(TRAIN_SEEDS, 999_999), TRAIN_SEEDS)).toBe(true);
    expect(inRange(seedAt(TRAIN_SEEDS, 999_999), EVAL_SEEDS)).toBe(false);
    expect(() => seedAt(TRAIN_SEEDS, 1_000_000)).toThrow(RangeError);
    expect(seedAt(EVAL_SEEDS, 0)).toBe(1_000_000);
  });

  it("gives the same sequence for a seed and different ones for different seeds", () => {
    const a = Array.from(
      { length: 8 },
      (
        (r) => () =>
          r.u32()
      )(new Rng(42)),
    );
    const b = Array.from(
      { length: 8 },
      (
        (r) => () =>
          r.u32()
      )(new Rng(42)),
    );
    const c = Array.from(
      { length: 8 },
      (
        (r) => () =>
          r.u32()
      )(new Rng(43)),
    );
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
});
