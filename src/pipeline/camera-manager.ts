import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CameraConfig, KestrelConfig } from "../config/index.js";
import type { ReadSink } from "../domain/index.js";
import { forgetCamera } from "../ingest/metrics.js";
import { logger } from "../log/index.js";
import { PACKAGE_ROOT } from "../paths.js";
import { Tracker } from "../tracking/tracker.js";
import { type BackoffOptions, DEFAULT_BACKOFF } from "./backoff.js";
import { Camera, type CameraStatus } from "./camera.js";
import type { TrackedRead, TrackerFactory } from "./contracts.js";
import { DEFAULT_SKIP, type SkipOptions } from "./frame-skip.js";
import { type FrameJob, type JobSource, WorkerPool } from "./worker-pool.js";

export interface CameraManagerOptions {
  recognition: KestrelConfig["recognition"];
  /** Builds each camera's tracker; defaults to src/tracking's Tracker. */
  trackerFactory?: TrackerFactory;
  /** Stamped on final reads; defaults to `kestrel-<package version>`. */
  engineVersion?: string;
  sinks?: ReadSink[];
  /** Module exporting `Recogniser` for the workers; defaults to src/recognition/recogniser. */
  recogniserModule?: string;
  /** Largest frame the workers accept (frame slot size). */
  maxWidthPx?: number;
  maxHeightPx?: number;
  skip?: SkipOptions;
  backoff?: Partial<BackoffOptions>;
  /** How often stalls are checked and decode fps computed. */
  tickMs?: number;
  maxSkewMs?: number;
}

export interface ApplyResult {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: string[];
}

/**
 * Runs the live cameras: one Camera (ffmpeg child, queue, tracker) per configured camera, one shared pool
 * of recogniser workers, and the read sinks. `apply` diffs a new camera list against the running one and
 * touches only cameras that were added, changed or removed (the lead wires SIGHUP and the gateway to it).
 */
export class CameraManager implements JobSource {
  private readonly cameras = new Map<string, Camera>();
  private readonly sinks: ReadSink[];
  private readonly pool: WorkerPool;
  private readonly log = logger("streams");
  private order: string[] = [];
  private cursor = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly backoff: BackoffOptions;
  private started = false;
  private readonly engineVersion: string;

  constructor(private readonly options: CameraManagerOptions) {
    this.sinks = [...(options.sinks ?? [])];
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.engineVersion = options.engineVersion ?? packageEngineVersion();
    this.pool = new WorkerPool({
      size: options.recognition.workers,
      recogniser: {
        region: options.recognition.region,
        topCandidates: options.recognition.topCandidates,
        maxWidthPx: options.maxWidthPx ?? 1920,
        maxHeightPx: options.maxHeightPx ?? 1080,
      },
      ...(options.recogniserModule ? { recogniserModule: options.recogniserModule } : {}),
    });
  }

  /** Starts the worker pool (rejects if the recogniser cannot load) and the supervision tick. */
  async start(): Promise<void> {
    await this.pool.start(this);
    this.started = true;
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const cam of this.cameras.values()) cam.tick(now);
    }, this.options.tickMs ?? 500);
    this.timer.unref();
  }

  addSink(sink: ReadSink): void {
    this.sinks.push(sink);
  }

  removeSink(sink: ReadSink): void {
    const i = this.sinks.indexOf(sink);
    if (i >= 0) this.sinks.splice(i, 1);
  }

  /** Brings the running cameras in line with `cameras`; unchanged cameras keep streaming untouched. */
  async apply(cameras: CameraConfig[]): Promise<ApplyResult> {
    const result: ApplyResult = { added: [], changed: [], removed: [], unchanged: [] };
    const wanted = new Map(cameras.map((c) => [c.id, c]));
    const stops: Promise<void>[] = [];
    for (const [id, cam] of this.cameras) {
      if (!wanted.has(id)) {
        result.removed.push(id);
        this.cameras.delete(id);
        stops.push(cam.stop().then(() => forgetCamera(id)));
      }
    }
    for (const config of cameras) {
      const running = this.cameras.get(config.id);
      if (running && sameConfig(running.config, config)) {
        result.unchanged.push(config.id);
        continue;
      }
      if (running) {
        result.changed.push(config.id);
        // The old camera finishes (and flushes its tracker) before the new one starts, so one vehicle
        // pass is never split across two trackers' final reads mid-reconfiguration.
        await running.stop();
      } else {
        result.added.push(config.id);
      }
      const cam = this.createCamera(config);
      this.cameras.set(config.id, cam);
      if (this.started) cam.start();
    }
    this.order = [...this.cameras.keys()];
    await Promise.all(stops);
    if (result.added.length + result.changed.length + result.removed.length > 0) {
      this.log.info(
        { added: result.added, changed: result.changed, removed: result.removed },
        "cameras reconfigured",
      );
    }
    return result;
  }

  private createCamera(config: CameraConfig): Camera {
    const r = this.options.recognition;
    return new Camera(config, {
      stallTimeoutMs: r.stallTimeoutMs,
      queueFrames: r.queueFramesPerCamera,
      provisionalConfidence: r.provisionalConfidence,
      minConfidence: r.minConfidence,
      engineVersion: this.engineVersion,
      skip: this.options.skip ?? DEFAULT_SKIP,
      backoff: this.backoff,
      maxSkewMs: this.options.maxSkewMs ?? 5000,
      trackerFactory: this.options.trackerFactory ?? ((o) => new Tracker(o)),
      kick: () => this.pool.kick(),
      emit: (read) => this.emit(read),
      log: this.log,
      now: Date.now,
    });
  }

  /** Round-robin over cameras so one busy camera cannot starve the others of workers. */
  next(): FrameJob | undefined {
    const n = this.order.length;
    for (let i = 0; i < n; i++) {
      const id = this.order[(this.cursor + i) % n]!;
      const job = this.cameras.get(id)?.nextJob();
      if (job) {
        this.cursor = (this.cursor + i + 1) % n;
        return job;
      }
    }
    return undefined;
  }

  private emit(read: TrackedRead): void {
    for (const sink of this.sinks) {
      try {
        if (read.kind === "provisional") sink.provisional?.(read);
        else sink.final?.(read);
      } catch (err) {
        // A sink must not throw; if one does, the others still get the read.
        this.log.error({ sink: sink.name, err }, "read sink threw");
      }
    }
  }

  status(): CameraStatus[] {
    return [...this.cameras.values()].map((c) => c.status());
  }

  get workers(): WorkerPool {
    return this.pool;
  }

  /** Stops every camera (final reads flushed to the sinks), then the workers. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all([...this.cameras.values()].map((c) => c.stop()));
    await this.pool.close();
  }
}

function packageEngineVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string };
  return `kestrel-${pkg.version}`;
}

function sameConfig(a: CameraConfig, b: CameraConfig): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
