import { describe, expect, it } from "vitest";
import type { Box } from "../src/domain/index.js";
import { DEFAULT_SKIP, FrameSkipper, NO_SKIP } from "../src/pipeline/frame-skip.js";

const W = 320;
const H = 240;
const FRAME_MS = 40;

/** A grey frame with an optional white square (a "vehicle") at x. */
function frame(squareX?: number): Uint8Array {
  const px = new Uint8Array(W * H).fill(90);
  if (squareX !== undefined) {
    for (let y = 100; y < 164; y++) px.fill(250, y * W + squareX, y * W + squareX + 64);
  }
  return px;
}

/** Runs frames through a skipper; `readsAt(i)` are the reads recognition of frame i would return. */
function run(
  frames: Uint8Array[],
  readsAt: (i: number) => { plate: string; box: Box; confidence: number }[] = () => [],
  skip = DEFAULT_SKIP,
): number[] {
  const skipper = new FrameSkipper(skip);
  const taken: number[] = [];
  frames.forEach((px, i) => {
    const t = i * FRAME_MS;
    if (!skipper.take(t, px, W, H)) return;
    taken.push(i);
    skipper.observe(t, readsAt(i));
  });
  return taken;
}

describe("frame skipping", () => {
  it("an unchanging picture is recognised once a second; a change is recognised on the frame it shows", () => {
    const still = frame();
    expect(run(Array(100).fill(still))).toEqual([0, 25, 50, 75]);
    // a vehicle enters at frame 10 and stays still: recognised at 10, then once a second again
    const frames = Array.from({ length: 60 }, (_, i) => (i < 10 ? still : frame(100)));
    expect(run(frames)).toEqual([0, 10, 35]);
  });

  it("every frame while a vehicle's plate is still being voted on, every 3rd once it is settled", () => {
    // a vehicle moving 8 px a frame, read as the same plate on every frame from frame 0 to 29
    const frames = Array.from({ length: 30 }, (_, i) => frame(8 * i));
    const reads = (i: number) => [{ plate: "AB12CDE", box: [8 * i, 120, 64, 16] as Box, confidence: 0.9 }];
    // reads 0-3 settle it (4 of the same text), then every 3rd frame
    expect(run(frames, reads)).toEqual([0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
    // reads that disagree keep every frame recognised until one text has 4 reads (frames 0, 2, 4, 6)
    const mixed = (i: number) => [
      { plate: i % 2 ? "AB12CDE" : "AB12CDF", box: [8 * i, 120, 64, 16] as Box, confidence: 0.9 },
    ];
    expect(run(frames, mixed).slice(0, 9)).toEqual([0, 1, 2, 3, 4, 5, 6, 9, 12]);
    expect(run(frames, reads, NO_SKIP)).toEqual([...Array(30).keys()]);
  });
});
