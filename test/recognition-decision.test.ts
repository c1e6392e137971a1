import { describe, expect, it } from "vitest";
import {
  type CharBox,
  mergePasses,
  missingCharacter,
  OCCLUDED_TEMPER,
  onPlateEnds,
  overhangingBoxes,
  temperScores,
  textLineBoxes,
  withoutFragments,
} from "../src/recognition/plate-decision.js";
import { Recogniser } from "../src/recognition/recogniser.js";
import { evalStill } from "./recognition-fixtures.js";

/** Seven characters 20 px high on a line tilted by `slopePx` per box, 14 px pitch gaps of 4 px. */
const line = (slopePx = 0): CharBox[] =>
  Array.from({ length: 7 }, (_, i) => ({
    x: 10 + i * 16,
    y: 10 + i * slopePx,
    w: 12,
    h: 20,
    inkPx: 100,
    inkGrey: 40,
    groundGrey: 200,
  }));

describe("read decision: which boxes are characters", () => {
  it("keeps every box of a clean, tilted line", () => {
    expect(textLineBoxes(line(1.5))).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("leaves out a band box off the line, a short narrow crest and a too-tall edge box", () => {
    const boxes = line(1);
    // the national band: as tall, but sitting 4 px (20%) above the line
    const band: CharBox = { ...boxes[0]!, x: -8, y: boxes[0]!.y - 5 };
    // a coat of arms between the groups: narrow and 15% short
    const crest: CharBox = { ...boxes[2]!, x: boxes[2]!.x + 13, w: 6, h: 17, y: boxes[2]!.y + 2 };
    // the plate's edge after the last character: 30% taller
    const edge: CharBox = { ...boxes[6]!, x: boxes[6]!.x + 16, y: boxes[6]!.y - 3, h: 26 };
    const all = [band, ...boxes.slice(0, 3), crest, ...boxes.slice(3), edge];
    expect(textLineBoxes(all)).toEqual([1, 2, 3, 5, 6, 7, 8]);
  });

  it("keeps boxes a pixel or two off the line on a small plate", () => {
    const small = line().map((b) => ({ ...b, h: 12, w: 7 }));
    small[2] = { ...small[2]!, y: small[2]!.y + 1, h: 11 };
    small[5] = { ...small[5]!, h: 10, w: 3 };
    expect(textLineBoxes(small)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("drops end boxes standing off the plate's ground, not a shadowed end character or an I", () => {
    const boxes = line();
    // the dark mount beyond the plate's end: its "ink" and "ground" are two shades of one dark
    const mount: CharBox = { ...boxes[6]!, x: boxes[6]!.x + 16, inkGrey: 40, groundGrey: 55 };
    expect(onPlateEnds([...boxes, mount], [0, 1, 2, 3, 4, 5, 6, 7], false)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // a shadow over the first character halves ink and ground alike
    const shaded = [{ ...boxes[0]!, inkGrey: 20, groundGrey: 100 }, ...boxes.slice(1)];
    expect(onPlateEnds(shaded, [0, 1, 2, 3, 4, 5, 6], false)).toHaveLength(7);
    // a last I is nearly all ink: too little ground of its own to judge
    const i: CharBox = { ...boxes[6]!, w: 4, inkPx: 78, inkGrey: 60, groundGrey: 70 };
    expect(onPlateEnds([...boxes.slice(0, 6), i], [0, 1, 2, 3, 4, 5, 6], false)).toHaveLength(7);
  });

  it("keeps a narrow full-height 1 and checks the lines of a two-line plate apart", () => {
    const boxes = line();
    boxes[3] = { ...boxes[3]!, w: 5 };
    const second = line().map((b) => ({ ...b, y: b.y + 26 }));
    expect(textLineBoxes([...boxes, ...second])).toHaveLength(14);
  });

  it("finds a character whose ink reaches past the line (a bar over it), not a tilted or a short one", () => {
    const boxes = line(1.5);
    // an H joined to a bar from below, cut to the band: 4 px (20%) under the baseline
    boxes[4] = { ...boxes[4]!, h: 24 };
    // a character a pixel short of the line, and one a pixel over it: box edges, not intruders
    boxes[1] = { ...boxes[1]!, y: boxes[1]!.y + 1, h: 19 };
    boxes[5] = { ...boxes[5]!, y: boxes[5]!.y - 1, h: 21 };
    expect(overhangingBoxes(boxes)).toEqual([4]);
    // from above, on the second line of a two-line plate
    const second = line().map((b) => ({ ...b, y: b.y + 26 }));
    second[2] = { ...second[2]!, y: second[2]!.y - 5, h: 25 };
    expect(overhangingBoxes([...line(), ...second])).toEqual([9]);
    expect(overhangingBoxes(line(-2))).toEqual([]);
  });

  it("tempers a partly hidden character's scores: same order, no longer sure", () => {
    const scores = new Float32Array(72).fill(0.01 / 35);
    scores[22] = 0.99; // W, sure
    scores.fill(1 / 36, 36);
    temperScores(scores, 0, 36, OCCLUDED_TEMPER);
    const first = scores.subarray(0, 36);
    expect(first.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(first.indexOf(Math.max(...first))).toBe(22);
    expect(first[22]).toBeLessThan(0.3);
    expect(first[22]).toBeGreaterThan(0.1);
    // the next box's scores are left alone
    expect(scores[40]).toBeCloseTo(1 / 36, 6);
  });

  it("sees a character lost between two boxes of a reading, not the group gap or a line break", () => {
    // LH53 LTM at 20 px characters: 4 px between characters, 8 px between the groups (UK spacing)
    const mark = line().map((b, i) => ({ ...b, x: b.x + (i >= 4 ? 4 : 0) }));
    expect(missingCharacter(mark, 0, 7)).toBe(false);
    // the 3 lost to glare: 4 + 12 + 8 px between the 5 and the L (1.2 character heights)
    const lost = [...mark.slice(0, 3), ...mark.slice(4)];
    expect(missingCharacter(lost, 0, 6)).toBe(true);
    // a stray first box the reading leaves out may stand further off
    const stray = [{ ...mark[0]!, x: mark[0]!.x - 30 }, ...mark];
    expect(missingCharacter(stray, 0, 8)).toBe(true);
    expect(missingCharacter(stray, 1, 7)).toBe(false);
    // a two-line plate: the second line starts left of the first line's end
    const second = mark.slice(0, 3).map((b) => ({ ...b, y: b.y + 26 }));
    expect(missingCharacter([...mark.slice(0, 4), ...second], 0, 7)).toBe(false);
  });

  it("drops a read that is one part of another read of the frame", () => {
    const reads = [
      { plate: "NU62FET", box: [100, 100, 80, 60] as [number, number, number, number] },
      { plate: "NU62", box: [102, 100, 76, 30] as [number, number, number, number] },
      { plate: "AB12CDE", box: [400, 100, 120, 30] as [number, number, number, number] },
    ];
    expect(withoutFragments(reads)).toEqual([0, 2]);
  });
});

describe("read decision: light-on-dark plates", () => {
  it("reads an inverted frame's plate with --region any (retry on the inverted frame), not with gb", () => {
    const any = Recogniser.create({ region: "any", topCandidates: 3 });
    const gb = Recogniser.create({ region: "gb", topCandidates: 3 });
    // the first EVAL still whose main plate reads exactly as printed, dark on light
    let checked = 0;
    for (let i = 0; i < 20 && checked < 2; i++) {
      const s = evalStill(i);
      const plate = s.plates.find((p) => p.whole && p.charHeightPx >= 16);
      if (!plate || !any.readImage(s.grey, s.width, s.height).some((r) => r.plate === plate.text)) continue;
      const inverted = s.grey.map((v) => 255 - v);
      expect(any.readImage(inverted, s.width, s.height).map((r) => r.plate)).toContain(plate.text);
      expect(gb.readImage(inverted, s.width, s.height).map((r) => r.plate)).not.toContain(plate.text);
      checked++;
    }
    expect(checked).toBe(2);
  });
});

describe("mergePasses: merging a second segmentation pass", () => {
  const r = (plate: string, confidence: number, box: [number, number, number, number]) => ({
    plate,
    confidence,
    box,
  });
  it("keeps per plate box the read of more characters, else the surer, and adds plates only the second pass found", () => {
    const first = [r("Y19DDJ", 0.95, [100, 100, 120, 30]), r("AB12CDE", 0.7, [400, 300, 120, 30])];
    const second = [
      r("WY19DDJ", 0.8, [96, 100, 126, 30]), // found the glared first character
      r("AB12CDF", 0.9, [402, 300, 118, 30]), // same length, surer
      r("KL55MNO", 0.9, [800, 500, 120, 30]), // a plate the first pass missed
    ];
    expect(mergePasses(first, second).map((x) => x.plate)).toEqual(["WY19DDJ", "AB12CDF", "KL55MNO"]);
    // a surer read that lost an end character does not replace the whole read
    expect(mergePasses([r("TS64PDG", 0.7, [0, 0, 100, 25])], [r("S64PDG", 0.95, [10, 0, 90, 25])])).toEqual([
      r("TS64PDG", 0.7, [0, 0, 100, 25]),
    ]);
  });
});
