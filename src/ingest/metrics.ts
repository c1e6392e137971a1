import { Counter, Gauge, Histogram } from "prom-client";
import { registry } from "../metrics/registry.js";

/**
 * Ingest and live-recognition metrics. The only label is the opaque camera id (plus a drop reason):
 * never a camera location, never a plate.
 */

/** Numeric codes of `kestrel_stream_state`, in docs/streams.md. */
export const STREAM_STATE_CODES = {
  stopped: 0,
  starting: 1,
  streaming: 2,
  stalled: 3,
  "backing-off": 4,
  failed: 5,
  ended: 6,
} as const;

export type StreamState = keyof typeof STREAM_STATE_CODES;

/** Why a decoded frame was not recognised. */
export type DropReason = "queue_full" | "worker_lost" | "oversize" | "camera_stopped";

const cam = ["camera"] as const;

export const ingestMetrics = {
  framesDecoded: new Counter({
    name: "kestrel_frames_decoded_total",
    help: "Frames decoded by ffmpeg and cut from the pipe",
    labelNames: cam,
    registers: [registry],
  }),
  framesRecognised: new Counter({
    name: "kestrel_frames_recognised_total",
    help: "Frames run through the recogniser",
    labelNames: cam,
    registers: [registry],
  }),
  framesSkipped: new Counter({
    name: "kestrel_frames_skipped_total",
    help: "Frames skipped on purpose by adaptive frame skipping (no plate in view)",
    labelNames: cam,
    registers: [registry],
  }),
  framesDropped: new Counter({
    name: "kestrel_frames_dropped_total",
    help: "Frames dropped without recognition, by reason (queue_full: workers saturated, stale frame dropped)",
    labelNames: ["camera", "reason"] as const,
    registers: [registry],
  }),
  decodeFps: new Gauge({
    name: "kestrel_decode_fps",
    help: "Frames per second decoded over the last few seconds",
    labelNames: cam,
    registers: [registry],
  }),
  streamState: new Gauge({
    name: "kestrel_stream_state",
    help: "Camera stream state: 0 stopped, 1 starting, 2 streaming, 3 stalled, 4 backing-off, 5 failed, 6 ended",
    labelNames: cam,
    registers: [registry],
  }),
  restarts: new Counter({
    name: "kestrel_stream_restarts_total",
    help: "ffmpeg restarts after an exit, error or stall",
    labelNames: cam,
    registers: [registry],
  }),
  captureToRead: new Histogram({
    name: "kestrel_capture_to_read_seconds",
    help: "Capture time of a frame to its recognition result",
    labelNames: cam,
    buckets: [0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5],
    registers: [registry],
  }),
  recogniseFrame: new Histogram({
    name: "kestrel_recognise_frame_seconds",
    help: "Recogniser time per frame inside a worker (all stages)",
    labelNames: cam,
    buckets: [0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5],
    registers: [registry],
  }),
  provisionalReads: new Counter({
    name: "kestrel_reads_provisional_total",
    help: "Provisional reads emitted (first confident read of a vehicle pass)",
    labelNames: cam,
    registers: [registry],
  }),
  finalReads: new Counter({
    name: "kestrel_reads_final_total",
    help: "Final reads emitted (one per vehicle pass)",
    labelNames: cam,
    registers: [registry],
  }),
  platesPerPass: new Histogram({
    name: "kestrel_plates_per_pass",
    help: "Frames on which the plate was read, per vehicle pass",
    labelNames: cam,
    buckets: [1, 2, 3, 5, 8, 12, 20, 30, 50, 80],
    registers: [registry],
  }),
  workerRestarts: new Counter({
    name: "kestrel_recognition_worker_restarts_total",
    help: "Recogniser workers replaced after a crash or trap",
    registers: [registry],
  }),
};

/** Per-stage recogniser latency histograms, created on first use from the stage names the worker reports. */
const stageHistograms = new Map<string, Histogram>();

export function stageHistogram(stage: string): Histogram | undefined {
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(stage)) return undefined;
  let h = stageHistograms.get(stage);
  if (!h) {
    h = new Histogram({
      name: `kestrel_recognise_${stage}_seconds`,
      help: `Recogniser stage "${stage}" time per frame`,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25],
      registers: [registry],
    });
    stageHistograms.set(stage, h);
  }
  return h;
}

/** Removes a camera's series when it is removed from configuration. */
export function forgetCamera(cameraId: string): void {
  for (const metric of Object.values(ingestMetrics)) {
    if (metric === ingestMetrics.workerRestarts) continue;
    (metric as Counter<string>).remove?.({ camera: cameraId });
  }
  for (const reason of ["queue_full", "worker_lost", "oversize", "camera_stopped"] as const) {
    ingestMetrics.framesDropped.remove({ camera: cameraId, reason });
  }
}
