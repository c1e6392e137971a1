/**
 * Cuts ffmpeg's raw grey output into exact frames and pairs each with its presentation time.
 *
 * stdout carries frames back to back (width x height bytes each, no headers); stderr (with `-debug_ts`)
 * announces every frame handed to the rawvideo encoder with its pts. The two pipes are read independently,
 * so the n-th frame waits here for the n-th timestamp (or the other way round). Frames are kept as lists of
 * slices of the pipe's own buffers: cutting copies nothing, and the one copy happens later, straight into a
 * worker's wasm frame slot.
 */

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
  /** Slices of pipe buffers that together hold exactly widthPx * heightPx bytes. */
  parts: Buffer[];
}

const OUTPUT_HEADER = /^Output #0\b/;
const OUTPUT_VIDEO = /Video: rawvideo\b.*?, (\d+)x(\d+)[ ,]/;
const OUTPUT_FPS = /, ([\d.]+) fps\b/;
const ENCODER_TS = /encoder <- type:video frame_pts:\S+ frame_pts_time:(\S+)/;

/** Parses the lines of ffmpeg's stderr that matter for framing: the output geometry and per-frame pts. */
export class StderrParser {
  private inOutput = false;
  geometry: StreamGeometry | undefined;

  /** Returns the pts in seconds when the line announces a frame, else undefined. */
  line(text: string): number | undefined {
    const ts = ENCODER_TS.exec(text);
    if (ts) {
      const ptsS = Number(ts[1]);
      return Number.isFinite(ptsS) ? ptsS : Number.NaN;
    }
    if (!this.geometry) {
      if (OUTPUT_HEADER.test(text)) this.inOutput = true;
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
    return undefined;
  }
}

export interface FrameCutterOptions {
  /** Bytes held while the frame size is still unknown; beyond this the stream is declared broken. */
  maxUnframedBytes?: number;
  /** Complete frames held waiting for their timestamps before the pts is extrapolated instead. */
  maxFramesAwaitingPts?: number;
}

export class FrameCutter {
  private frameBytes = 0;
  private geometry: StreamGeometry | undefined;
  private parts: Buffer[] = [];
  private partBytes = 0;
  private unframed: Buffer[] = [];
  private unframedBytes = 0;
  private readonly awaiting: CutFrame[] = [];
  private readonly times: number[] = [];
  private nextIndex = 0;
  private lastPtsS = Number.NaN;
  private readonly maxUnframedBytes: number;
  private readonly maxAwaiting: number;
  /** Frames whose pts had to be extrapolated (ffmpeg did not announce them in time). */
  estimatedPts = 0;

  constructor(
    private readonly onFrame: (frame: CutFrame) => void,
    options: FrameCutterOptions = {},
  ) {
    this.maxUnframedBytes = options.maxUnframedBytes ?? 64 * 1024 * 1024;
    this.maxAwaiting = options.maxFramesAwaitingPts ?? 8;
  }

  get frameSizeBytes(): number {
    return this.frameBytes;
  }

  /** Sets the frame size once ffmpeg has printed it; bytes that arrived before are framed now. */
  setGeometry(geometry: StreamGeometry): void {
    if (this.geometry) return;
    this.geometry = geometry;
    this.frameBytes = geometry.widthPx * geometry.heightPx;
    const early = this.unframed;
    this.unframed = [];
    this.unframedBytes = 0;
    for (const chunk of early) this.bytes(chunk);
  }

  /** Feeds a stdout chunk. Returns false when too many bytes arrived before the frame size was known. */
  bytes(chunk: Buffer): boolean {
    if (this.frameBytes === 0) {
      this.unframed.push(chunk);
      this.unframedBytes += chunk.length;
      return this.unframedBytes <= this.maxUnframedBytes;
    }
    let offset = 0;
    while (offset < chunk.length) {
      const need = this.frameBytes - this.partBytes;
      const take = Math.min(need, chunk.length - offset);
      this.parts.push(chunk.subarray(offset, offset + take));
      this.partBytes += take;
      offset += take;
      if (this.partBytes === this.frameBytes) {
        const frame: CutFrame = { index: this.nextIndex++, ptsS: 0, ptsEstimated: false, parts: this.parts };
        this.parts = [];
        this.partBytes = 0;
        this.awaiting.push(frame);
      }
    }
    this.release();
    return true;
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
    return this.partBytes;
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
}
