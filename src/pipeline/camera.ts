import type { CameraConfig } from "../config/index.js";
import type { Direction } from "../domain/index.js";
import { FfmpegStream, type StreamExit } from "../ingest/ffmpeg-stream.js";
import type { CutFrame, StreamGeometry } from "../ingest/frame-cutter.js";
import { FramePool } from "../ingest/frame-pool.js";
import {
  type DropReason,
  ingestMetrics,
  STREAM_STATE_CODES,
  type StreamState,
  stageHistogram,
} from "../ingest/metrics.js";
import { missingFile, type RtspTransport, sourceKind } from "../ingest/source.js";
import type { Logger } from "../log/index.js";
import { type BackoffOptions, backoffDelayMs } from "./backoff.js";
import type { TrackedRead, TrackerFactory, TrackerLike } from "./contracts.js";
import { FrameSkipper, type SkipOptions } from "./frame-skip.js";
import type { FrameJob, JobOutcome } from "./worker-pool.js";

export interface CameraStatus {
  id: string;
  enabled: boolean;
  state: StreamState;
  /** ffmpeg restarts since the camera was (re)configured. */
  restarts: number;
  /** Attempts in a row that produced no frame (drives the backoff and the `failed` state). */
  consecutiveFailures: number;
  framesDecoded: number;
  framesRecognised: number;
  framesSkipped: number;
  framesDropped: Record<DropReason, number>;
  /** Frames waiting for a worker now (at most recognition.queueFramesPerCamera). */
  framesQueued: number;
  decodeFps: number;
  widthPx?: number;
  heightPx?: number;
  lastCaptureMs?: number;
  rtspTransport?: RtspTransport;
  /** Why the last ffmpeg run ended (never the URL: it may hold credentials). */
  lastExit?: string;
}

export interface CameraDeps {
  stallTimeoutMs: number;
  queueFrames: number;
  /** Frames of this camera that may be in workers at once (the pool size). */
  maxInFlight: number;
  provisionalConfidence: number;
  minConfidence: number;
  engineVersion: string;
  skip: SkipOptions;
  backoff: BackoffOptions;
  /** Stream clock and wall clock may drift apart this far before the mapping is re-anchored. */
  maxSkewMs: number;
  trackerFactory: TrackerFactory;
  /** Tells the pool a frame is waiting. */
  kick(): void;
  emit(read: TrackedRead): void;
  log: Logger;
  now(): number;
}

interface InFlight {
  frameIndex: number;
  captureTimeMs: number;
  outcome: JobOutcome | undefined;
}

type Queued =
  | { kind: "frame"; frameIndex: number; captureTimeMs: number; geometry: StreamGeometry; frame: CutFrame }
  | { kind: "gap" };

/**
 * One camera: supervises its ffmpeg child (restart with backoff on exit, error or stall), maps stream
 * timestamps to UTC capture time, queues decoded frames for the worker pool (bounded, oldest dropped),
 * skips frames adaptively, and runs the camera's tracker on results in capture order (at most one frame of
 * a camera is in a worker at a time, so results never overtake each other).
 */
export class Camera {
  readonly id: string;
  private stream: FfmpegStream | undefined;
  private state: StreamState = "stopped";
  private readonly queue: Queued[] = [];
  private queuedFrames = 0;
  /** Frames in workers, in dispatch (= capture) order; results are applied to the tracker in this order. */
  private readonly inFlight: InFlight[] = [];
  private readonly tracker: TrackerLike;
  private readonly skipper: FrameSkipper;
  /** Frame buffers ffmpeg's output is read into, reused across frames and restarts. */
  private readonly pool: FramePool;
  private frameIndex = 0;
  private restarts = 0;
  private failures = 0;
  private backoffAttempt = 0;
  private rtspTransport: RtspTransport = "tcp";
  private geometry: StreamGeometry | undefined;
  private runStartedMs = 0;
  private lastFrameMs = 0;
  private lastCaptureMs: number | undefined;
  private anchorMs = Number.NaN;
  private lastPtsS = Number.NaN;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private resolveStopped: (() => void) | undefined;
  private lastExit: string | undefined;
  private readonly counts = {
    decoded: 0,
    recognised: 0,
    skipped: 0,
    dropped: {
      queue_full: 0,
      worker_lost: 0,
      oversize: 0,
      invalid_frame: 0,
      camera_stopped: 0,
    } as Record<DropReason, number>,
  };
  private fpsWindow = { startMs: 0, frames: 0, fps: 0 };
  private readonly labels: { camera: string };

