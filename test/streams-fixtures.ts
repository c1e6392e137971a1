/**
 * Test material for the ingest and streams tests, made with ffmpeg's lavfi sources and cached under
 * .cache/streams keyed by its parameters. Not a test file itself (no `.test.ts`).
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { ffmpegPath } from "../src/ingest/ffmpeg-path.js";

export const CACHE_DIR = join(import.meta.dirname, "..", ".cache", "streams");

function cached(name: string, make: (tmp: string) => void): string {
  mkdirSync(CACHE_DIR, { recursive: true });
  const out = join(CACHE_DIR, name);
  if (!existsSync(out)) {
    const tmp = `${out}.${process.pid}.tmp${name.slice(name.lastIndexOf("."))}`;
    make(tmp);
    renameSync(tmp, out);
  }
  return out;
}

/**
 * A lossless clip whose frame n is filled entirely with one grey level encoding n mod 50 (see
 * `indexOfFrame`): torn or merged frames, a wrong frame size or a lost frame all show up as a frame that
 * is not uniform or an index out of sequence.
 */
export function indexClip(opts: { widthPx: number; heightPx: number; frames: number; fps: number }): string {
  const { widthPx, heightPx, frames, fps } = opts;
  return cached(`index-${widthPx}x${heightPx}-${frames}f-${fps}fps.mp4`, (tmp) => {
    execFileSync(ffmpegPath(), [
      ...["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"],
      ...["-i", `color=c=black:s=${widthPx}x${heightPx}:r=${fps},format=gray,geq=lum='16+4*mod(N\\,50)'`],
      ...[
        "-frames:v",
        String(frames),
        "-c:v",
        "libx264",
        "-qp",
        "0",
        "-g",
        String(fps),
        "-pix_fmt",
        "yuv420p",
      ],
      tmp,
    ]);
  });
}

/** The frame index (mod 50) an index-clip frame encodes, or -1 when the frame is not uniform. */
export function indexOfFrame(bytes: Uint8Array): number {
  const v = bytes[0]!;
  for (let i = 1; i < bytes.length; i++) if (bytes[i] !== v) return -1;
  // Levels are 4 apart; the grey-to-YUV round trip may move a level by one.
  return Math.round((v - 16) / 4);
}

/** Where the stub recogniser looks: vehicle k shows a white block in cell k of a 6x2 grid. */
export const GRID = { cols: 6, rows: 2, cellPx: 40, x0: 20, y0: 60 };

export function plateFor(cell: number): string {
  return `AB${String(10 + cell)}CDE`;
}

export interface VehicleTruth {
  cell: number;
  plate: string;
  startS: number;
  endS: number;
}

/**
 * A clip with vehicles passing one after another: vehicle k is a white block in grid cell k, visible for
 * `visibleS` seconds, with `gapS` seconds of empty road between vehicles. 320x240, H.264, 25 fps.
 */
export function vehicleClip(opts: { vehicles: number; visibleS: number; gapS: number; leadS: number }): {
  file: string;
  truth: VehicleTruth[];
  durationS: number;
} {
  const { vehicles, visibleS, gapS, leadS } = opts;
  const truth: VehicleTruth[] = [];
  const boxes: string[] = [];
  for (let k = 0; k < vehicles; k++) {
    const cell = k % (GRID.cols * GRID.rows);
    const startS = leadS + k * (visibleS + gapS);
    const endS = startS + visibleS;
    truth.push({ cell, plate: plateFor(cell), startS, endS });
    const x = GRID.x0 + (cell % GRID.cols) * GRID.cellPx;
    const y = GRID.y0 + Math.floor(cell / GRID.cols) * GRID.cellPx;
    boxes.push(
      `drawbox=x=${x + 4}:y=${y + 4}:w=${GRID.cellPx - 8}:h=${GRID.cellPx - 8}:color=white:t=fill:enable='between(t\\,${startS.toFixed(2)}\\,${(endS - 0.001).toFixed(3)})'`,
    );
  }
  const durationS = leadS + vehicles * (visibleS + gapS);
  const file = cached(`vehicles-${vehicles}-${visibleS}-${gapS}-${leadS}.mp4`, (tmp) => {
    execFileSync(ffmpegPath(), [
      ...["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"],
      ...["-i", `color=c=0x404040:s=320x240:r=25:d=${durationS},${boxes.join(",")}`],
      ...["-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-pix_fmt", "yuv420p"],
      tmp,
    ]);
  });
  return { file, truth, durationS };
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Debian's ffmpeg, used only to serve live test streams (the product uses ffmpegPath()). */
export const SERVER_FFMPEG = existsSync("/usr/bin/ffmpeg") ? "/usr/bin/ffmpeg" : ffmpegPath();

export interface Served {
  stop(): Promise<void>;
}

/** Runs a background process and returns a handle that kills it (SIGKILL: the source "dies"). */
export function runProcess(cmd: string, args: string[]): Served {
  const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    get stderr() {
      return stderr;
    },
  } as Served & { stderr: string };
}

/** Serves `file` in a loop at native rate as MPEG-TS over TCP; our camera connects as the client. */
export function serveTcp(file: string, port: number): Served {
  return runProcess(SERVER_FFMPEG, [
    ...["-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-stream_loop", "-1", "-i", file],
    ...["-c", "copy", "-f", "mpegts", `tcp://127.0.0.1:${port}?listen=1`],
  ]);
}

/** Waits until `check` is true, polling; throws with `what` after `timeoutMs`. */
export async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * rtsp-server-perl on loopback: publishers ANNOUNCE/RECORD on `sourcePort`, clients PLAY from `clientPort`.
 * It serves RTP over UDP only (it answers a TCP-interleaved SETUP with 400), which the camera handles.
 */
export async function startRtspServer(): Promise<Served & { clientPort: number; sourcePort: number }> {
  const clientPort = await freePort();
  const sourcePort = await freePort();
  const rtpStartPort = 20_000 + Math.floor(Math.random() * 20_000);
  const proc = runProcess("/usr/bin/rtsp-server-perl", [
    ...["--clientport", String(clientPort), "--serverport", String(sourcePort)],
    ...["--client_listen_address", "127.0.0.1", "--source_listen_address", "127.0.0.1"],
    ...["--rtp_start_port", String(rtpStartPort), "--loglevel", "1"],
  ]);
  return { ...proc, stop: proc.stop, clientPort, sourcePort };
}

/** Resolves once something accepts TCP connections on `port` (servers take a moment to start). */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, "127.0.0.1");
      sock.once("connect", () => {
        sock.destroy();
        resolve(true);
      });
      sock.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on port ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Publishes `file` in a loop at native rate to an RTSP server (RECORD). */
export function publishRtsp(file: string, url: string): Served {
  return runProcess(SERVER_FFMPEG, [
    ...["-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-stream_loop", "-1", "-i", file],
    ...["-c", "copy", "-f", "rtsp", url],
  ]);
}
