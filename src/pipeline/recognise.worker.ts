/**
 * Recogniser worker: one wasm recogniser instance per thread. The main thread writes each grey frame
 * straight into this instance's frame slot (shared wasm memory), then posts a small `frame` message; the
 * reads go back as a `result`. A trap or exception in the recogniser ends the thread: its wasm state can no
 * longer be trusted, and the pool starts a fresh one.
 */
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import type { Box, FrameRead } from "../domain/index.js";
import type { RecogniserLike, RecogniserOptions } from "./contracts.js";

export interface WorkerInit {
  /** URL of the module exporting `Recogniser` (real one, or a test double). */
  recogniserModule: string;
  options: RecogniserOptions;
}

export type ToWorker = { type: "frame"; jobId: number; widthPx: number; heightPx: number; roi?: Box };

export type FromWorker =
  | { type: "ready"; memory: WebAssembly.Memory; slotOffset: number; capacityBytes: number }
  | {
      type: "result";
      jobId: number;
      reads: FrameRead[];
      recogniseMs: number;
      stageMs?: Record<string, number>;
    }
  | { type: "trap"; jobId: number; message: string };

interface RecogniserModule {
  Recogniser: { create(options: RecogniserOptions): RecogniserLike | Promise<RecogniserLike> };
}

const port = parentPort!;
const init = workerData as WorkerInit;
const mod = (await import(init.recogniserModule)) as RecogniserModule;
const recogniser = await mod.Recogniser.create(init.options);
const slot = recogniser.frameSlot();
port.postMessage({
  type: "ready",
  memory: recogniser.memory,
  slotOffset: slot.offset,
  capacityBytes: slot.capacityBytes,
} satisfies FromWorker);

/** Patches must not be views onto the shared wasm memory (the next frame would overwrite them). */
function detach(reads: FrameRead[]): FrameRead[] {
  for (const read of reads) {
    const pixels = read.patch?.pixels;
    if (pixels && pixels.buffer instanceof SharedArrayBuffer) read.patch!.pixels = new Uint8Array(pixels);
  }
  return reads;
}

/** Stage timing makes the recogniser run segmentation twice, so only one frame in this many is timed. */
const TIME_EVERY_FRAMES = 25;
let framesSinceTimed = TIME_EVERY_FRAMES;

port.on("message", (msg: ToWorker) => {
  if (msg.type !== "frame") return;
  const t0 = performance.now();
  let reads: FrameRead[];
  let times: Record<string, number> | undefined;
  if (++framesSinceTimed >= TIME_EVERY_FRAMES) {
    framesSinceTimed = 0;
    times = { localiseMs: 0, segmentMs: 0, classifyMs: 0, syntaxMs: 0 };
  }
  try {
    reads = recogniser.read(msg.widthPx, msg.heightPx, msg.roi, times);
  } catch (err) {
    port.postMessage({ type: "trap", jobId: msg.jobId, message: String(err) } satisfies FromWorker);
    process.exit(1);
  }
  const recogniseMs = performance.now() - t0;
  port.postMessage({
    type: "result",
    jobId: msg.jobId,
    reads: detach(reads),
    recogniseMs,
    ...(times ? { stageMs: times } : {}),
  } satisfies FromWorker);
});
