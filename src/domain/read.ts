/**
 * The records that flow from camera to store. Times are milliseconds since the Unix epoch, UTC, taken
 * from the stream's timestamps (capture time), never from the clock at processing time.
 * Plates are VRMs: upper case, no spaces.
 */

/** [x, y, width, height] in frame pixels. */
export type Box = [number, number, number, number];

export interface PlateCandidate {
  plate: string;
  /** 0..1 */
  confidence: number;
}

/** One plate read on one frame: what the recogniser returns. */
export interface FrameRead {
  plate: string;
  confidence: number;
  /** One 0..1 score per character of `plate`. */
  charConfidences: number[];
  box: Box;
  /** Median character box height in frame pixels (the tracker weighs reads by it; absent: from the box width). */
  charHeightPx?: number;
  /** Best alternatives, best first; the first is `plate` itself. */
  candidates: PlateCandidate[];
  /** Grey plate crop (about 120x60 px, row-major, stride = widthPx) for the tracker's best patch. */
  patch?: { widthPx: number; heightPx: number; pixels: Uint8Array };
}

export type Direction = "towards" | "away" | "unknown";

/** Emitted by the tracker as soon as a vehicle's plate is confidently read: drives instant hot-list alerts. */
export interface ProvisionalRead {
  kind: "provisional";
  /** Unique id of this vehicle pass: the final read carries the same id. */
  passId: string;
  cameraId: string;
  captureTimeMs: number;
  frameIndex: number;
  plate: string;
  confidence: number;
  candidates: PlateCandidate[];
  box: Box;
  /** Grey plate patch (PNG), about 120x60 px. */
  patch?: Uint8Array;
}

/** One record per vehicle pass, after voting across its frames. */
export interface FinalRead {
  kind: "final";
  passId: string;
  cameraId: string;
  plate: string;
  confidence: number;
  charConfidences: number[];
  candidates: PlateCandidate[];
  /** Capture time of the frame the plate patch and box come from. */
  captureTimeMs: number;
  firstCaptureMs: number;
  lastCaptureMs: number;
  firstFrame: number;
  lastFrame: number;
  /** Frames on which the plate was read. */
  framesRead: number;
  direction: Direction;
  box: Box;
  /** Grey plate patch (PNG), about 120x60 px, a few KB. */
  patch?: Uint8Array;
  engineVersion: string;
}

/**
 * Where reads go. Ingest and tracking know only this interface; hot-lists, the store, the gateway and
 * metrics each subscribe with a sink of their own. A sink must not block: it queues or drops, and counts.
 */
export interface ReadSink {
  readonly name: string;
  provisional?(read: ProvisionalRead): void;
  final?(read: FinalRead): void;
}
