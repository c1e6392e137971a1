import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, type OnReadOpts, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ffmpeg from "fluent-ffmpeg";
import { ffmpegPath } from "./ffmpeg-path.js";
import { type CutFrame, FrameCutter, StderrParser, type StreamGeometry } from "./frame-cutter.js";
import type { FramePool } from "./frame-pool.js";
import {
  ffmpegInput,
  inputOptions,
  outputOptions,
  type RtspTransport,
  timestampOutputOptions,
} from "./source.js";

/** How one ffmpeg run ended. */
export interface StreamExit {
  /** Exit code, or null when killed by a signal (or never started). */
  code: number | null;
  /** True when we stopped it (stop(), stall or shutdown) rather than ffmpeg ending on its own. */
  stopped: boolean;
  /** Frames delivered during this run. */
  frames: number;
  /** Bytes of a torn frame left on the socket when ffmpeg ended (dropped, never delivered). */
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
  /** Frame buffers (a camera keeps one pool across restarts); a private pool when absent. */
  pool?: FramePool;
  onGeometry(geometry: StreamGeometry): void;
  /** The frame's buffer belongs to the receiver until it calls `frame.release()`. */
  onFrame(frame: CutFrame, geometry: StreamGeometry): void;
  onExit(exit: StreamExit): void;
}

const TAIL_LINES = 30;
/**
 * Decoders run at a lower CPU priority (nice 5) than the recognisers: a decoder's work is steady and the
 * socket buffers a short delay, while recognition comes in bursts when vehicles arrive and a late result
 * means a dropped frame. On the 2-core bench the 8-stream trial went from 3% of frames dropped to 0–0.6%.
 */
const DECODER_NICENESS = 5;
const TRANSPORT_REFUSED = /Server returned 4(?:00|61)|Unsupported transport|Nonmatching transport/i;
/** First delay between attempts to connect to ffmpeg's socket; doubles up to the maximum. */
const CONNECT_RETRY_MS = 10;
const CONNECT_RETRY_MAX_MS = 200;

/**
 * One ffmpeg child decoding one camera to grey raw frames, spawned and supervised by fluent-ffmpeg. It
 * lives for one connection: when ffmpeg ends for any reason, onExit fires once and the supervisor decides
 * whether and when to start another.
 *
 * ffmpeg has two outputs, each its own `unix` protocol with `-listen 1`: ffmpeg listens on a fresh Unix
 * socket path and node connects (retrying until ffmpeg has opened its input and listens). Both are read
 * with caller-supplied buffers (`net.Socket` `onread`), so no buffer is allocated per read:
 * - frames: every read lands in the frame being assembled (a child's stdout pipe allocates a new buffer
 *   for every 64 KB read, about 15 per 720p frame). Not read until ffmpeg has printed the frame size on
 *   stderr, which it does before writing any frame.
 * - timestamps: `mkvtimestamp_v2`, one line per frame with its pts in ms. Read only while a frame waits
 *   for its timestamp, so one read a frame or fewer.
 * stderr (fluent-ffmpeg's `stderr` line events) carries the frame size and errors: a few lines a run.
 */
export class FfmpegStream {
  private readonly command: ffmpeg.FfmpegCommand;
  private readonly parser = new StderrParser();
  private readonly cutter: FrameCutter;
  private readonly tail: string[] = [];
  /** A private (0700) directory for this run's sockets, removed when the run ends. */
  private readonly dir = mkdtempSync(join(tmpdir(), "kestrel-ingest-"));
  private readonly tsBuf = Buffer.allocUnsafe(4096);
  private tsRest = "";
  private geometry: StreamGeometry | undefined;
  private frames = 0;
  private stopped = false;
  private exited = false;
  private transportRefused = false;
  private spawned = false;
  private reader: Socket | undefined;
  private tsReader: Socket | undefined;
  /** Sockets connecting, connected, or waiting to retry. */
  private readonly open = new Set<Socket | NodeJS.Timeout>();
  private childExited = false;
  private exitCode: number | null = null;

  constructor(private readonly options: FfmpegStreamOptions) {
    this.cutter = new FrameCutter(
      (frame) => {
        this.frames++;
        options.onFrame(frame, this.geometry!);
      },
      { ...(options.pool ? { pool: options.pool } : {}), onAwaitingPts: () => this.tsReader?.resume() },
    );
    this.command = ffmpeg({ stdoutLines: TAIL_LINES, niceness: DECODER_NICENESS })
      .setFfmpegPath(ffmpegPath())
      .input(ffmpegInput(options.url))
      .inputOptions(inputOptions({ url: options.url, loop: options.loop }, options.rtspTransport))
      .output(`unix:${join(this.dir, "frames.sock")}`)
      .outputOptions([...outputOptions(options.fps), "-listen", "1"])
      .output(`unix:${join(this.dir, "pts.sock")}`)
      .outputOptions([...timestampOutputOptions(options.fps), "-listen", "1"]);
    this.command.on("stderr", (line: string) => this.stderrLine(line));
    // fluent-ffmpeg spawns after an asynchronous capability check: a stop() that came first is applied here.
    this.command.on("start", () => {
      this.spawned = true;
      if (this.stopped) {
        this.command.kill("SIGKILL");
        return;
      }
      // ffmpeg opens its outputs in order, each waiting for its connection.
      this.dial("frames.sock", this.framesOnRead(), (sock) => {
        this.reader = sock;
        // Nothing is read until ffmpeg has printed the frame size (see stderrLine).
        if (!this.geometry) sock.pause();
      });
      this.dial("pts.sock", { buffer: this.tsBuf, callback: (n) => this.tsBytes(n) }, (sock) => {
        this.tsReader = sock;
      });
    });
    this.command.on("error", (err: Error) => this.childEnded(err));
    this.command.on("end", () => this.childEnded(undefined));
    this.command.run();
  }

