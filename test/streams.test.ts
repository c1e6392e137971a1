import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CameraConfig } from "../src/config/index.js";
import { configSchema } from "../src/config/index.js";
import type { FinalRead, ProvisionalRead, ReadSink } from "../src/domain/index.js";
import { CameraManager } from "../src/pipeline/camera-manager.js";
import { NO_SKIP } from "../src/pipeline/frame-skip.js";
import {
  freePort,
  publishRtsp,
  type Served,
  serveTcp,
  startRtspServer,
  until,
  vehicleClip,
  waitForPort,
} from "./streams-fixtures.js";
import { StubTracker } from "./streams-stub-tracker.js";

const stubRecogniser = new URL("./streams-stub-recogniser.ts", import.meta.url).href;

class CollectingSink implements ReadSink {
  readonly name = "test";
  readonly provisionals: ProvisionalRead[] = [];
  readonly finals: FinalRead[] = [];
  provisional(read: ProvisionalRead): void {
    this.provisionals.push(read);
  }
  final(read: FinalRead): void {
    this.finals.push(read);
  }
  finalsFor(cameraId: string): FinalRead[] {
    return this.finals.filter((r) => r.cameraId === cameraId);
  }
}

function camera(fields: Partial<CameraConfig> & { id: string; url: string }): CameraConfig {
  return configSchema.parse({ cameras: [fields] }).cameras[0]!;
}

const recognition = configSchema.parse({ recognition: { workers: 2, stallTimeoutMs: 3000 } }).recognition;
const sink = new CollectingSink();
let manager: CameraManager;
const served: Served[] = [];

beforeAll(async () => {
  process.env.KESTREL_LOG_LEVEL ??= "warn";
  manager = new CameraManager({
    recognition,
    trackerFactory: (o) => new StubTracker(o),
    engineVersion: "test",
    sinks: [sink],
    recogniserModule: stubRecogniser,
    backoff: { initialMs: 200, maxMs: 1000, resetAfterMs: 1000, failAfter: 3 },
    tickMs: 100,
  });
  await manager.start();
});

afterAll(async () => {
  await manager?.stop();
  await Promise.all(served.map((s) => s.stop()));
});

const statusOf = (id: string) => manager.status().find((s) => s.id === id);

