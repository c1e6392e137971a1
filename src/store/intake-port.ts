import { Worker } from "node:worker_threads";
import type { RootDatabase } from "lmdb";
import { KestrelError } from "../errors/index.js";
import { batchTransfer, type IntakeBatch } from "./intake-batch.js";
import { IntakeWriter, type IntakeWriterOptions } from "./intake-writer.js";

/** Where the store's intake batches and merges are written: its writer thread, or the caller's thread. */
export interface IntakePort {
  /** Resolves once the batch has committed and been flushed; rejects with the commit's error. */
  write(batch: IntakeBatch): Promise<void>;
  /** Runs the plate-run merge steps due now (at most `maxSteps`); resolves with the steps taken. */
  compact(maxSteps: number): Promise<number>;
  /** Waits for a merge step under way, then lets go of the environment. */
  close(): Promise<void>;
}

export interface WriterInit {
  dataDir: string;
  mapSizeGiB: number;
  writer: IntakeWriterOptions;
}

export type ToWriter =
  | { type: "batch"; id: number; batch: IntakeBatch }
  | { type: "compact"; id: number; maxSteps: number }
  | { type: "close"; id: number };

export type FromWriter =
  | { id: number; ok: true; value: number | undefined }
  | { id: number; ok: false; message: string };

/** The writer on the caller's thread (tools, and tests that reach into it). */
export class InlineIntake implements IntakePort {
  readonly writer: IntakeWriter;
  constructor(root: RootDatabase, options: IntakeWriterOptions) {
    this.writer = new IntakeWriter(root, options);
  }
  write(batch: IntakeBatch): Promise<void> {
    return this.writer.write(batch);
  }
  compact(maxSteps: number): Promise<number> {
    return this.writer.compact(maxSteps);
  }
  close(): Promise<void> {
    return this.writer.close();
  }
}

const here = new URL(".", import.meta.url);
const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

/**
 * The writer in a worker thread of its own, so LMDB's puts and the commits run beside the caller's thread
 * (which keeps queuing, encoding and acknowledging reads, and answers queries). Each batch's buffers are
 * transferred, not copied. The worker holds the process open only while it has work. If it dies, what it
 * had in hand is rejected (never acknowledged) and the next request starts a new one.
 */
export class WorkerIntake implements IntakePort {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: number | undefined) => void; reject: (e: Error) => void }
  >();

  /** The thread starts with the first request: a store that only answers queries never needs one. */
  constructor(private readonly init: WriterInit) {}

  write(batch: IntakeBatch): Promise<void> {
    return this.request({ type: "batch", id: 0, batch }, batchTransfer(batch)).then(() => undefined);
  }

  compact(maxSteps: number): Promise<number> {
    return this.request({ type: "compact", id: 0, maxSteps }).then((v) => v ?? 0);
  }

  async close(): Promise<void> {
    if (!this.worker) return;
    const worker = this.worker;
    try {
      await this.request({ type: "close", id: 0 });
    } finally {
      this.worker = undefined;
      await worker.terminate();
    }
  }

  private request(msg: ToWriter, transfer: ArrayBuffer[] = []): Promise<number | undefined> {
    this.worker ??= this.spawn();
    const worker = this.worker;
    const id = this.nextId++;
    msg.id = id;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve, reject });
      worker.postMessage(msg, transfer);
    });
  }

  private spawn(): Worker {
    const entry = new URL(`./writer.worker${ext}`, here);
    // From TypeScript sources (tests, tsx) a tiny bootstrap registers tsx inside the thread first.
    const worker =
      ext === ".js"
        ? new Worker(entry, { workerData: this.init })
        : new Worker(
            `import("tsx/esm/api").then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`,
            { eval: true, workerData: this.init },
          );
    worker.unref();
    worker.on("message", (msg: FromWriter) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) worker.unref();
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new Error(msg.message));
    });
    const lost = (detail: string) => {
      if (this.worker === worker) this.worker = undefined;
      const err = new KestrelError("KESTREL_E_INTERNAL", `store writer thread stopped: ${detail}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on("error", (err) => lost(String(err?.message ?? err)));
    worker.on("exit", (code) => lost(`exit code ${code}`));
    return worker;
  }
}
