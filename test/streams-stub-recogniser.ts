/**
 * A stand-in recogniser for pipeline tests (loaded in the worker threads): same shape as
 * src/recognition/recogniser.ts, but it "reads" the white blocks that streams-fixtures draws, so the tests
 * check the pipeline (framing, scheduling, drops, restarts, one read per vehicle), not plate accuracy.
 * STUB_DELAY_MS makes every read take that long (saturation tests).
 */
import type { Box, FrameRead } from "../src/domain/index.js";
import { GRID, plateFor } from "./streams-fixtures.js";

const CAPACITY = 1920 * 1080;

export class Recogniser {
  readonly memory = new WebAssembly.Memory({ initial: 32, maximum: 32, shared: true });
  private readonly bytes = new Uint8Array(this.memory.buffer);
  private readonly delayMs = Number(process.env.STUB_DELAY_MS ?? 0);

  static create(): Recogniser {
    return new Recogniser();
  }

  frameSlot(): { offset: number; capacityBytes: number } {
    return { offset: 0, capacityBytes: CAPACITY };
  }

  read(widthPx: number, _heightPx: number, _roi?: Box): FrameRead[] {
    if (this.delayMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, this.delayMs);
    const reads: FrameRead[] = [];
    for (let cell = 0; cell < GRID.cols * GRID.rows; cell++) {
      const x = GRID.x0 + (cell % GRID.cols) * GRID.cellPx;
      const y = GRID.y0 + Math.floor(cell / GRID.cols) * GRID.cellPx;
      const cx = x + GRID.cellPx / 2;
      const cy = y + GRID.cellPx / 2;
      if (this.bytes[cy * widthPx + cx]! > 200) {
        const plate = plateFor(cell);
        reads.push({
          plate,
          confidence: 0.95,
          charConfidences: [...plate].map(() => 0.95),
          box: [x, y, GRID.cellPx, GRID.cellPx],
          candidates: [{ plate, confidence: 0.95 }],
        });
      }
    }
    return reads;
  }
}
