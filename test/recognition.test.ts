import { describe, expect, it } from "vitest";
import { MAX_FRAME_HEIGHT, MAX_FRAME_WIDTH } from "../assembly/shared/constants.js";
import { isKestrelError } from "../src/errors/index.js";
import { overhangingBoxes } from "../src/recognition/plate-decision.js";
import { Recogniser } from "../src/recognition/recogniser.js";
import { evalStill, iou, trainStill } from "./recognition-fixtures.js";

// Frame-level regression: EVAL stills (seeds the classifier never trained on), expected plates from the
// generator's truth. The floors sit just under what the recogniser reads today (110/117 exact, 6
// confident reads on no plate, most of them misreads of a plate or reads of a partly hidden one): a
// change that loses two plates, or reads two more plates that are not there, fails here. (The
// three-net ensemble of 2 December read 110 where the single net read 112: two reads at confidence
// 0.4-0.7 flipped, K/N and 5/6, while real characters gained; docs/kernels-classify.md, round 5.)
const STILLS = 100;
const MIN_EXACT_SHARE = 0.93;
const MAX_FALSE_READS = 7;

describe("recogniser on synthetic stills", () => {
  const rec = Recogniser.create({ region: "gb", topCandidates: 5 });

  // On a fresh clone the stills are rendered first (about 15 s on a quiet 2-core machine, a minute when busy).
  it(`reads at least ${MIN_EXACT_SHARE * 100}% of whole plates exactly in ${STILLS} EVAL stills`, {
    timeout: 180_000,
  }, () => {
    let plates = 0;
    let exact = 0;
    let falseReads = 0;
    let located = 0;
    for (let i = 0; i < STILLS; i++) {
      const still = evalStill(i);
      const reads = rec.readImage(still.grey, still.width, still.height);
      for (const p of still.plates.filter((q) => q.whole)) {
        plates++;
        const read = reads.find((r) => iou(r.box, p.box) > 0.3);
        if (read) located++;
        if (read?.plate === p.text) exact++;
      }
      for (const r of reads) {
        if (r.confidence >= 0.6 && !still.plates.some((p) => p.text === r.plate)) falseReads++;
      }
    }
    process.stdout.write(`stills: ${exact}/${plates} exact, ${located} boxed, ${falseReads} false reads\n`);
    expect(plates).toBeGreaterThan(STILLS * 0.9);
    expect(exact / plates).toBeGreaterThanOrEqual(MIN_EXACT_SHARE);
    expect(falseReads).toBeLessThanOrEqual(MAX_FALSE_READS);
  });

  it("boxes each read plate where the plate is, with a 120x60 patch", () => {
    const still = evalStill(0);
    const reads = rec.readImage(still.grey, still.width, still.height);
    const truth = still.plates.find((p) => p.whole)!;
    const read = reads.find((r) => r.plate === truth.text);
    expect(read).toBeDefined();
    expect(iou(read!.box, truth.box)).toBeGreaterThan(0.5);
    expect(read!.candidates[0]!.plate).toBe(read!.plate);
    expect(read!.charConfidences).toHaveLength(read!.plate.length);
    expect(read!.patch?.widthPx).toBe(120);
    expect(read!.patch?.heightPx).toBe(60);
    expect(read!.patch?.pixels).toHaveLength(120 * 60);
  });

  it("searches only the region of interest", () => {
    const still = evalStill(0);
    const truth = still.plates.find((p) => p.whole)!;
    const [x, y, w, h] = truth.box;
    const inside = rec.readImage(still.grey, still.width, still.height, [
      Math.max(0, Math.floor(x - w)),
      Math.max(0, Math.floor(y - h)),
      Math.ceil(3 * w),
      Math.ceil(3 * h),
    ]);
    expect(inside.map((r) => r.plate)).toContain(truth.text);
    // a region that excludes the plate: the plate is not read
    const away =
      y > still.height / 2
        ? [0, 0, still.width, Math.floor(y - 2)]
        : [0, Math.ceil(y + h + 2), still.width, still.height - Math.ceil(y + h + 2)];
    const outside = rec.readImage(
      still.grey,
      still.width,
      still.height,
      away as [number, number, number, number],
    );
    expect(outside.map((r) => r.plate)).not.toContain(truth.text);
  });

  // TRAIN stills 36 and 38: dirt joined below the H of VH65HME and the 1 of KO51KAZ (the generator's
  // occluder) stretches their boxes past the baseline, so the H reads W and the 1's box closes the gap
  // between the groups; cut back to the line, both plates read exactly
  it("cuts a character box joined to dirt past the line back to the line", () => {
    const loose = Recogniser.create({ region: "gb", topCandidates: 5, fitToLine: false });
    for (const [i, text] of [
      [36, "VH65HME"],
      [38, "KO51KAZ"],
    ] as const) {
      const still = trainStill(i);
      const box = still.plates.find((p) => p.text === text)!.box;
      const plateOf = (r: Recogniser) => r.lastPlates().find((p) => iou(p.box, box) > 0.3)!;
      const before = loose.readImage(still.grey, still.width, still.height).map((r) => r.plate);
      expect(before).not.toContain(text);
      expect(overhangingBoxes(plateOf(loose).charBoxes).length).toBeGreaterThan(0);
      const after = rec.readImage(still.grey, still.width, still.height).map((r) => r.plate);
      expect(after).toContain(text);
      expect(overhangingBoxes(plateOf(rec).charBoxes)).toEqual([]);
    }
  });

  it("reads a frame written straight into the shared frame slot, whose view never detaches", () => {
    const still = evalStill(1);
    const slot = rec.frameSlot();
    expect(rec.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(slot.capacityBytes).toBeGreaterThanOrEqual(MAX_FRAME_WIDTH * MAX_FRAME_HEIGHT);
    const view = new Uint8Array(rec.memory.buffer, slot.offset, still.width * still.height);
    view.set(still.grey);
    const viaSlot = rec.read(still.width, still.height).map((r) => r.plate);
    const viaCopy = rec.readImage(still.grey, still.width, still.height).map((r) => r.plate);
    expect(viaSlot).toEqual(viaCopy);
    expect(view.byteLength).toBe(still.width * still.height);
  });

  it("returns no plate for an empty frame and refuses frames larger than it was made for", () => {
    expect(rec.readImage(new Uint8Array(1280 * 720).fill(128), 1280, 720)).toEqual([]);
    try {
      rec.read(4000, 3000);
      expect.unreachable();
    } catch (err) {
      expect(isKestrelError(err, "KESTREL_E_INPUT_INVALID")).toBe(true);
    }
  });

  it("reads the same plates with the scalar build as with the SIMD build", () => {
    const scalar = Recogniser.create({ region: "gb", topCandidates: 5, simd: false });
    for (let i = 0; i < 5; i++) {
      const still = evalStill(i);
      const a = rec.readImage(still.grey, still.width, still.height).map((r) => r.plate);
      const b = scalar.readImage(still.grey, still.width, still.height).map((r) => r.plate);
      expect(b).toEqual(a);
    }
  });
});
