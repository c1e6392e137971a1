import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ffmpeg from "fluent-ffmpeg";
import { ffmpegPath } from "./ffmpeg-path.js";
import { type CutFrame, FrameCutter, StderrParser, type StreamGeometry } from "./frame-cutter.js";
import type { FramePool } from "./frame-pool.js";
import { ffmpegInput, inputOptions, outputOptions, type RtspTransport } from "./source.js";

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
const TRANSPORT_REFUSED = /Server returned 4(?:00|61)|Unsupported transport|Nonmatching transport/i;
/** `-debug_ts` lines (eight a frame): never kept in the tail, never matched against a regex. */
const DEBUG_TS_PREFIXES = ["encoder ", "muxer ", "filter ", "decoder ", "demuxer"];
/** First delay between attempts to connect to ffmpeg's socket; doubles up to the maximum. */
const CONNECT_RETRY_MS = 10;
const CONNECT_RETRY_MAX_MS = 200;

function isDebugTs(line: string): boolean {
  for (const prefix of DEBUG_TS_PREFIXES) if (line.startsWith(prefix)) return true;
  return false;
}

/**
 * One ffmpeg child decoding one camera to grey raw frames, spawned and supervised by fluent-ffmpeg. It
 * lives for one connection: when ffmpeg ends for any reason, onExit fires once and the supervisor decides
 * whether and when to start another.
 *
 * ffmpeg's output is its own `unix` protocol with `-listen 1`: ffmpeg listens on a fresh Unix socket
 * path and node connects to it (retrying until ffmpeg has opened its input and listens), reading with
 * caller-supplied buffers (`net.Socket` `onread`). Every read lands in the frame being assembled, so no
 * buffer is allocated per read (a child's stdout pipe allocates a new one for every 64 KB read, about 15
 * per 720p frame). The socket is not read until ffmpeg has printed the frame size on stderr, which it does
 * before writing any frame. stderr (fluent-ffmpeg's `stderr` line events) carries the frame size and,
 * with `-debug_ts`, each frame's pts.
 */
export class FfmpegStream {
  private readonly command: ffmpeg.FfmpegCommand;
  private readonly parser = new StderrParser();
  private readonly cutter: FrameCutter;
  private readonly tail: string[] = [];
  /** A private (0700) directory for this run's socket, removed when the run ends. */
  private readonly dir = mkdtempSync(join(tmpdir(), "kestrel-ingest-"));
  private readonly path = join(this.dir, "frames.sock");
  private geometry: StreamGeometry | undefined;
  private frames = 0;
  private stopped = false;
  private exited = false;
  private transportRefused = false;
  private spawned = false;
  /** The socket to ffmpeg's output, while connecting or connected. */
  private reader: Socket | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = CONNECT_RETRY_MS;
  private readerClosed = false;
  private childExited = false;
  private exitCode: number | null = null;

  constructor(private readonly options: FfmpegStreamOptions) {
    this.cutter = new FrameCutter(
      (frame) => {
        this.frames++;
        options.onFrame(frame, this.geometry!);
      },
      options.pool ? { pool: options.pool } : {},
    );
    this.command = ffmpeg({ stdoutLines: TAIL_LINES })
      .setFfmpegPath(ffmpegPath())
      .input(ffmpegInput(options.url))
      .inputOptions(inputOptions({ url: options.url, loop: options.loop }, options.rtspTransport))
      .output(`unix:${this.path}`)
      .outputOptions([...outputOptions(options.fps), "-listen", "1"]);
    this.command.on("stderr", (line: string) => this.stderrLine(line));
    // fluent-ffmpeg spawns after an asynchronous capability check: a stop() that came first is applied here.
    this.command.on("start", () => {
      this.spawned = true;
      if (this.stopped) this.command.kill("SIGKILL");
      else this.connect();
    });
    this.command.on("error", (err: Error) => this.childEnded(err));
    this.command.on("end", () => this.childEnded(undefined));
    this.command.run();
  }

  /** Connects to ffmpeg's listening output socket, retrying until it exists, ffmpeg ends, or stop(). */
  private connect(): void {
    this.retryTimer = undefined;
    if (this.stopped || this.childExited) {
      this.readerClosed = true;
      this.maybeFinish();
      return;
    }
    let connected = false;
    const sock = createConnection({
      path: this.path,
      onread: {
        buffer: () => this.cutter.readBuffer(),
        callback: (n, buf) => {
          if (!this.cutter.read(n, buf)) this.stop();
          return true;
        },
      },
    });
    this.reader = sock;
    // Nothing is read until ffmpeg has printed the frame size (see stderrLine).
    if (!this.geometry) sock.pause();
    sock.on("connect", () => {
      connected = true;
    });
    sock.on("error", () => {});
    sock.on("close", () => {
      this.reader = undefined;
      // Not listening yet (ENOENT, ECONNREFUSED): ffmpeg opens its input first, which may take seconds.
      if (!connected && !this.stopped && !this.childExited) {
        this.retryTimer = setTimeout(() => this.connect(), this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, CONNECT_RETRY_MAX_MS);
        return;
      }
      this.readerClosed = true;
      this.maybeFinish();
    });
  }

  /** No socket connecting or connected, and none coming: the output side is done. */
  private closeOutput(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (!this.reader) this.readerClosed = true;
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
      if (!this.stopped) this.reader?.resume();
    }
    if (isDebugTs(line)) return;
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
    this.closeOutput();
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.exited || !this.readerClosed || !this.childExited) return;
    this.exited = true;
    // ffmpeg unlinks its socket on a clean exit, not when killed.
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
    this.closeOutput();
    this.reader?.destroy();
    // Before fluent-ffmpeg has spawned, its `start` handler sees `stopped` and kills the child at once.
    if (this.spawned) this.command.kill("SIGKILL");
  }

  get running(): boolean {
    return !this.exited;
  }
}