  constructor(
    readonly config: CameraConfig,
    private readonly deps: CameraDeps,
  ) {
    this.id = config.id;
    this.labels = { camera: config.id };
    this.tracker = deps.trackerFactory({
      cameraId: config.id,
      direction: config.direction as Direction,
      provisionalConfidence: deps.provisionalConfidence,
      minConfidence: deps.minConfidence,
      engineVersion: deps.engineVersion,
    });
    this.skipper = new FrameSkipper(deps.skip);
    // idle buffers kept: enough for a full queue, frames waiting for a timestamp and the one being read
    this.pool = new FramePool(deps.queueFrames + 10);
    this.setState("stopped");
  }

  start(): void {
    if (!this.config.enabled || this.stopping) return;
    this.launch();
  }

  private setState(state: StreamState): void {
    this.state = state;
    ingestMetrics.streamState.set(this.labels, STREAM_STATE_CODES[state]);
  }

  private launch(): void {
    this.restartTimer = undefined;
    if (this.stopping) return;
    this.setState(this.failures >= this.deps.backoff.failAfter ? "failed" : "starting");
    this.runStartedMs = this.deps.now();
    this.anchorMs = Number.NaN;
    this.lastPtsS = Number.NaN;
    if (missingFile(this.config.url)) {
      this.onExit({
        code: null,
        stopped: false,
        frames: 0,
        tornBytes: 0,
        stderrTail: ["input file does not exist"],
        transportRefused: false,
      });
      return;
    }
    this.stream = new FfmpegStream({
      url: this.config.url,
      loop: this.config.loop,
      fps: this.config.fps,
      rtspTransport: this.rtspTransport,
      pool: this.pool,
      onGeometry: (g) => this.onGeometry(g),
      onFrame: (f, g) => this.onFrame(f, g),
      onExit: (e) => this.onExit(e),
    });
  }

  private onGeometry(geometry: StreamGeometry): void {
    this.geometry = geometry;
    this.deps.log.info(
      { camera: this.id, widthPx: geometry.widthPx, heightPx: geometry.heightPx, fps: geometry.fps },
      "stream geometry",
    );
  }

  /**
   * Stream pts to UTC ms: anchored to the wall clock at the run's first frame, re-anchored on jumps, and
   * moved earlier whenever a frame arrives before its anchored time (no frame is captured after it
   * arrives: a first frame held up while the pipeline starts would otherwise date every later one in the
   * future, by 100-300 ms on the e2e bench).
   */
  private captureTime(ptsS: number, arrivalMs: number): number {
    let t = this.anchorMs + ptsS * 1000;
    if (
      Number.isNaN(this.anchorMs) ||
      ptsS < this.lastPtsS ||
      t > arrivalMs ||
      Math.abs(t - arrivalMs) > this.deps.maxSkewMs
    ) {
      this.anchorMs = arrivalMs - ptsS * 1000;
      t = arrivalMs;
    }
    this.lastPtsS = ptsS;
    return Math.round(t);
  }

  private onFrame(frame: CutFrame, geometry: StreamGeometry): void {
    if (this.stopping) {
      frame.release();
      return;
    }
    const nowMs = this.deps.now();
    this.lastFrameMs = nowMs;
    if (this.state !== "streaming") {
      this.setState("streaming");
      this.deps.log.info({ camera: this.id, restarts: this.restarts }, "camera streaming");
    }
    this.counts.decoded++;
    this.fpsWindow.frames++;
    ingestMetrics.framesDecoded.inc(this.labels);
    const captureTimeMs = this.captureTime(frame.ptsS, nowMs);
    this.lastCaptureMs = captureTimeMs;
    const frameIndex = this.frameIndex++;
    if (!this.skipper.take(captureTimeMs, frame.pixels, geometry.widthPx, geometry.heightPx)) {
      frame.release();
      this.counts.skipped++;
      ingestMetrics.framesSkipped.inc(this.labels);
      return;
    }
    if (this.queuedFrames >= this.deps.queueFrames) {
      // Saturated: keep the newest, drop the stalest waiting frame.
      const oldest = this.queue.findIndex((q) => q.kind === "frame");
      const [stale] = this.queue.splice(oldest, 1);
      if (stale?.kind === "frame") stale.frame.release();
      this.queuedFrames--;
      this.drop("queue_full");
    }
    this.queue.push({ kind: "frame", frameIndex, captureTimeMs, geometry, frame });
    this.queuedFrames++;
    this.deps.kick();
  }

