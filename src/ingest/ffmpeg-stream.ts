import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer, type OnReadOpts, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
  /** Frame buffers (a camera keeps one pool across restarts); a private pool when absent. */
  pool?: FramePool;
  onGeometry(geometry: StreamGeometry): void;
  /** The frame's buffer belongs to the receiver until it calls `frame.release()`. */
  onFrame(frame: CutFrame, geometry: StreamGeometry): void;
  onExit(exit: StreamExit): void;
}

const TAIL_LINES = 30;
const TRANSPORT_REFUSED = /Server returned 4(?:00|61)|Unsupported transport|Nonmatching transport/i;
const DEBUG_TS_LINE = /^(?:demuxer|decoder|filter|encoder|muxer)\b/;

let socketDir: string | undefined;
let socketSeq = 0;

/** A private (0700) directory for the per-run stdout sockets, removed when the process exits. */
function socketPath(): string {
  if (!socketDir) {
    const dir = mkdtempSync(join(tmpdir(), "kestrel-ingest-"));
    socketDir = dir;
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  return join(socketDir, `${process.pid}-${++socketSeq}.sock`);
}

/**
 * One ffmpeg child decoding one camera to grey raw frames. It lives for one connection: when ffmpeg ends
 * for any reason, onExit fires once and the supervisor decides whether and when to start another.
 *
 * ffmpeg's stdout and stderr are Unix-domain stream sockets whose other ends node reads with
 * caller-supplied buffers (`net.Socket` `onread`). Every stdout read lands in the frame being assembled,
 * so no buffer is allocated per read (a child's ordinary stdout pipe allocates a new one for every 64 KB
 * read, about 15 per 720p frame). stdout is not read until ffmpeg has printed the frame size, which it
 * does before writing any frame. stderr carries `-debug_ts`, eight lines per frame written one by one;
 * read as they come they woke node's loop about seven times a frame, so once the frame size is known
 * stderr is read only while a frame waits for its timestamp (written before the frame, so already there):
 * one read per frame.
 */
export class FfmpegStream {
  private readonly parser = new StderrParser();
  private readonly cutter: FrameCutter;
  private readonly tail: string[] = [];
  private geometry: StreamGeometry | undefined;
  private frames = 0;
  private stopped = false;
  private exited = false;
  private transportRefused = false;
  private server: Server | undefined;
  private reader: Socket | undefined;
  private errReader: Socket | undefined;
  /** ffmpeg's end of the stdout socket while the stderr one is being connected. */
  private pendingOut: Socket | undefined;
  private readonly errBuf = Buffer.allocUnsafe(64 * 1024);
  private child: ChildProcess | undefined;
  private readerClosed = false;
  private errClosed = false;
  private childExited = false;
  private exitCode: number | null = null;
  private stderrRest = "";
  private readonly path = socketPath();

  constructor(private readonly options: FfmpegStreamOptions) {
    this.cutter = new FrameCutter(
      (frame) => {
        this.frames++;
        options.onFrame(frame, this.geometry!);
      },
      { ...(options.pool ? { pool: options.pool } : {}), onAwaitingPts: () => this.errReader?.resume() },
    );
    const server = createServer({ pauseOnConnect: true });
    this.server = server;
    server.on("error", (err) => this.fail(err));
    server.listen(this.path, () => {
      if (this.stopped) {
        this.abandon();
        return;
      }
      // stdout's connection first, then stderr's: the server accepts them in that order.
      server.once("connection", (out) => {
        this.pendingOut = out;
        server.once("connection", (err) => this.launch(out, err));
        this.errReader = this.connect({ buffer: this.errBuf, callback: (n) => this.stderrBytes(n) }, () => {
          this.errClosed = true;
          // All of stderr is in: without a frame size nothing was read, and stdout would never end.
          if (!this.geometry) this.reader?.destroy();
        });
      });
      this.reader = this.connect(
        {
          buffer: () => this.cutter.readBuffer(),
          callback: (n, buf) => {
            if (!this.cutter.read(n, buf)) this.stop();
            return true;
          },
        },
        () => {
          this.readerClosed = true;
        },
      );
      // Nothing is read until ffmpeg has printed the frame size (see stderrLine).
      this.reader.pause();
    });
  }

  private connect(onread: OnReadOpts, onClose: () => void): Socket {
    const sock = createConnection({ path: this.path, onread });
    sock.on("error", () => {});
    sock.on("close", () => {
      onClose();
      this.maybeFinish();
    });
    return sock;
  }

  /** Both sockets are connected: start ffmpeg with them as stdout and stderr. */
  private launch(out: Socket, err: Socket): void {
    this.pendingOut = undefined;
    this.server?.close();
    this.server = undefined;
    if (this.stopped) {
      out.destroy();
      err.destroy();
      this.abandon();
      return;
    }
    const { url, loop, fps, rtspTransport } = this.options;
    const args = [
      ...inputOptions({ url, loop }, rtspTransport),
      "-i",
      ffmpegInput(url),
      ...outputOptions(fps),
      "pipe:1",
    ];
    const child = spawn(ffmpegPath(), args, { stdio: ["ignore", out, err], windowsHide: true });
    this.child = child;
    // The child has its own copies of the sockets; ours close so that ffmpeg's exit ends the streams.
    out.destroy();
    err.destroy();
    child.on("error", (e: NodeJS.ErrnoException) => {
      // A failed spawn (no ffmpeg binary) emits no "exit".
      if (e.syscall?.startsWith("spawn")) this.childExited = true;
      this.fail(e);
    });
    child.on("exit", (code) => {
      this.exitCode = code;
      this.childExited = true;
      // Drain what is left: the last timestamps and ffmpeg's closing words.
      this.errReader?.resume();
      this.maybeFinish();
    });
  }

  private stderrBytes(n: number): boolean {
    const lines = (this.stderrRest + this.errBuf.toString("latin1", 0, n)).split(/\r\n|\r|\n/);
    this.stderrRest = lines.pop() ?? "";
    for (const line of lines) if (line) this.stderrLine(line);
    // Once framing has started, stderr is read only while a frame waits for its timestamp.
    if (this.geometry && !this.childExited && !this.cutter.awaitingPts) this.errReader?.pause();
    return true;
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
    if (TRANSPORT_REFUSED.test(line)) this.transportRefused = true;
    if (DEBUG_TS_LINE.test(line)) return;
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
  }

  /** Setup failed before or while starting ffmpeg (socket, spawn). */
  private fail(err: Error): void {
    this.tail.push(String(err.message));
    this.abandon();
  }

  /** Ends a run whose ffmpeg never started (or failed to). */
  private abandon(): void {
    this.server?.close();
    this.server = undefined;
    this.pendingOut?.destroy();
    this.pendingOut = undefined;
    this.reader?.destroy();
    this.errReader?.destroy();
    this.readerClosed = true;
    this.errClosed = true;
    if (!this.child) this.childExited = true;
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.exited || !this.readerClosed || !this.errClosed || !this.childExited) return;
    this.exited = true;
    if (this.stderrRest) this.stderrLine(this.stderrRest);
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
    if (this.child) this.child.kill("SIGKILL");
    // Before listen() completes, its callback sees `stopped` and abandons the run.
    else if (this.server?.listening) this.abandon();
  }

  get running(): boolean {
    return !this.exited;
  }
}
