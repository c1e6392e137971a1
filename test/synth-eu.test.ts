import { describe, expect, it } from "vitest";
import { EU_FORMATS, randomEuMark } from "../src/synth/eu-marks.js";
import { randomEuPlateStyle, renderEuPlate } from "../src/synth/eu-plate.js";
import { Rng } from "../src/synth/rng.js";
import { EVAL_SEEDS, seedAt } from "../src/synth/seeds.js";
import { generateStill } from "../src/synth/still.js";

/** The pattern a mark was drawn from, as a regular expression over its text (separators removed). */
const CLASS: Record<string, string> = { L: "[A-Z]", N: "[0-9]", A: "[A-Z0-9]" };
const patternRe = (pattern: string) =>
  new RegExp(`^${[...pattern.replace(/[| ]/g, "")].map((c) => CLASS[c]).join("")}$`);

describe("synthetic European plates", () => {
  it("draws marks of the listed group shapes, groups and text agreeing", () => {
    const rng = new Rng(7, 1);
    for (let i = 0; i < 200; i++) {
      const m = randomEuMark(rng);
      expect(EU_FORMATS).toContain(m.format);
      expect(m.text).toMatch(patternRe(m.format.pattern));
      expect(m.groups.join("").replace(/ /g, "")).toBe(m.text);
    }
  });

  it("lays every character inside the plate, left to right, one box per character", () => {
    const rng = new Rng(11, 1);
    for (let i = 0; i < 40; i++) {
      const m = randomEuMark(rng);
      const style = randomEuPlateStyle(rng, m);
      const r = renderEuPlate(m, style, 0.5, rng);
      expect(r.chars.map((c) => c.char).join("")).toBe(m.text);
      for (let k = 0; k < r.chars.length; k++) {
        const [x, y, w, h] = r.chars[k]!.box;
        expect(x).toBeGreaterThanOrEqual(0);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(x + w).toBeLessThanOrEqual(r.canvas.width + 0.5);
        expect(y + h).toBeLessThanOrEqual(r.canvas.height + 0.5);
        if (k > 0) expect(x).toBeGreaterThan(r.chars[k - 1]!.box[0]);
      }
    }
  });

  it("makes day stills of EU plates with truth, the same bytes for the same seed", () => {
    const seed = seedAt(EVAL_SEEDS, 123);
    const a = generateStill(seed, { widthPx: 400, heightPx: 300, night: false, region: "eu" });
    const b = generateStill(seed, { widthPx: 400, heightPx: 300, night: false, region: "eu" });
    expect(Buffer.from(a.grey).equals(Buffer.from(b.grey))).toBe(true);
    expect(a.plates.length).toBeGreaterThan(0);
    for (const p of a.plates) {
      expect(p.format).toBe("eu");
      expect(p.chars).toHaveLength(p.text.length);
    }
  });
});
