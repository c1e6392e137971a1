import type { Readable } from "node:stream";
import ffmpeg from "fluent-ffmpeg";
import { ffmpegPath } from "./ffmpeg-path.js";
import { type CutFrame, FrameCutter, StderrParser, type StreamGeometry } from "./frame-cutter.js";
import { ffmpegInput, inputOptions, outputOptions, type RtspTransport } from "./source.js";

/** How one ffmpeg run ended. */
export interface StreamExit {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  /** True when we stopped it (stop(), stall or shutdown) rather than ffmpeg ending on its own. */
  stopped: boolean;
  /** Frames delivered during this run. */
  frames: number;
  /** Bytes of a torn frame left on the pipe when ffmpeg ended (dropped, never delivered). */
  tornBytes: number;
  /** The last lines of ffmpeg's stderr (never logged as-is: it may contain the URL). */
  stderrTail: string[];
  /** The RTSP server refused the requested lower transport (for example RTSP over TCP). */
  transportRefused: boolean;
}

export interface FfmpegStreamOptions {
  url: string;
  loop: boolean;
  fps?: number | undefined;
  rtspTransport: RtspTransport;
  onGeometry(geometry: StreamGeometry): void;
  onFrame(frame: CutFrame, geometry: StreamGeometry): void;
  onExit(exit: StreamExit): void;
}

const TAIL_LINES = 30;
const TRANSPORT_REFUSED = /Server returned 4(?:00|61)|Unsupported transport|Nonmatching transport/i;

/**
 * One ffmpeg child decoding one camera to grey raw frames on stdout. It lives for one connection: when
 * ffmpeg ends for any reason, onExit fires once and the supervisor decides whether and when to start another.
 */
export class FfmpegStream {
  private readonly command: ffmpeg.FfmpegCommand;
  private readonly parser = new StderrParser();
  private readonly cutter: FrameCutter;
  private readonly tail: string[] = [];
  private geometry: StreamGeometry | undefined;
  private frames = 0;
  private stopped = false;
  private exited = false;
  private transportRefused = false;
  private spawned = false;

  constructor(private readonly options: FfmpegStreamOptions) {
    this.cutter = new FrameCutter((frame) => {
      this.frames++;
      options.onFrame(frame, this.geometry!);
    });
    this.command = ffmpeg({ stdoutLines: 20 })
      .setFfmpegPath(ffmpegPath())
      .input(ffmpegInput(options.url))
      .inputOptions(inputOptions({ url: options.url, loop: options.loop }, options.rtspTransport))
      .outputOptions(outputOptions(options.fps));
    this.command.on("stderr", (line: string) => this.stderrLine(line));
    // fluent-ffmpeg spawns after an asynchronous capability check: a stop() that came first is applied here.
    this.command.on("start", () => {
      this.spawned = true;
      if (this.stopped) this.command.kill("SIGKILL");
    });
    this.command.on("error", (err: Error) => this.finish(err));
    this.command.on("end", () => this.finish(undefined));
    const out = this.command.pipe() as Readable;
    out.on("data", (chunk: Buffer) => {
      if (!this.cutter.bytes(chunk)) this.stop();
    });
    out.on("error", () => {});
  }

  private stderrLine(line: string): void {
    const ptsS = this.parser.line(line);
    if (ptsS !== undefined) {
      this.cutter.timestamp(ptsS);
      return;
    }
    if (!this.geometry && this.parser.geometry) {
      this.geometry = this.parser.geometry;
      this.options.onGeometry(this.geometry);
      this.cutter.setGeometry(this.geometry);
    }
    if (TRANSPORT_REFUSED.test(line)) this.transportRefused = true;
    if (/^(?:demuxer|decoder|filter|encoder|muxer)\b/.test(line)) return;
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
  }

  private finish(err: Error | undefined): void {
    if (this.exited) return;
    this.exited = true;
    // Frames fully on the pipe still count; a torn remainder is dropped.
    if (!this.stopped) this.cutter.end();
    const code = err ? Number(/exited with code (\d+)/.exec(err.message)?.[1] ?? Number.NaN) : 0;
    this.options.onExit({
      code: Number.isNaN(code) ? null : code,
      stopped: this.stopped,
      frames: this.frames,
      tornBytes: this.cutter.partialBytes,
      stderrTail: this.tail,
      transportRefused: this.transportRefused,
    });
  }

  /** Kills ffmpeg (SIGKILL: a stalled network read may ignore gentler signals); onExit still fires. */
  stop(): void {
    if (this.exited || this.stopped) return;
    this.stopped = true;
    if (this.spawned) this.command.kill("SIGKILL");
  }

  get running(): boolean {
    return !this.exited;
  }
}
