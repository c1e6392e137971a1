import { describe, expect, it } from "vitest";
import { CHAR_CLASSES } from "../assembly/shared/constants.js";
import { bestPlates } from "../src/recognition/syntax.js";

/**
 * Per-box scores: each box lists the classes it favours with their probability; the rest of the mass is
 * spread evenly over the other classes (as a classifier that is sure of nothing else would).
 */
function scores(boxes: Array<string | Record<string, number>>, sure = 0.96): Float32Array {
  const out = new Float32Array(boxes.length * 36);
  boxes.forEach((box, i) => {
    const favoured = typeof box === "string" ? { [box]: sure } : box;
    let rest = 1;
    for (const [ch, p] of Object.entries(favoured)) {
      out[i * 36 + CHAR_CLASSES.indexOf(ch)] = p;
      rest -= p;
    }
    const others = 36 - Object.keys(favoured).length;
    for (let c = 0; c < 36; c++) if (!(CHAR_CLASSES[c]! in favoured)) out[i * 36 + c] = rest / others;
  });
  return out;
}

const read = (
  boxes: Array<string | Record<string, number>>,
  region: "gb" | "any" = "gb",
  top = 3,
  sure = 0.96,
) => bestPlates(scores(boxes, sure), boxes.length, { region, top });
const plate = (text: string, region: "gb" | "any" = "gb") => read([...text], region)[0]?.plate;

describe("bestPlates: every UK format reads back", () => {
  it.each([
    ["current", "AB12CDE"],
    ["current, September", "YX71ZZA"],
    ["prefix, one digit", "A1BCD"],
    ["prefix, three digits", "M123ABC"],
    ["suffix", "ABC123D"],
    ["suffix, one digit", "KLM1R"],
    ["dateless, digits first", "1A"],
    ["dateless, letters first", "ABC1"],
    ["dateless, four digits", "9999XY"],
    ["Northern Ireland", "ABZ1234"],
    ["Northern Ireland, I county", "KIA12"],
    ["Q plate", "Q123ABC"],
  ])("%s: %s", (_format, mark) => {
    const [best] = read([...mark], "gb", 3, 0.99);
    expect(best?.plate).toBe(mark);
    expect(best!.confidence).toBeGreaterThan(0.8);
    expect(best!.charConfidences).toHaveLength(mark.length);
  });
});

describe("bestPlates: letter rules", () => {
  it("never puts I, Q or Z in a current mark's first two letters", () => {
    expect(read([{ Z: 0.6, X: 0.35 }, ..."B12CDE"])[0]!.plate).toBe("XB12CDE");
  });
  it("never uses I, O, Q, U or Z as a prefix year letter", () => {
    expect(read([{ O: 0.6, D: 0.35 }, ..."123ABC"])[0]!.plate).toBe("D123ABC");
  });
  it("never uses I, O, Q, U or Z as a suffix year letter", () => {
    expect(read([..."ABC123", { U: 0.6, V: 0.35 }])[0]!.plate).toBe("ABC123V");
  });
  it("accepts only real age identifiers (02–25, 51–75 by default)", () => {
    expect(read([..."AB2", { "6": 0.6, "5": 0.35 }, ..."CDE"])[0]!.plate).toBe("AB25CDE");
    expect(read([..."AB", { "5": 0.6, "0": 0.1, "6": 0.25 }, { "0": 0.9 }, ..."CDE"])[0]!.plate).toBe(
      "AB60CDE",
    );
    const later = bestPlates(scores([..."AB2", { "6": 0.6, "5": 0.35 }, ..."CDE"]), 7, {
      region: "gb",
      top: 1,
      maxAgeYear: 26,
    });
    expect(later[0]!.plate).toBe("AB26CDE");
  });
  it("never starts a serial number with 0: a round glyph there is a letter", () => {
    expect(read(["A", { "0": 0.9, O: 0.08 }, ..."12BCD"])[0]!.plate).toBe("AO12BCD");
  });
  it("reads Q only as the first character of a Q plate", () => {
    expect(read([..."AB12C", { Q: 0.7, O: 0.25 }, "E"])[0]!.plate).toBe("AB12COE");
    // nor among a Q mark's letters: a round letter there is O
    expect(read([..."Q12AB", { Q: 0.7, O: 0.25 }])[0]!.plate).toBe("Q12ABO");
  });
});

describe("bestPlates: look-alikes resolve by position", () => {
  it.each([
    ["0 in a letter position is O", [..."AB12C", { "0": 0.8, O: 0.15 }, "E"], "AB12COE"],
    ["O in a digit position is 0", [..."AB", { O: 0.8, "0": 0.15 }, ..."2CDE"], "AB02CDE"],
    ["1 in a Northern Ireland code is I", ["K", { "1": 0.8, I: 0.15 }, ..."A12"], "KIA12"],
    ["5 in a letter position is S", [..."AB12C", { "5": 0.8, S: 0.15 }, "E"], "AB12CSE"],
    ["S in a digit position is 5", [..."AB1", { S: 0.8, "5": 0.15 }, ..."CDE"], "AB15CDE"],
    ["8 in a letter position is B", [{ "8": 0.8, B: 0.15 }, ..."B12CDE"], "BB12CDE"],
    ["B in a digit position is 8", [..."A", { B: 0.7, "8": 0.25 }, ..."BCD"], "A8BCD"],
    ["2 in a letter position is Z", [..."AB12CD", { "2": 0.8, Z: 0.15 }], "AB12CDZ"],
    ["Z in a digit position is 2", [..."AB", { Z: 0.8, "2": 0.15 }, ..."2CDE"], "AB22CDE"],
    ["6 in a letter position is G", [..."AB12", { "6": 0.8, G: 0.15 }, ..."DE"], "AB12GDE"],
    ["G in a digit position is 6", [..."AB1", { G: 0.8, "6": 0.15 }, ..."CDE"], "AB16CDE"],
  ])("%s", (_name, boxes, expected) => {
    const [best] = read(boxes as Array<string | Record<string, number>>);
    expect(best?.plate).toBe(expected);
  });

  it("region any keeps the classifier's own choice where it is sure", () => {
    expect(plate("AB12C0E", "any")).toBe("AB12C0E");
    expect(plate("WOBVWMK4", "any")).toBe("WOBVWMK4");
  });

  it("region gb never reports a string outside the UK formats", () => {
    const [best] = read([..."WOBVWMK4"]);
    expect(best?.plate).not.toBe("WOBVWMK4");
    expect(best!.confidence).toBeLessThan(0.05);
  });
});

