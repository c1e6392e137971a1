/**
 * Cuts ffmpeg's raw grey output into exact frames and pairs each with its presentation time.
 *
 * ffmpeg's frames output carries frames back to back (width x height bytes each, no headers); its
 * timestamps output (`mkvtimestamp_v2`) one pts per frame written. The two are read independently, so
 * the n-th frame waits here for the n-th timestamp (or the other way round). The socket reads straight
 * into pooled frame buffers (`readBuffer()`), so framing neither allocates nor copies; the one copy a
 * recognised frame gets is later, into a worker's wasm frame slot.
 */
import { FramePool } from "./frame-pool.js";

export interface StreamGeometry {
  widthPx: number;
  heightPx: number;
  /** Nominal frame rate ffmpeg reports for the output (0 when unknown). */
  fps: number;
}

export interface CutFrame {
  /** 0-based index of the frame in this ffmpeg run. */
  index: number;
  /** Presentation time in seconds, in the stream's own clock (starts near 0). */
  ptsS: number;
  /** True when ffmpeg never announced this frame's pts and it was extrapolated from the frame rate. */
  ptsEstimated: boolean;
  /** Exactly widthPx * heightPx grey bytes, in a pooled buffer: valid until release(). */
  pixels: Uint8Array;
  /** Gives the buffer back to the pool (once copied, skipped or dropped). Idempotent. */
  release(): void;
}

const OUTPUT_VIDEO = /Video: rawvideo\b.*?, (\d+)x(\d+)[ ,]/;
const OUTPUT_FPS = /, ([\d.]+) fps\b/;

/** Parses the lines of ffmpeg's stderr that matter for framing: the frames output's geometry. */
export class StderrParser {
  private inOutput = false;
  geometry: StreamGeometry | undefined;

  line(text: string): void {
    if (!this.geometry) {
      // Output #0 is the frames; Output #1 (the timestamps, 2x2) must not be taken for it.
      if (text.startsWith("Output #")) this.inOutput = text.startsWith("Output #0,");
      else if (this.inOutput) {
        const m = OUTPUT_VIDEO.exec(text);
        if (m) {
          const fps = Number(OUTPUT_FPS.exec(text)?.[1] ?? 0);
          this.geometry = {
            widthPx: Number(m[1]),
            heightPx: Number(m[2]),
            fps: Number.isFinite(fps) ? fps : 0,
          };
        }
      }
    }
  }
}

export interface FrameCutterOptions {
  /** Bytes held while the frame size is still unknown; beyond this the stream is declared broken. */
  maxUnframedBytes?: number;
  /** Complete frames held waiting for their timestamps before the pts is extrapolated instead. */
  maxFramesAwaitingPts?: number;
  /** Where frame buffers come from (a camera keeps one pool across ffmpeg restarts). */
  pool?: FramePool;
  /** Called when a complete frame starts waiting for its timestamp. */
  onAwaitingPts?: () => void;
}

interface Frame extends CutFrame {
  released: boolean;
}

export class FrameCutter {
  private frameBytes = 0;
  private geometry: StreamGeometry | undefined;
  private readonly pool: FramePool;
  /** The frame being filled and how many of its bytes have arrived. */
  private current: Uint8Array | undefined;
  private filled = 0;
  /** Where reads go while the frame size is unknown (then copied: only at the start of a run). */
  private readonly scratch = new Uint8Array(64 * 1024);
  private unframed: Uint8Array[] = [];
  private unframedBytes = 0;
  private readonly awaiting: Frame[] = [];
  private readonly times: number[] = [];
  private nextIndex = 0;
  private lastPtsS = Number.NaN;
  private readonly maxUnframedBytes: number;
  private readonly maxAwaiting: number;
  private readonly onAwaitingPts: (() => void) | undefined;
  /** Frames whose pts had to be extrapolated (ffmpeg did not announce them in time). */
  estimatedPts = 0;

  constructor(
    private readonly onFrame: (frame: CutFrame) => void,
    options: FrameCutterOptions = {},
  ) {
    this.maxUnframedBytes = options.maxUnframedBytes ?? 64 * 1024 * 1024;
    this.maxAwaiting = options.maxFramesAwaitingPts ?? 8;
    this.pool = options.pool ?? new FramePool();
    this.onAwaitingPts = options.onAwaitingPts;
  }

  /** Complete frames are waiting for their timestamps. */
  get awaitingPts(): boolean {
    return this.awaiting.length > 0;
  }

  get frameSizeBytes(): number {
    return this.frameBytes;
  }