  private drop(reason: DropReason, n = 1): void {
    this.counts.dropped[reason] += n;
    ingestMetrics.framesDropped.inc({ camera: this.id, reason }, n);
  }

  private onExit(exit: StreamExit): void {
    this.stream = undefined;
    this.lastExit = describeExit(exit, this.config.url);
    // A frame cut short because we killed ffmpeg is expected; one cut short by ffmpeg itself is worth a word.
    if (exit.tornBytes > 0 && !exit.stopped) {
      this.deps.log.warn({ camera: this.id, tornBytes: exit.tornBytes }, "torn last frame dropped");
    }
    // A gap in the stream ends any vehicle pass in progress once the frames before it are recognised.
    this.queue.push({ kind: "gap" });
    this.pump();
    if (this.stopping) {
      this.setState("stopped");
      this.settleStop();
      return;
    }
    const ranMs = this.deps.now() - this.runStartedMs;
    const isFile = sourceKind(this.config.url) === "file";
    if (isFile && !this.config.loop && exit.code === 0 && exit.frames > 0 && !exit.stopped) {
      this.setState("ended");
      this.deps.log.info({ camera: this.id, frames: exit.frames }, "file camera ended");
      return;
    }
    if (exit.frames > 0) this.failures = 0;
    if (exit.frames > 0 && ranMs >= this.deps.backoff.resetAfterMs) this.backoffAttempt = 0;
    if (exit.transportRefused && this.rtspTransport === "tcp" && exit.frames === 0) {
      // The server will not interleave RTP over TCP (some cameras and simple servers): use UDP from now on.
      this.rtspTransport = "udp";
      this.deps.log.warn({ camera: this.id }, "RTSP server refused TCP transport; using UDP");
    } else if (exit.frames === 0) {
      this.failures++;
    }
    const delayMs = backoffDelayMs(this.backoffAttempt++, this.deps.backoff);
    this.setState(this.failures >= this.deps.backoff.failAfter ? "failed" : "backing-off");
    this.deps.log.warn(
      { camera: this.id, exit: this.lastExit, delayMs, failures: this.failures },
      "camera stream ended; restarting",
    );
    this.restartTimer = setTimeout(() => {
      this.restarts++;
      ingestMetrics.restarts.inc(this.labels);
      this.launch();
    }, delayMs);
  }

  /** Periodic check (the manager's tick): stall detection and decode fps. */
  tick(nowMs: number): void {
    const windowMs = nowMs - this.fpsWindow.startMs;
    if (windowMs >= 2000) {
      this.fpsWindow.fps = (this.fpsWindow.frames * 1000) / windowMs;
      this.fpsWindow.startMs = nowMs;
      this.fpsWindow.frames = 0;
      ingestMetrics.decodeFps.set(this.labels, this.fpsWindow.fps);
    }
    if (!this.stream || this.stopping) return;
    if (this.state !== "starting" && this.state !== "streaming" && this.state !== "failed") return;
    const lastMs = Math.max(this.lastFrameMs, this.runStartedMs);
    if (nowMs - lastMs > this.deps.stallTimeoutMs) {
      this.setState("stalled");
      this.deps.log.warn({ camera: this.id, stallTimeoutMs: this.deps.stallTimeoutMs }, "camera stalled");
      this.stream.stop();
    }
  }

  /**
   * The next frame for a worker, or undefined when this camera has none ready. Up to `maxInFlight` frames
   * of one camera may be in workers at once (so a lone camera can use every core); their results are
   * re-ordered here so the tracker always sees capture order.
   */
  nextJob(): FrameJob | undefined {
    if (this.inFlight.length >= this.deps.maxInFlight) return undefined;
    this.pump();
    const head = this.queue[0];
    if (head?.kind !== "frame") return undefined;
    this.queue.shift();
    this.queuedFrames--;
    const slot: InFlight = {
      frameIndex: head.frameIndex,
      captureTimeMs: head.captureTimeMs,
      outcome: undefined,
    };
    this.inFlight.push(slot);
    return {
      widthPx: head.geometry.widthPx,
      heightPx: head.geometry.heightPx,
      roi: this.config.roi,
      pixels: head.frame.pixels,
      release: () => head.frame.release(),
      done: (outcome) => {
        slot.outcome = outcome;
        this.deliver();
      },
    };
  }

