import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Box, FrameRead } from "../domain/index.js";
import { ingestMetrics } from "../ingest/metrics.js";
import { logger } from "../log/index.js";
import type { RecogniserOptions } from "./contracts.js";
import type { FromWorker, ToWorker, WorkerInit } from "./recognise.worker.js";

/** A frame waiting for a worker: its bytes are still in the camera's pooled frame buffer. */
export interface FrameJob {
  widthPx: number;
  heightPx: number;
  roi?: Box | undefined;
  /** widthPx × heightPx grey bytes; valid until `release()`. */
  pixels: Uint8Array;
  /** Gives the frame buffer back to its pool: called once the bytes are in a worker (or refused). */
  release(): void;
  done(outcome: JobOutcome): void;
}

export type JobOutcome =
  | { ok: true; reads: FrameRead[]; recogniseMs: number; stageMs?: Record<string, number> | undefined }
  | { ok: false; reason: "worker_lost" | "oversize" | "invalid_frame" };

/** Where idle workers take their next frame from (the camera manager's fair scheduler). */
export interface JobSource {
  next(): FrameJob | undefined;
}

export interface WorkerPoolOptions {
  /** Threads; 0 means one per core. */
  size: number;
  recogniser: RecogniserOptions;
  /** URL of the module exporting `Recogniser`; defaults to src/recognition/recogniser. */
  recogniserModule?: string;
}

const here = new URL(".", import.meta.url);
const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

export function defaultRecogniserModule(): string {
  return new URL(`../recognition/recogniser${ext}`, here).href;
}

/**
 * Starts a worker thread. From built JavaScript the `.worker.js` file runs directly; from TypeScript
 * sources (tests, tsx) a tiny bootstrap registers tsx inside the thread first.
 */
function spawnWorker(init: WorkerInit): Worker {
  const entry = new URL(`./recognise.worker${ext}`, here);
  if (ext === ".js") return new Worker(entry, { workerData: init });
  const boot = `import("tsx/esm/api").then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true, workerData: init });
}

interface Slot {
  worker: Worker;
  view: Uint8Array | undefined;
  job: FrameJob | undefined;
  jobId: number;
  ready: boolean;
  retired: boolean;
}

/**
 * A fixed pool of recogniser threads, each with its own wasm instance. A worker takes one frame at a time:
 * its bytes are copied from the camera's frame buffer into the worker's frame slot (the one copy a frame gets), and
 * a message carries only geometry. A worker that dies or traps is replaced; its frame is counted lost.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private source: JobSource | undefined;
  private nextJobId = 1;
  private closed = false;
  private startFailures = 0;
  private readonly log = logger("workers");
  readonly size: number;
  private readonly init: WorkerInit;
  /** Bytes a frame may have: the smallest slot of any worker. */
  capacityBytes = 0;

  constructor(options: WorkerPoolOptions) {
    this.size = options.size > 0 ? options.size : availableParallelism();
    this.init = {
      recogniserModule: options.recogniserModule ?? defaultRecogniserModule(),
      options: options.recogniser,
    };
  }

  /** Starts every worker; rejects if the first one cannot load its recogniser (a build or config fault). */
  async start(source: JobSource): Promise<void> {
    this.source = source;
    const ready: Promise<void>[] = [];
    for (let i = 0; i < this.size; i++) ready.push(this.spawn());
    await Promise.all(ready);
  }

  private spawn(): Promise<void> {
    const slot: Slot = {
      worker: spawnWorker(this.init),
      view: undefined,
      job: undefined,
      jobId: 0,
      ready: false,
      retired: false,
    };
    this.slots.push(slot);
    return new Promise((resolve, reject) => {
      slot.worker.on("message", (msg: FromWorker) => {
        if (msg.type === "ready") {
          slot.view = new Uint8Array(msg.memory.buffer, msg.slotOffset, msg.capacityBytes);
          this.capacityBytes =
            this.capacityBytes === 0 ? msg.capacityBytes : Math.min(this.capacityBytes, msg.capacityBytes);
          slot.ready = true;
          this.startFailures = 0;
          resolve();
          this.kick();
        } else if (msg.type === "result") {
          if (msg.jobId !== slot.jobId || !slot.job) return;
          const job = slot.job;
          slot.job = undefined;
          job.done({ ok: true, reads: msg.reads, recogniseMs: msg.recogniseMs, stageMs: msg.stageMs });
          this.kick();
        } else if (msg.type === "rejected") {
          if (msg.jobId !== slot.jobId || !slot.job) return;
          const job = slot.job;
          slot.job = undefined;
          this.log.warn({ err: msg.message }, "recogniser rejected a frame");
          job.done({ ok: false, reason: "invalid_frame" });
          this.kick();
        } else if (msg.type === "trap") {
          this.log.error({ err: msg.message }, "recogniser trapped; replacing worker");
        }
      });
      slot.worker.on("error", (err) => {
        this.log.error({ err }, "recogniser worker error");
        if (!slot.ready) reject(err);
      });
      slot.worker.on("exit", (code) => {
        const wasReady = slot.ready;
        this.slots.splice(this.slots.indexOf(slot), 1);
        const job = slot.job;
        slot.job = undefined;
        if (job) job.done({ ok: false, reason: "worker_lost" });
        if (this.closed || slot.retired) return;
        if (!wasReady) {
          reject(new Error(`recogniser worker exited with code ${code} before it was ready`));
          this.startFailures++;
        }
        ingestMetrics.workerRestarts.inc();
        // A worker that cannot even start again is retried with growing delays rather than in a tight loop.
        const delayMs = this.startFailures === 0 ? 0 : Math.min(30_000, 250 * 2 ** this.startFailures);
        setTimeout(() => {
          if (!this.closed) this.spawn().catch(() => {});
        }, delayMs).unref();
        this.kick();
      });
    });
  }

  /** Hands queued frames to idle workers. Call whenever a frame is queued. */
  kick(): void {
    if (!this.source || this.closed) return;
    for (const slot of this.slots) {
      if (!slot.ready || slot.job || !slot.view) continue;
      let job = this.source.next();
      while (job && job.widthPx * job.heightPx > slot.view.length) {
        job.release();
        job.done({ ok: false, reason: "oversize" });
        job = this.source.next();
      }
      if (!job) return;
      slot.view.set(job.pixels);
      job.release();
      slot.job = job;
      slot.jobId = this.nextJobId++;
      const msg: ToWorker = {
        type: "frame",
        jobId: slot.jobId,
        widthPx: job.widthPx,
        heightPx: job.heightPx,
      };
      if (job.roi) msg.roi = job.roi;
      slot.worker.postMessage(msg);
    }
  }

  /** Workers ready now (a crashed one is missing until its replacement has loaded). */
  get readyWorkers(): number {
    return this.slots.filter((s) => s.ready).length;
  }

  /** Ends one worker abruptly, as a crash would (operations and tests: the pool must replace it). */
  async terminateWorker(index: number): Promise<void> {
    const slot = this.slots.filter((s) => s.ready)[index];
    if (slot) await slot.worker.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