  /** Sets the frame size once ffmpeg has printed it; bytes that arrived before are framed now. */
  setGeometry(geometry: StreamGeometry): void {
    if (this.geometry) return;
    this.geometry = geometry;
    this.frameBytes = geometry.widthPx * geometry.heightPx;
    this.pool.setFrameBytes(this.frameBytes);
    const early = this.unframed;
    this.unframed = [];
    this.unframedBytes = 0;
    for (const chunk of early) this.bytes(chunk);
  }

  /**
   * The buffer the next read from ffmpeg's stdout should fill: the rest of the frame being assembled
   * (a read never crosses a frame boundary), or a scratch buffer while the frame size is unknown.
   */
  readBuffer(): Uint8Array {
    if (this.frameBytes === 0) return this.scratch;
    this.current ??= this.pool.acquire();
    return this.current.subarray(this.filled);
  }

  /** `n` bytes were read into `buf` (the last `readBuffer()`). Returns false as `bytes` does. */
  read(n: number, buf: Uint8Array): boolean {
    if (this.current && buf.buffer === this.current.buffer) {
      this.filled += n;
      if (this.filled === this.frameBytes) this.complete();
      this.release();
      return true;
    }
    return this.bytes(buf.subarray(0, n));
  }

  /** Feeds bytes from elsewhere (copied). Returns false when too many arrived before the frame size was known. */
  bytes(chunk: Uint8Array): boolean {
    if (this.frameBytes === 0) {
      this.unframed.push(chunk.slice());
      this.unframedBytes += chunk.length;
      return this.unframedBytes <= this.maxUnframedBytes;
    }
    let offset = 0;
    while (offset < chunk.length) {
      this.current ??= this.pool.acquire();
      const take = Math.min(this.frameBytes - this.filled, chunk.length - offset);
      this.current.set(chunk.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === this.frameBytes) this.complete();
    }
    this.release();
    return true;
  }

  private complete(): void {
    const pixels = this.current!;
    this.current = undefined;
    this.filled = 0;
    const pool = this.pool;
    const frame: Frame = {
      index: this.nextIndex++,
      ptsS: 0,
      ptsEstimated: false,
      pixels,
      released: false,
      release() {
        if (this.released) return;
        this.released = true;
        pool.release(pixels);
      },
    };
    this.awaiting.push(frame);
  }

  /** Feeds the pts of the next frame ffmpeg wrote. */
  timestamp(ptsS: number): void {
    this.times.push(ptsS);
    // Timestamps for frames that never arrive (stdout closed early) must not pile up without bound.
    if (this.times.length > 1024) this.times.shift();
    this.release();
  }

  /** Bytes of a partial frame left over (a torn last frame when ffmpeg dies mid-write). */
  get partialBytes(): number {
    return this.filled;
  }

  private release(): void {
    while (this.awaiting.length > 0) {
      const frame = this.awaiting[0]!;
      if (this.times.length > 0) {
        frame.ptsS = this.times.shift()!;
      } else if (this.awaiting.length > this.maxAwaiting) {
        const stepS = this.geometry?.fps ? 1 / this.geometry.fps : 0.04;
        frame.ptsS = Number.isNaN(this.lastPtsS) ? 0 : this.lastPtsS + stepS;
        frame.ptsEstimated = true;
        this.estimatedPts++;
      } else {
        this.onAwaitingPts?.();
        return;
      }
      if (Number.isNaN(frame.ptsS)) {
        frame.ptsS = Number.isNaN(this.lastPtsS) ? 0 : this.lastPtsS;
        frame.ptsEstimated = true;
      }
      this.lastPtsS = frame.ptsS;
      this.awaiting.shift();
      this.onFrame(frame);
    }
  }

  /** At end of stream: frames still waiting for a pts are released with extrapolated times. */
  end(): void {
    while (this.awaiting.length > 0) {
      const frame = this.awaiting.shift()!;
      const t = this.times.shift();
      if (t !== undefined && !Number.isNaN(t)) frame.ptsS = t;
      else {
        frame.ptsS = Number.isNaN(this.lastPtsS)
          ? 0
          : this.lastPtsS + (this.geometry?.fps ? 1 / this.geometry.fps : 0.04);
        frame.ptsEstimated = true;
        this.estimatedPts++;
      }
      this.lastPtsS = frame.ptsS;
      this.onFrame(frame);
    }
  }

  /** Frames still waiting for a timestamp give their buffers back (ffmpeg was stopped). */
  discard(): void {
    for (const frame of this.awaiting.splice(0)) frame.release();
  }
}