describe("bestPlates: stray and confidence", () => {
  it("drops a stray first box (a screw read as a weak I)", () => {
    const [best] = read([{ I: 0.3, "1": 0.25 }, ..."AB12CDE"]);
    expect(best?.plate).toBe("AB12CDE");
    expect(best!.charConfidences).toHaveLength(7);
  });

  it("drops a stray last box", () => {
    expect(read([..."AB12CDE", { L: 0.2, "1": 0.2 }])[0]!.plate).toBe("AB12CDE");
  });

  it("keeps every box when all of them make a valid mark", () => {
    expect(read([..."A123BCD"])[0]!.plate).toBe("A123BCD");
  });

  it("returns top alternatives best first, with confidences that sum to at most 1", () => {
    const out = read([..."AB12CD", { E: 0.5, F: 0.45 }], "gb", 4);
    expect(out.map((r) => r.plate).slice(0, 2)).toEqual(["AB12CDE", "AB12CDF"]);
    expect(out).toHaveLength(4);
    for (let i = 1; i < out.length; i++)
      expect(out[i]!.confidence).toBeLessThanOrEqual(out[i - 1]!.confidence);
    expect(out.reduce((a, r) => a + r.confidence, 0)).toBeLessThanOrEqual(1 + 1e-9);
    // A coin toss between E and F is not a confident read, but every other character is.
    expect(out[0]!.confidence).toBeLessThan(0.6);
    expect(out[0]!.charConfidences[6]).toBeLessThan(0.6);
    expect(out[0]!.charConfidences[0]).toBeGreaterThan(0.9);
  });

  it("is sure of a mark whose every character is sure", () => {
    const [best] = bestPlates(scores([..."AB12CDE"], 0.999), 7, { region: "gb", top: 1 });
    expect(best!.confidence).toBeGreaterThan(0.99);
  });

  it("returns nothing for no boxes or top 0", () => {
    expect(bestPlates(new Float32Array(0), 0, { region: "gb", top: 3 })).toEqual([]);
    expect(bestPlates(scores([..."AB12CDE"]), 7, { region: "gb", top: 0 })).toEqual([]);
  });
});

describe("bestPlates region any: letters and digits come in runs", () => {
  it.each([
    ["a weak 1 after letters is I", [..."RK857A", { "1": 0.6, I: 0.35 }], "RK857AI"],
    ["a weak 0 between letters is O", ["B", { "0": 0.6, O: 0.35 }, ..."Z123"], "BOZ123"],
    ["a weak O among digits is 0", [..."RK3", { O: 0.6, "0": 0.35 }, ..."0AS"], "RK300AS"],
    ["a weak 8 among letters is B", [..."W", { "8": 0.6, B: 0.35 }, ..."Q3021"], "WBQ3021"],
  ])("%s", (_name, boxes, expected) => {
    expect(read(boxes as Array<string | Record<string, number>>, "any")[0]?.plate).toBe(expected);
  });

  it.each([
    ["a weak 0 in a run of one is O", ["N", { "0": 0.6, O: 0.35 }, ..."450AM"], "NO450AM"],
    ["a weak 1 in a run of one is I", ["S", { "1": 0.6, I: 0.35 }, ..."819AK"], "SI819AK"],
    ["a weak 0 that leaves one letter at the end is O", [..."BA302", { "0": 0.6, O: 0.35 }, "Z"], "BA302OZ"],
  ])("%s", (_name, boxes, expected) => {
    expect(read(boxes as Array<string | Record<string, number>>, "any")[0]?.plate).toBe(expected);
  });

  it("a sure run of one stays (Czech 4B2 1875)", () => {
    expect(plate("4B21875", "any")).toBe("4B21875");
  });

  it("without the prior (change prior 0.5, no short-run weights) the classifier's choice stands", () => {
    const boxes = scores([..."RK857A", { "1": 0.6, I: 0.35 }]);
    const options = {
      region: "any",
      top: 1,
      typeChangePrior: 0.5,
      shortRunPrior: 1,
      endShortRunPrior: 1,
    } as const;
    const [best] = bestPlates(boxes, 7, options);
    expect(best?.plate).toBe("RK857A1");
  });

  it("reports alternatives best first with confidences that sum to at most 1", () => {
    const out = read([..."RK857A", { "1": 0.6, I: 0.35 }], "any", 4);
    expect(out.map((r) => r.plate).slice(0, 2)).toEqual(["RK857AI", "RK857A1"]);
    expect(out.reduce((a, r) => a + r.confidence, 0)).toBeLessThanOrEqual(1 + 1e-9);
    for (let i = 1; i < out.length; i++)
      expect(out[i]!.confidence).toBeLessThanOrEqual(out[i - 1]!.confidence);
    expect(out[0]!.charConfidences[6]).toBeLessThan(out[0]!.charConfidences[0]!);
  });
});
