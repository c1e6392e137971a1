/**
 * A minimal tracker with the contract of src/tracking/tracker.ts, used by the pipeline tests until the
 * real one is merged: one pass per plate, ended when the plate is unseen for `gapMs` of capture time.
 */
import type { FinalRead, FrameRead, ProvisionalRead } from "../src/domain/index.js";
import type { TrackedRead, TrackerLike, TrackerOptions } from "../src/pipeline/contracts.js";

interface Pass {
  id: string;
  plate: string;
  first: { frame: number; ms: number };
  last: { frame: number; ms: number; read: FrameRead };
  frames: number;
}

export class StubTracker implements TrackerLike {
  private readonly passes = new Map<string, Pass>();
  private seq = 0;
  constructor(
    private readonly options: TrackerOptions,
    private readonly gapMs = 500,
  ) {}

  push(frameIndex: number, captureTimeMs: number, reads: FrameRead[]): TrackedRead[] {
    const out: TrackedRead[] = [];
    for (const read of reads) {
      let pass = this.passes.get(read.plate);
      if (!pass) {
        pass = {
          id: `${this.options.cameraId}-${++this.seq}`,
          plate: read.plate,
          first: { frame: frameIndex, ms: captureTimeMs },
          last: { frame: frameIndex, ms: captureTimeMs, read },
          frames: 0,
        };
        this.passes.set(read.plate, pass);
        const p: ProvisionalRead = {
          kind: "provisional",
          passId: pass.id,
          cameraId: this.options.cameraId,
          captureTimeMs,
          frameIndex,
          plate: read.plate,
          confidence: read.confidence,
          candidates: read.candidates,
          box: read.box,
        };
        out.push(p);
      }
      pass.last = { frame: frameIndex, ms: captureTimeMs, read };
      pass.frames++;
    }
    for (const pass of [...this.passes.values()]) {
      if (captureTimeMs - pass.last.ms > this.gapMs) out.push(this.finish(pass));
    }
    return out;
  }

  flush(): TrackedRead[] {
    return [...this.passes.values()].map((p) => this.finish(p));
  }

  private finish(pass: Pass): FinalRead {
    this.passes.delete(pass.plate);
    return {
      kind: "final",
      passId: pass.id,
      cameraId: this.options.cameraId,
      plate: pass.plate,
      confidence: pass.last.read.confidence,
      charConfidences: pass.last.read.charConfidences,
      candidates: pass.last.read.candidates,
      captureTimeMs: pass.last.ms,
      firstCaptureMs: pass.first.ms,
      lastCaptureMs: pass.last.ms,
      firstFrame: pass.first.frame,
      lastFrame: pass.last.frame,
      framesRead: pass.frames,
      direction: this.options.direction,
      box: pass.last.read.box,
      engineVersion: this.options.engineVersion,
    };
  }
}
