import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Box, FinalRead, FrameRead, ProvisionalRead } from "../src/domain/read.js";
import { encodeGreyPng } from "../src/image/png.js";
import { ffmpegPath } from "../src/ingest/ffmpeg-path.js";
import { Tracker } from "../src/tracking/tracker.js";

const read = (
  plate: string,
  confidence: number,
  box: Box,
  alt: { plate: string; confidence: number }[] = [],
): FrameRead => ({
  plate,
  confidence,
  charConfidences: [...plate].map(() => confidence),
  box,
  candidates: [{ plate, confidence }, ...alt],
  patch: { widthPx: 120, heightPx: 60, pixels: new Uint8Array(120 * 60).fill(Math.round(confidence * 200)) },
});

const options = {
  cameraId: "cam-1",
  provisionalConfidence: 0.8,
  minConfidence: 0.6,
  engineVersion: "test",
};

/** A plate approaching: box grows and moves down each frame. */
const approach = (i: number, x0 = 400): Box => [x0 - i * 2, 200 + i * 6, 100 + i * 4, 22 + i];

describe("tracker", () => {
  it("turns one vehicle's frames into one final read, voting out a misread frame", () => {
    const t = new Tracker(options);
    const out: (ProvisionalRead | FinalRead)[] = [];
    for (let i = 0; i < 10; i++) {
      const r = i === 4 ? read("AB12CDF", 0.7, approach(i)) : read("AB12CDE", 0.95, approach(i));
      out.push(...t.push(i, 1000 + i * 40, [r]));
    }
    for (let i = 10; i < 30; i++) out.push(...t.push(i, 1000 + i * 40, []));
    const finals = out.filter((o) => o.kind === "final") as FinalRead[];
    const provisionals = out.filter((o) => o.kind === "provisional") as ProvisionalRead[];
    expect(finals).toHaveLength(1);
    expect(provisionals).toHaveLength(1);
    const f = finals[0]!;
    expect(f.plate).toBe("AB12CDE");
    expect(f.confidence).toBeGreaterThan(0.8);
    expect(f.firstFrame).toBe(0);
    expect(f.lastFrame).toBe(9);
    expect(f.framesRead).toBe(10);
    expect(f.direction).toBe("towards");
    expect(f.passId).toBe(provisionals[0]!.passId);
    expect(provisionals[0]!.plate).toBe("AB12CDE");
    // the third frame that reads the plate exactly raises the alert
    expect(provisionals[0]!.frameIndex).toBe(2);
    expect(f.candidates[0]!.plate).toBe("AB12CDE");
    expect(f.candidates.map((c) => c.plate)).toContain("AB12CDF");
    expect(t.flush()).toEqual([]);
  });

  it("keeps two vehicles in view at once apart and ends each once", () => {
    const t = new Tracker(options);
    const finals: FinalRead[] = [];
    for (let i = 0; i < 8; i++) {
      const reads = [read("AB12CDE", 0.9, approach(i, 200)), read("XY65ZZT", 0.9, approach(i, 900))];
      for (const o of t.push(i, i * 40, reads)) if (o.kind === "final") finals.push(o);
    }
    finals.push(...t.flush());
    expect(finals.map((f) => f.plate).sort()).toEqual(["AB12CDE", "XY65ZZT"]);
    expect(new Set(finals.map((f) => f.passId)).size).toBe(2);
  });

  it("drops a single-frame read and a weak track, and reports a shrinking plate as going away", () => {
    const t = new Tracker(options);
    t.push(0, 0, [read("AB12CDE", 0.99, [100, 100, 100, 22])]);
    const lone = t.flush();
    expect(lone).toEqual([]);
    const weak = new Tracker(options);
    for (let i = 0; i < 6; i++) weak.push(i, i * 40, [read(i % 2 ? "AB12CDE" : "AB12CDF", 0.3, approach(i))]);
    expect(weak.flush()).toEqual([]);
    const away = new Tracker(options);
    for (let i = 0; i < 8; i++) away.push(i, i * 40, [read("AB12CDE", 0.9, approach(8 - i))]);
    const [f] = away.flush();
    expect(f?.direction).toBe("away");
  });

  it("reports no pass from unsure reads that happen to agree (a grille), nor from text seen on two frames", () => {
    const t = new Tracker(options);
    t.push(0, 0, [read("FAS1", 0.53, [400, 140, 106, 63])]);
    t.push(1, 40, [read("FAS1", 0.2, [410, 130, 98, 56])]);
    t.push(2, 80, [read("FAS1", 0.2, [415, 125, 94, 52])]);
    expect(t.flush()).toEqual([]);
    const glimpse = new Tracker(options);
    glimpse.push(0, 0, [read("FAS1", 0.95, [400, 140, 106, 63])]);
    glimpse.push(1, 40, [read("FAS1", 0.9, [410, 130, 98, 56])]);
    expect(glimpse.flush()).toEqual([]);
    const sure = new Tracker(options);
    sure.push(0, 0, [read("FAS1", 0.95, [400, 140, 106, 63])]);
    sure.push(1, 40, [read("FAS1", 0.9, [410, 130, 98, 56])]);
    sure.push(2, 80, [read("FAS1", 0.9, [415, 125, 94, 52])]);
    expect(sure.flush().map((f) => f.plate)).toEqual(["FAS1"]);
  });

  it("is no surer of a plate than its surest frame: many unsure reads of one pass do not add up", () => {
    const unsure = new Tracker(options);
    const out: (ProvisionalRead | FinalRead)[] = [];
    for (let i = 0; i < 20; i++) out.push(...unsure.push(i, i * 40, [read("KJZ3521", 0.45, approach(i))]));
    out.push(...unsure.flush());
    expect(out).toEqual([]);
    const oneSure = new Tracker(options);
    for (let i = 0; i < 20; i++)
      oneSure.push(i, i * 40, [read("KJZ3521", i === 10 ? 0.7 : 0.45, approach(i))]);
    const [f] = oneSure.flush();
    expect(f?.plate).toBe("KJZ3521");
    expect(f?.confidence).toBeCloseTo(0.7, 5);
  });

  it("reads a vehicle seen clearly on consecutive near frames, whatever its far frames misread", () => {
    // far frames (12 px characters) read the D as O surely, near ones (16 px and more) read it as D
    const t = new Tracker(options);
    for (let i = 0; i < 9; i++)
      t.push(i, i * 40, [{ ...read("HA54ROO", 0.95, approach(i)), charHeightPx: 12 }]);
    for (let i = 9; i < 13; i++)
      t.push(i, i * 40, [{ ...read("HA54ROD", 0.99, approach(i)), charHeightPx: 16 + i }]);
    const [f] = t.flush();
    expect(f?.plate).toBe("HA54ROD");
    expect(f?.confidence).toBeGreaterThanOrEqual(0.9);
    // a stray end box read as a character on some frames does not outvote the plate read whole and
    // surely on consecutive frames, though the short read is a fragment of the long one
    const stray = new Tracker(options);
    for (let i = 0; i < 12; i++) {
      const plate = i % 4 === 0 ? "KJZ3521" : "KJZ352";
      stray.push(i, i * 40, [
        { ...read(plate, plate === "KJZ352" ? 1 : 0.9, approach(i)), charHeightPx: 18 },
      ]);
    }
    expect(stray.flush().map((r) => r.plate)).toEqual(["KJZ352"]);
  });

  it("raises no provisional read from distant reads that agree, until three near views' worth agrees", () => {
    const t = new Tracker(options);
    const out: (ProvisionalRead | FinalRead)[] = [];
    // 6 px characters weigh (6/15)² = 0.16: three sure far reads are not yet one full-size view
    for (let i = 0; i < 3; i++)
      out.push(...t.push(i, i * 40, [{ ...read("AB12CDE", 0.95, approach(i)), charHeightPx: 6 }]));
    expect(out).toEqual([]);
    // near views make a final read's evidence, but two are not yet an alert's
    for (let i = 3; i < 5; i++)
      out.push(...t.push(i, i * 40, [{ ...read("AB12CDE", 0.95, approach(i)), charHeightPx: 15 }]));
    expect(out).toEqual([]);
    out.push(...t.push(5, 200, [{ ...read("AB12CDE", 0.95, approach(5)), charHeightPx: 15 }]));
    expect(out.map((o) => [o.kind, o.frameIndex])).toEqual([["provisional", 5]]);
  });

  it("trusts near views over many far ones: a receding plate misread as it shrinks", () => {
    const t = new Tracker(options);
    const out: (ProvisionalRead | FinalRead)[] = [];
    // near (16 px characters) reads OF23DFH three times, far (9 px) reads DF23DFH five times as surely
    for (let i = 0; i < 8; i++) {
      const near = i < 3;
      const r = { ...read(near ? "OF23DFH" : "DF23DFH", 0.97, approach(8 - i)), charHeightPx: near ? 16 : 9 };
      out.push(...t.push(i, i * 40, [r]));
    }
    out.push(...t.flush());
    expect(out.filter((o) => o.kind === "final").map((f) => f.plate)).toEqual(["OF23DFH"]);
  });

  it("raises the alert on three sure near views in a row, whatever the blurred views before them misread", () => {
    const t = new Tracker(options);
    const out: (ProvisionalRead | FinalRead)[] = [];
    // two confident misreads hold the vote at 0.62, under the provisional threshold of 0.8
    for (let i = 0; i < 5; i++) {
      const r = i < 2 ? read("AB12CDF", 0.9, approach(i)) : read("AB12CDE", 0.99, approach(i));
      out.push(...t.push(i, i * 40, [r]));
    }
    expect(out.map((o) => [o.kind, o.plate, o.frameIndex])).toEqual([["provisional", "AB12CDE", 4]]);
    expect((out[0] as ProvisionalRead).confidence).toBeLessThan(0.8);
    // a streak of unsure reads raises nothing
    const unsure = new Tracker(options);
    const none: (ProvisionalRead | FinalRead)[] = [];
    for (let i = 0; i < 5; i++) {
      const r = i < 2 ? read("AB12CDF", 0.9, approach(i)) : read("AB12CDE", 0.85, approach(i));
      none.push(...unsure.push(i, i * 40, [r]));
    }
    expect(none).toEqual([]);
  });

  it("counts reads that lost an end character (glare, the border) for the plate, not against its length", () => {
    const t = new Tracker(options);
    // four sure reads of the whole plate, three as sure of it short of its first character
    for (let i = 0; i < 7; i++) t.push(i, i * 40, [read(i % 2 ? "Y20SEU" : "LY20SEU", 0.9, approach(i))]);
    const [f] = t.flush();
    expect(f?.plate).toBe("LY20SEU");
    expect(f?.confidence).toBeGreaterThan(0.8);
    // a reading of another length that is no fragment of it still competes
    const other = new Tracker(options);
    for (let i = 0; i < 7; i++) other.push(i, i * 40, [read(i % 2 ? "Y2OSO" : "LY20SEU", 0.9, approach(i))]);
    expect(other.flush()).toEqual([]);
  });

  it("takes the plate's length from its fragments too: more reads lost an end character than read it whole", () => {
    const t = new Tracker(options);
    // three sure reads of the whole plate, four as sure of it short of its first character
    for (let i = 0; i < 7; i++)
      t.push(i, i * 40, [read(i % 2 || i === 6 ? "Y20SEU" : "LY20SEU", 0.9, approach(i))]);
    const [f] = t.flush();
    expect(f?.plate).toBe("LY20SEU");
    expect(f?.confidence).toBeGreaterThan(0.8);
  });

  it("counts a read that lost a whole group (night blur) for the plate it is the end of", () => {
    const t = new Tracker(options);
    const reads = [
      "FX65XSE",
      "5XSE",
      "FX65XSE",
      "5XSE",
      "FX55XSE",
      "5XSE",
      "FX65XSE",
      "5XSE",
      "FX65XSE",
      "FX55XSE",
    ];
    reads.forEach((p, i) => {
      t.push(i, i * 40, [read(p, 0.9, approach(i))]);
    });
    const [f] = t.flush();
    expect(f?.plate).toBe("FX65XSE");
    expect(f?.confidence).toBeGreaterThan(0.6);
  });

  it("counts a read short of an end character as one of the frames a final read needs", () => {
    const t = new Tracker(options);
    // a small pass: two sure exact reads and one that lost the first character
    const reads = ["TS64PDG", "S64PDG", "TS64PDG"];
    reads.forEach((p, i) => {
      t.push(i, i * 40, [read(p, 0.9, approach(i))]);
    });
    const [f] = t.flush();
    expect(f?.plate).toBe("TS64PDG");
    // two exact reads with a read of something else are still not a pass
    const other = new Tracker(options);
    ["TS64PDG", "M64PDG", "TS64PDG"].forEach((p, i) => {
      other.push(i, i * 40, [read(p, 0.9, approach(i))]);
    });
    expect(other.flush()).toEqual([]);
  });

  it("counts a read that lost a faint inner character (a narrow 1) for the plate, not as a plate of its own", () => {
    const t = new Tracker(options);
    // two near reads of the whole plate, then six that lost the X and the narrow 1 between 6 and V
    ["XW61VVS", "XW61VVS", "W6VVS", "W6VVS", "W6VVS", "W6VVS", "W6VVS", "W6VVS"].forEach((p, i) => {
      t.push(i, i * 40, [{ ...read(p, p === "W6VVS" ? 0.64 : 0.9, approach(i)), charHeightPx: 16 }]);
    });
    expect(t.flush().map((f) => f.plate)).toEqual(["XW61VVS"]);
  });

  it("does not let one longer read take the reads of the plate as its fragments", () => {
    const t = new Tracker(options);
    // a stray box read as a 2 once, at low confidence, then thirteen sure reads of the whole plate
    ["LXI8502", ...Array.from({ length: 13 }, () => "LXI850")].forEach((p, i) => {
      t.push(i, i * 40, [{ ...read(p, p === "LXI850" ? 0.96 : 0.32, approach(i)), charHeightPx: 12 }]);
    });
    expect(t.flush().map((f) => f.plate)).toEqual(["LXI850"]);
  });

  it("reads no plate from a coin flip between two characters, though each frame's own reads lean one way", () => {
    // Night blur: N and M share each frame's mass; most frames' own read is M. The per-character vote of
    // the reads alone gives the M 0.69 of its column; their candidates give it under half.
    const frames: FrameRead[] = [
      ...Array.from({ length: 6 }, () =>
        read(
          "OM55DYE",
          0.45,
          [0, 0, 0, 0],
          [
            { plate: "ON55DYE", confidence: 0.35 },
            { plate: "OU55DYE", confidence: 0.2 },
          ],
        ),
      ),
      read("OM55DYE", 0.65, [0, 0, 0, 0], [{ plate: "ON55DYE", confidence: 0.3 }]),
      ...Array.from({ length: 3 }, () =>
        read("ON55DYE", 0.5, [0, 0, 0, 0], [{ plate: "OM55DYE", confidence: 0.4 }]),
      ),
    ];
    const pass = (reads: FrameRead[]) => {
      const t = new Tracker(options);
      reads.forEach((r, i) => {
        t.push(i, i * 40, [{ ...r, box: approach(i) }]);
      });
      return t.flush();
    };
    expect(pass(frames)).toEqual([]);
    // The same reads without their alternatives: the vote of the reads alone would have read M.
    const bare = pass(frames.map((r) => ({ ...r, candidates: r.candidates.slice(0, 1) })));
    expect(bare.map((f) => f.plate)).toEqual(["OM55DYE"]);
  });

  it("ends a track after the gap in capture time even when frames are sparse", () => {
    const t = new Tracker({ ...options, maxGapMs: 500 });
    t.push(0, 0, [read("AB12CDE", 0.9, approach(0))]);
    t.push(1, 40, [read("AB12CDE", 0.9, approach(1))]);
    t.push(2, 80, [read("AB12CDE", 0.9, approach(2))]);
    const out = t.push(3, 2000, []);
    expect(out.map((o) => o.kind)).toEqual(["final"]);
  });

  it("encodes the best patch as a grey PNG that ffmpeg decodes back to the same pixels", () => {
    const pixels = new Uint8Array(120 * 60).map((_, i) => (i * 7) & 255);
    const png = encodeGreyPng(pixels, 120, 60);
    const dir = mkdtempSync(join(tmpdir(), "kestrel-png-"));
    writeFileSync(join(dir, "p.png"), png);
    const raw = execFileSync(ffmpegPath(), [
      "-v",
      "error",
      "-i",
      join(dir, "p.png"),
      "-f",
      "rawvideo",
      "-pix_fmt",
      "gray",
      "-",
    ]);
    expect(new Uint8Array(raw)).toEqual(pixels);
    expect(png.byteLength).toBeLessThan(12_000);
  });
});
