import { describe, expect, it } from "vitest";
import type { FinalRead, ProvisionalRead } from "../src/domain/read.js";
import { readVideoFile } from "../src/recognition/read-file.js";
import { Recogniser } from "../src/recognition/recogniser.js";
import { benchClip } from "./recognition-fixtures.js";

// Vehicle-level regression on four of the benchmark's EVAL clips (bench/recognition.bench.ts, same seeds
// and options), each read through the tracker exactly as `kestrel read` does. Chosen for what they
// exercise: small receding plates (12-13 px characters at best, clip 1), a night clip with a two-line
// plate (2), a van's light lettering that once made a false read (33) and an antenna touching a "1"
// (58). Every vehicle in them is read today, with no false final or provisional read.
const CLIPS = [1, 2, 33, 58];

describe("recogniser and tracker on synthetic clips", () => {
  const rec = Recogniser.create({ region: "gb", topCandidates: 5 });

  it("reads every vehicle of four EVAL clips exactly, and nothing else", { timeout: 180_000 }, async () => {
    const missed: string[] = [];
    const wrong: string[] = [];
    let vehicles = 0;
    for (const i of CLIPS) {
      const clip = await benchClip(i);
      const finals: FinalRead[] = [];
      const provisionals: ProvisionalRead[] = [];
      await readVideoFile(
        rec,
        clip.path,
        { provisionalConfidence: 0.8, minConfidence: 0.6, engineVersion: "test" },
        (f) => finals.push(f),
        { onProvisional: (p) => provisionals.push(p) },
      );
      const plates = new Set(clip.truth.vehicles.map((v) => v.plate));
      for (const v of clip.truth.vehicles.filter((x) => x.firstFrame !== null)) {
        vehicles++;
        if (!finals.some((f) => f.plate === v.plate)) missed.push(`clip ${i} ${v.plate}`);
      }
      for (const r of [...finals, ...provisionals]) {
        if (!plates.has(r.plate)) wrong.push(`clip ${i} ${r.kind} ${r.plate}`);
      }
    }
    expect(vehicles).toBe(12);
    expect(missed).toEqual([]);
    expect(wrong).toEqual([]);
  });
});