describe("streams: cameras through ffmpeg, workers and tracker to sinks", () => {
  it("a file camera: exactly one final read per vehicle, in order, after a provisional read", async () => {
    const clip = vehicleClip({ vehicles: 4, visibleS: 0.8, gapS: 0.6, leadS: 0.4 });
    await manager.apply([camera({ id: "file-1", url: clip.file, direction: "away" })]);
    await until("file camera to end", () => statusOf("file-1")?.state === "ended", 30_000);
    await until("final reads", () => sink.finalsFor("file-1").length >= clip.truth.length);
    const finals = sink.finalsFor("file-1");
    expect(finals.map((r) => r.plate)).toEqual(clip.truth.map((t) => t.plate));
    expect(new Set(finals.map((r) => r.passId)).size).toBe(finals.length);
    for (const f of finals) {
      const p = sink.provisionals.find((r) => r.passId === f.passId);
      expect(p?.plate).toBe(f.plate);
      expect(f.direction).toBe("away");
      expect(f.framesRead).toBeGreaterThanOrEqual(5);
    }
    // Capture times come from the stream: passes are as far apart as the clip says (0.8 + 0.6 s).
    const gapsMs = finals.slice(1).map((f, i) => f.firstCaptureMs - finals[i]!.firstCaptureMs);
    for (const g of gapsMs) expect(Math.abs(g - 1400)).toBeLessThanOrEqual(3 * 40);
    const st = statusOf("file-1")!;
    expect(st.framesDecoded).toBe(Math.round(clip.durationS * 25));
    expect(st.framesDropped.queue_full).toBe(0);
    expect(st.framesRecognised + st.framesSkipped).toBe(st.framesDecoded);
    expect(st.framesSkipped).toBeGreaterThan(0);
  });

  it("a live TCP camera whose source dies and comes back: backs off, streams again, reads later vehicles once", async () => {
    const clip = vehicleClip({ vehicles: 3, visibleS: 0.8, gapS: 0.4, leadS: 0.2 });
    const port = await freePort();
    let server = serveTcp(clip.file, port);
    served.push(server);
    await manager.apply([camera({ id: "tcp-1", url: `tcp://127.0.0.1:${port}` })]);
    await until("tcp camera streaming", () => statusOf("tcp-1")?.state === "streaming");
    await until("a first vehicle read", () => sink.finalsFor("tcp-1").length >= 1, 20_000);
    await server.stop();
    await until("camera to notice", () => statusOf("tcp-1")?.state !== "streaming");
    const before = statusOf("tcp-1")!;
    expect(["backing-off", "starting", "failed", "stalled"]).toContain(before.state);
    const readsBefore = sink.finalsFor("tcp-1").length;
    const diedAtMs = Date.now();
    server = serveTcp(clip.file, port);
    served.push(server);
    await until("tcp camera streaming again", () => statusOf("tcp-1")?.state === "streaming", 20_000);
    expect(statusOf("tcp-1")!.restarts).toBeGreaterThanOrEqual(1);
    await until(
      "vehicles after the restart",
      () => sink.finalsFor("tcp-1").length >= readsBefore + 3,
      20_000,
    );
    const after = sink.finalsFor("tcp-1").filter((r) => r.firstCaptureMs > diedAtMs);
    expect(after.length).toBeGreaterThanOrEqual(2);
    // One final read per pass: the same plate never finalised twice within one clip loop (3 vehicles x 1.2 s).
    const plates = after.map((r) => r.plate);
    for (let i = 1; i < plates.length; i++) expect(plates[i]).not.toBe(plates[i - 1]);
  });

  it("RTSP through a real RTSP server: falls back to UDP when TCP is refused, and reads vehicles", async () => {
    const clip = vehicleClip({ vehicles: 3, visibleS: 0.8, gapS: 0.4, leadS: 0.2 });
    const server = await startRtspServer();
    served.push(server);
    await waitForPort(server.sourcePort);
    served.push(publishRtsp(clip.file, `rtsp://127.0.0.1:${server.sourcePort}/cam`));
    await manager.apply([camera({ id: "rtsp-1", url: `rtsp://127.0.0.1:${server.clientPort}/cam` })]);
    await until("rtsp camera streaming", () => statusOf("rtsp-1")?.state === "streaming", 20_000);
    expect(statusOf("rtsp-1")!.rtspTransport).toBe("udp");
    await until("three vehicles read", () => sink.finalsFor("rtsp-1").length >= 3, 20_000);
    const plates = new Set(sink.finalsFor("rtsp-1").map((r) => r.plate));
    expect([...plates].every((p) => clip.truth.some((t) => t.plate === p))).toBe(true);
  });

  it("apply() adds, changes and removes cameras without touching the others", async () => {
    const clip = vehicleClip({ vehicles: 3, visibleS: 0.8, gapS: 0.4, leadS: 0.2 });
    const a = camera({ id: "loop-a", url: clip.file, loop: true });
    const b = camera({ id: "loop-b", url: clip.file, loop: true });
    let r = await manager.apply([a]);
    expect(r).toEqual({ added: ["loop-a"], changed: [], removed: ["rtsp-1"], unchanged: [] });
    await until("a streaming", () => (statusOf("loop-a")?.framesDecoded ?? 0) > 10);
    const decodedA = statusOf("loop-a")!.framesDecoded;
    r = await manager.apply([a, b]);
    expect(r).toEqual({ added: ["loop-b"], changed: [], removed: [], unchanged: ["loop-a"] });
    await until("b streaming", () => (statusOf("loop-b")?.framesDecoded ?? 0) > 10);
    // loop-a kept its own ffmpeg the whole time: no restart, frames counted on from before.
    expect(statusOf("loop-a")!.restarts).toBe(0);
    expect(statusOf("loop-a")!.framesDecoded).toBeGreaterThan(decodedA + 10);
    r = await manager.apply([{ ...b, fps: 10 }]);
    expect(r).toEqual({ added: [], changed: ["loop-b"], removed: ["loop-a"], unchanged: [] });
    expect(statusOf("loop-a")).toBeUndefined();
    await until("b streaming at its new rate", () => (statusOf("loop-b")?.framesDecoded ?? 0) > 20);
    expect(statusOf("loop-b")!.restarts).toBe(0);
    expect(manager.status().map((s) => s.id)).toEqual(["loop-b"]);
  });

  it("a worker that dies is replaced and its cameras keep reading", async () => {
    const clip = vehicleClip({ vehicles: 3, visibleS: 0.8, gapS: 0.4, leadS: 0.2 });
    await manager.apply([camera({ id: "crash-1", url: clip.file, loop: true })]);
    await until("reads before", () => sink.finalsFor("crash-1").length >= 1, 20_000);
    await manager.workers.terminateWorker(0);
    await manager.workers.terminateWorker(0);
    await until("pool back to full strength", () => manager.workers.readyWorkers === 2, 20_000);
    const n = sink.finalsFor("crash-1").length;
    await until("reads after", () => sink.finalsFor("crash-1").length >= n + 2, 20_000);
    expect(statusOf("crash-1")!.state).toBe("streaming");
    await manager.apply([]);
  });
});

describe("streams: saturation", () => {
  it("drops the stalest frames on purpose, counts them, keeps queues bounded, and still reads vehicles", async () => {
    process.env.STUB_DELAY_MS = "120";
    const slow = new CameraManager({
      recognition: { ...recognition, workers: 1, queueFramesPerCamera: 2 },
      trackerFactory: (o) => new StubTracker(o, 600),
      engineVersion: "test",
      sinks: [sink],
      recogniserModule: stubRecogniser,
      skip: NO_SKIP,
    });
    try {
      await slow.start();
      delete process.env.STUB_DELAY_MS;
      const clip = vehicleClip({ vehicles: 3, visibleS: 1.2, gapS: 0.8, leadS: 0.2 });
      await slow.apply([camera({ id: "slow-1", url: clip.file }), camera({ id: "slow-2", url: clip.file })]);
      let maxQueued = 0;
      await until(
        "both cameras to end",
        () => {
          for (const s of slow.status()) maxQueued = Math.max(maxQueued, s.framesQueued);
          return slow.status().every((s) => s.state === "ended");
        },
        30_000,
      );
      await until("final reads", () => slow.status().every((s) => sink.finalsFor(s.id).length >= 3));
      expect(maxQueued).toBeLessThanOrEqual(2);
      for (const s of slow.status()) {
        expect(s.framesDropped.queue_full).toBeGreaterThan(0);
        expect(s.framesSkipped).toBe(0);
        expect(s.framesRecognised + s.framesDropped.queue_full + s.framesQueued).toBeLessThanOrEqual(
          s.framesDecoded,
        );
        expect(s.framesRecognised + s.framesDropped.queue_full).toBeGreaterThanOrEqual(s.framesDecoded - 3);
        expect(sink.finalsFor(s.id).map((r) => r.plate)).toEqual(clip.truth.map((t) => t.plate));
      }
    } finally {
      await slow.stop();
    }
  });
});
