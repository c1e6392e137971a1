import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
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
 * ffmpeg's stdout is one end of a Unix-domain stream socket whose other end node reads with a
 * caller-supplied buffer (`net.Socket` `onread`): every read lands in the frame being assembled, so no
 * buffer is allocated per read (a child's ordinary stdout pipe allocates a new one for every 64 KB read,
 * about 15 per 720p frame; that garbage, not the reading, was most of the main thread's cost). Reading
 * waits until ffmpeg has printed the frame size, which it does before writing any frame. stderr carries
 * `-debug_ts`: one `encoder <-` line with each frame's pts.
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
  private child: ChildProcess | undefined;
  private readerClosed = false;
  private childClosed = false;
  private exitCode: number | null = null;
  private stderrRest = "";
  private readonly path = socketPath();

  constructor(private readonly options: FfmpegStreamOptions) {
    this.cutter = new FrameCutter(
      (frame) => {
        this.frames++;
        options.onFrame(frame, this.geometry!);
      },
      options.pool ? { pool: options.pool } : {},
    );
    const server = createServer({ pauseOnConnect: true });
    this.server = server;
    server.on("error", (err) => this.fail(err));
    server.once("connection", (sock) => this.launch(sock));
    server.listen(this.path, () => {
      if (this.stopped) {
        this.abandon();
        return;
      }
      const reader = createConnection({
        path: this.path,
        onread: {
          buffer: () => this.cutter.readBuffer(),
          callback: (n, buf) => {
            if (!this.cutter.read(n, buf)) this.stop();
            return true;
          },
        },
      });
      this.reader = reader;
      // Nothing is read until ffmpeg has printed the frame size (see stderrLine).
      reader.pause();
      reader.on("error", () => {});
      reader.on("close", () => {
        this.readerClosed = true;
        this.maybeFinish();
      });
    });
  }

  /** The stdout socket is connected: start ffmpeg with it as stdout. */
  private launch(sock: Socket): void {
    this.server?.close();
    this.server = undefined;
    if (this.stopped) {
      sock.destroy();
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
    const child = spawn(ffmpegPath(), args, { stdio: ["ignore", sock, "pipe"], windowsHide: true });
    this.child = child;
    // The child has its own copy of the socket; ours closes so that ffmpeg's exit ends the stream.
    sock.destroy();
    child.on("error", (err: NodeJS.ErrnoException) => {
      // A failed spawn (no ffmpeg binary) emits no "close".
      if (err.syscall?.startsWith("spawn")) this.childClosed = true;
      this.fail(err);
    });
    child.on("exit", (code) => {
      this.exitCode = code;
    });
    child.on("close", () => {
      this.childClosed = true;
      // Without a frame size nothing was read, so the socket would never see its end.
      if (!this.geometry) this.reader?.destroy();
      this.maybeFinish();
    });
    const stderr = child.stderr!;
    stderr.setEncoding("latin1");
    stderr.on("data", (text: string) => this.stderrText(text));
    stderr.on("error", () => {});
  }

  private stderrText(text: string): void {
    const lines = (this.stderrRest + text).split(/\r\n|\r|\n/);
    this.stderrRest = lines.pop() ?? "";
    for (const line of lines) if (line) this.stderrLine(line);
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
    this.reader?.destroy();
    this.readerClosed = true;
    if (!this.child) this.childClosed = true;
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.exited || !this.readerClosed || !this.childClosed) return;
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
