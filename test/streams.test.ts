import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CameraConfig } from "../src/config/index.js";
import { configSchema } from "../src/config/index.js";
import type { FinalRead, ProvisionalRead, ReadSink } from "../src/domain/index.js";
import { CameraManager } from "../src/pipeline/camera-manager.js";
import { freePort, type Served, serveTcp, until, vehicleClip } from "./streams-fixtures.js";
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
});