  /** Handles queue heads that need no worker: stream gaps flush the tracker once earlier frames are done. */
  private pump(): void {
    while (this.inFlight.length === 0 && this.queue[0]?.kind === "gap") {
      this.queue.shift();
      this.skipper.reset();
      this.emitAll(this.tracker.flush());
    }
    if (this.stopping) this.settleStop();
  }

  /** Applies finished results in capture order. */
  private deliver(): void {
    while (this.inFlight[0]?.outcome) {
      const { frameIndex, captureTimeMs, outcome } = this.inFlight.shift()!;
      this.apply(frameIndex, captureTimeMs, outcome!);
    }
    this.pump();
    if (this.queuedFrames > 0) this.deps.kick();
  }

  private apply(frameIndex: number, captureTimeMs: number, outcome: JobOutcome): void {
    if (outcome.ok) {
      this.counts.recognised++;
      ingestMetrics.framesRecognised.inc(this.labels);
      ingestMetrics.recogniseFrame.observe(this.labels, outcome.recogniseMs / 1000);
      for (const [stage, ms] of Object.entries(outcome.stageMs ?? {})) {
        stageHistogram(stage.replace(/Ms$/, ""))?.observe(ms / 1000);
      }
      ingestMetrics.captureToRead.observe(this.labels, Math.max(0, this.deps.now() - captureTimeMs) / 1000);
      this.skipper.observe(captureTimeMs, outcome.reads);
      this.emitAll(this.tracker.push(frameIndex, captureTimeMs, outcome.reads));
    } else {
      this.drop(outcome.reason);
    }
  }

  private emitAll(reads: TrackedRead[]): void {
    for (const read of reads) {
      if (read.kind === "provisional") ingestMetrics.provisionalReads.inc(this.labels);
      else {
        ingestMetrics.finalReads.inc(this.labels);
        ingestMetrics.platesPerPass.observe(this.labels, read.framesRead);
      }
      this.deps.emit(read);
    }
  }

  /**
   * Stops the camera: ffmpeg is killed, waiting frames are dropped, the frame in a worker finishes, and
   * the tracker is flushed so a vehicle in view still gets its final read.
   */
  stop(): Promise<void> {
    if (this.stopped) return this.stopped;
    this.stopping = true;
    this.stopped = new Promise((resolve) => {
      this.resolveStopped = resolve;
    });
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const waiting = this.queuedFrames;
    if (waiting > 0) this.drop("camera_stopped", waiting);
    for (const q of this.queue) if (q.kind === "frame") q.frame.release();
    this.queue.length = 0;
    this.queuedFrames = 0;
    this.queue.push({ kind: "gap" });
    if (this.stream) this.stream.stop();
    else this.setState("stopped");
    this.pump();
    return this.stopped;
  }

  private settleStop(): void {
    if (!this.stopping || this.stream || this.inFlight.length > 0 || this.queue.length > 0) return;
    this.setState("stopped");
    this.resolveStopped?.();
    this.resolveStopped = undefined;
  }

  status(): CameraStatus {
    const s: CameraStatus = {
      id: this.id,
      enabled: this.config.enabled,
      state: this.state,
      restarts: this.restarts,
      consecutiveFailures: this.failures,
      framesDecoded: this.counts.decoded,
      framesRecognised: this.counts.recognised,
      framesSkipped: this.counts.skipped,
      framesDropped: { ...this.counts.dropped },
      framesQueued: this.queuedFrames,
      decodeFps: Math.round(this.fpsWindow.fps * 10) / 10,
    };
    if (this.geometry) {
      s.widthPx = this.geometry.widthPx;
      s.heightPx = this.geometry.heightPx;
    }
    if (this.lastCaptureMs !== undefined) s.lastCaptureMs = this.lastCaptureMs;
    if (sourceKind(this.config.url) === "rtsp") s.rtspTransport = this.rtspTransport;
    if (this.lastExit) s.lastExit = this.lastExit;
    return s;
  }
}

/** A one-line reason for an ffmpeg exit with the camera URL (and any credentials in it) removed. */
export function describeExit(exit: StreamExit, url: string): string {
  if (exit.stopped) return "stopped";
  const last = [...exit.stderrTail].reverse().find((l) => l.trim().length > 0 && !/^\s*frame=/.test(l)) ?? "";
  const redacted = last
    .split(url)
    .join("<url>")
    .replace(/[a-z]+:\/\/[^\s'"]*/gi, "<url>")
    .slice(0, 200);
  return exit.code === 0 ? `ended: ${redacted}` : `exit ${exit.code ?? "signal"}: ${redacted}`;
}