  private framesOnRead(): OnReadOpts {
    return {
      buffer: () => this.cutter.readBuffer(),
      callback: (n, buf) => {
        if (!this.cutter.read(n, buf)) this.stop();
        return true;
      },
    };
  }

  /**
   * Connects to one of ffmpeg's listening sockets, retrying until it listens (ffmpeg opens its input
   * first, which may take seconds), ffmpeg ends, or stop().
   */
  private dial(
    name: string,
    onread: OnReadOpts,
    onSocket: (sock: Socket) => void,
    retryMs = CONNECT_RETRY_MS,
  ): void {
    if (this.stopped || this.childExited) return;
    let connected = false;
    const sock = createConnection({ path: join(this.dir, name), onread });
    this.open.add(sock);
    onSocket(sock);
    sock.on("connect", () => {
      connected = true;
    });
    sock.on("error", () => {});
    sock.on("close", () => {
      this.open.delete(sock);
      if (!connected && !this.stopped && !this.childExited) {
        const timer = setTimeout(() => {
          this.open.delete(timer);
          this.dial(name, onread, onSocket, Math.min(retryMs * 2, CONNECT_RETRY_MAX_MS));
        }, retryMs);
        this.open.add(timer);
        return;
      }
      this.maybeFinish();
    });
  }

  /** Timestamp lines (`# timecode format v2`, then one pts in ms per frame). */
  private tsBytes(n: number): boolean {
    const text = this.tsRest + this.tsBuf.toString("latin1", 0, n);
    let from = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", from)) {
      const line = text.slice(from, nl);
      from = nl + 1;
      if (line.length > 0 && line.charCodeAt(0) !== 35 /* # */) {
        const ms = Number(line);
        this.cutter.timestamp(Number.isFinite(ms) ? ms / 1000 : Number.NaN);
      }
    }
    this.tsRest = text.slice(from);
    // Once framing has started, read only while a frame waits for its timestamp (or to drain at the end).
    if (this.geometry && !this.childExited && !this.cutter.awaitingPts) this.tsReader?.pause();
    return true;
  }

  private stderrLine(line: string): void {
    if (!this.geometry) {
      this.parser.line(line);
      if (this.parser.geometry) {
        this.geometry = this.parser.geometry;
        this.options.onGeometry(this.geometry);
        this.cutter.setGeometry(this.geometry);
        if (!this.stopped) this.reader?.resume();
      }
    }
    if (TRANSPORT_REFUSED.test(line)) this.transportRefused = true;
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
  }

  /** fluent-ffmpeg's `end` or `error`: ffmpeg exited (all of stderr is in) or never started. */
  private childEnded(err: Error | undefined): void {
    if (this.childExited) return;
    this.childExited = true;
    if (err) {
      const m = /exited with code (\d+)/.exec(err.message);
      this.exitCode = m ? Number(m[1]) : null;
      // A spawn failure (no ffmpeg binary) says so only here.
      if (!m && !err.message.includes("killed with signal")) this.tail.push(err.message);
    } else this.exitCode = 0;
    this.cancelRetries();
    // Drain the last timestamps.
    this.tsReader?.resume();
    this.maybeFinish();
  }

  private cancelRetries(): void {
    for (const item of this.open) {
      if (!(item instanceof Socket)) {
        clearTimeout(item);
        this.open.delete(item);
      }
    }
  }

  private maybeFinish(): void {
    if (this.exited || this.open.size > 0 || !this.childExited) return;
    this.exited = true;
    // ffmpeg unlinks its sockets on a clean exit, not when killed.
    rmSync(this.dir, { recursive: true, force: true });
    // Frames fully read still count; a torn remainder is dropped.
    if (this.stopped) this.cutter.discard();
    else this.cutter.end();
    this.options.onExit({
      code: this.exitCode,
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
    this.cancelRetries();
    for (const item of this.open) if (item instanceof Socket) item.destroy();
    // Before fluent-ffmpeg has spawned, its `start` handler sees `stopped` and kills the child at once.
    if (this.spawned) this.command.kill("SIGKILL");
  }

  get running(): boolean {
    return !this.exited;
  }
}
