import type { Box, Direction, FinalRead, FrameRead, ProvisionalRead } from "../domain/index.js";

/**
 * What the pipeline needs from the recogniser and the tracker (src/recognition, src/tracking). Kept as
 * structural types so the pipeline can be driven by the real parts or, in a test, by doubles.
 */

export interface RecogniserOptions {
  region: "gb" | "any";
  topCandidates: number;
  maxWidthPx?: number;
  maxHeightPx?: number;
}

export interface FrameSlot {
  offset: number;
  capacityBytes: number;
}

export interface RecogniserLike {
  /** Shared memory with a fixed maximum: the main thread writes frames straight into it. */
  readonly memory: WebAssembly.Memory;
  frameSlot(): FrameSlot;
  /** `times`, when given, gets per-stage milliseconds added (keys ending in `Ms`). */
  read(widthPx: number, heightPx: number, roi?: Box, times?: Record<string, number>): FrameRead[];
}

export interface TrackerOptions {
  cameraId: string;
  direction: Direction;
  provisionalConfidence: number;
  minConfidence: number;
  engineVersion: string;
}

export type TrackedRead = ProvisionalRead | FinalRead;

export interface TrackerLike {
  push(frameIndex: number, captureTimeMs: number, reads: FrameRead[]): TrackedRead[];
  flush(): TrackedRead[];
}

export type TrackerFactory = (options: TrackerOptions) => TrackerLike;
