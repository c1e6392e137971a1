import { type AddressInfo, createServer, type Socket } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { FfmpegStream, type StreamExit } from "../src/ingest/ffmpeg-stream.js";
import type { CutFrame, StreamGeometry } from "../src/ingest/frame-cutter.js";
import { FramePool } from "../src/ingest/frame-pool.js";
import { freePort, indexClip, indexOfFrame, type Served, serveTcp, until } from "./streams-fixtures.js";

interface Collected {
  frames: { index: number; ptsS: number; estimated: boolean; bytes: Buffer }[];
  geometry?: StreamGeometry;
  exit?: StreamExit;
  exits?: number;
  stream: FfmpegStream;
}

function collect(url: string, opts: { fps?: number; loop?: boolean; pool?: FramePool } = {}): Collected {
  const c = { frames: [] } as unknown as Collected;
  c.stream = new FfmpegStream({
    url,
    loop: opts.loop ?? false,
    fps: opts.fps,
    rtspTransport: "tcp",
    ...(opts.pool ? { pool: opts.pool } : {}),
    onGeometry: (g) => {
      c.geometry = g;
    },
    onFrame: (f: CutFrame) => {
      c.frames.push({
        index: f.index,
        ptsS: f.ptsS,
        estimated: f.ptsEstimated,
        bytes: Buffer.from(f.pixels),
      });
      f.release();
    },
    onExit: (e) => {
      c.exit = e;
      c.exits = (c.exits ?? 0) + 1;
    },
  });
  return c;
}

const served: Served[] = [];
afterAll(async () => {
  await Promise.all(served.map((s) => s.stop()));
});

describe("ingest: ffmpeg to exact grey frames", () => {
  it("cuts a file into exactly its frames, each whole, in order, with its stream timestamp", async () => {
    // An odd size (not a multiple of 16 or of the socket's read size) so frames straddle socket reads.
    const file = indexClip({ widthPx: 318, heightPx: 238, frames: 40, fps: 25 });
    const pool = new FramePool();
    const c = collect(file, { pool });
    await until("ffmpeg to end", () => c.exit !== undefined);
    expect(c.geometry).toEqual({ widthPx: 318, heightPx: 238, fps: 25 });
    expect(c.exit).toMatchObject({ code: 0, stopped: false, frames: 40, tornBytes: 0 });
    expect(c.frames.map((f) => f.bytes.length)).toEqual(Array(40).fill(318 * 238));
    expect(c.frames.map((f) => indexOfFrame(f.bytes))).toEqual([...Array(40).keys()]);
    expect(c.frames.map((f) => f.index)).toEqual([...Array(40).keys()]);
    expect(c.frames.map((f) => Math.round(f.ptsS * 1000))).toEqual([...Array(40).keys()].map((i) => i * 40));
    expect(c.frames.every((f) => !f.estimated)).toBe(true);
    // ffmpeg's output socket is read straight into reused buffers (each released once copied here), not
    // one allocation per frame: at most the frame being read, frames waiting for their timestamp (8) and one more.
    expect(pool.allocated).toBeLessThanOrEqual(10);
  });

  it("file:// URLs and an fps cap: a 25 fps file capped at 10 fps keeps frames at least 100 ms apart", async () => {
    const file = indexClip({ widthPx: 160, heightPx: 120, frames: 50, fps: 25 });
    const c = collect(`file://${file}`, { fps: 10 });
    await until("ffmpeg to end", () => c.exit !== undefined);
    const values = c.frames.map((f) => indexOfFrame(f.bytes));
    const pts = c.frames.map((f) => Math.round(f.ptsS * 1000));
    // 2 s at 10 fps: frames 0, 3, 5, 8, 10 ... (every 100 ms or the next frame after it)
    expect(values.length).toBe(20);
    expect(values.every((v) => v >= 0)).toBe(true);
    for (let i = 1; i < pts.length; i++) {
      expect(pts[i]! - pts[i - 1]!).toBeGreaterThanOrEqual(80);
      expect(values[i]! * 40).toBe(pts[i]! % 2000);
    }
  });

  it("a stream stopped before ffmpeg has started ends once, as stopped, with no frame", async () => {
    const file = indexClip({ widthPx: 160, heightPx: 120, frames: 50, fps: 25 });
    const c = collect(file);
    const stream = c.stream;
    stream.stop();
    await until("the stream to end", () => c.exit !== undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(c.exits).toBe(1);
    expect(c.exit).toMatchObject({ stopped: true, frames: 0, tornBytes: 0 });
    expect(c.frames).toEqual([]);
    expect(stream.running).toBe(false);
  });

  it("a stream stopped while ffmpeg still waits for its input ends once, as stopped, with no frame", async () => {
    // A TCP source that accepts and never sends: ffmpeg is stuck opening its input and not yet listening
    // on its output socket, so node is still retrying its connection when the stream is stopped.
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const { port } = silent.address() as AddressInfo;
    const c = collect(`tcp://127.0.0.1:${port}`);
    await until("ffmpeg to connect to the source", () => sockets.length > 0);
    await new Promise((r) => setTimeout(r, 200));
    c.stream.stop();
    await until("the stream to end", () => c.exit !== undefined);
    await new Promise((r) => setTimeout(r, 300));
    for (const s of sockets) s.destroy();
    silent.close();
    expect(c.exits).toBe(1);
    expect(c.exit).toMatchObject({ stopped: true, frames: 0, tornBytes: 0, code: null });
    expect(c.stream.running).toBe(false);
  });

  it("a live MPEG-TS stream over TCP: consecutive whole frames from a second ffmpeg", async () => {
    const file = indexClip({ widthPx: 320, heightPx: 240, frames: 100, fps: 25 });
    const port = await freePort();
    const server = serveTcp(file, port);
    served.push(server);
    let c: Collected | undefined;
    // The server needs a moment to listen; the camera's supervisor retries the same way.
    await until(
      "tcp stream",
      () => {
        if (c?.exit) c = undefined;
        c ??= collect(`tcp://127.0.0.1:${port}`);
        return c.frames.length >= 30;
      },
      20_000,
    );
    c!.stream.stop();
    await until("ffmpeg to exit", () => c!.exit !== undefined);
    expect(c!.exit!.stopped).toBe(true);
    const values = c!.frames.map((f) => indexOfFrame(f.bytes));
    expect(values.every((v) => v >= 0)).toBe(true);
    for (let i = 1; i < values.length; i++) expect(values[i]).toBe((values[i - 1]! + 1) % 50);
    const pts = c!.frames.map((f) => f.ptsS);
    for (let i = 1; i < pts.length; i++) expect(Math.round((pts[i]! - pts[i - 1]!) * 1000)).toBe(40);
  });
});
