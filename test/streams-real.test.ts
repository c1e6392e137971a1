/**
 * The live pipeline with the real parts: a synthetic clip (src/synth) as a file camera, the real wasm
 * Recogniser in the worker threads and the real Tracker. The same recogniser and tracker run offline over
 * every frame of the clip give the reference: the pipeline must read what they read, once per vehicle.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configSchema } from "../src/config/index.js";
import type { FinalRead } from "../src/domain/index.js";
import { ffmpegPath } from "../src/ingest/ffmpeg-path.js";
import { CameraManager } from "../src/pipeline/camera-manager.js";
import { NO_SKIP } from "../src/pipeline/frame-skip.js";
import { CLASSIFIER_WEIGHTS_PATH } from "../src/recognition/classifier.js";
import { Recogniser } from "../src/recognition/recogniser.js";
import { type GeneratedClip, generateClip } from "../src/synth/clip.js";
import { EVAL_SEEDS, seedAt } from "../src/synth/seeds.js";
import { Tracker } from "../src/tracking/tracker.js";
import { until } from "./streams-fixtures.js";

// Until the classifier's trained weights are committed the recogniser reads nothing at all.
const haveWeights = existsSync(CLASSIFIER_WEIGHTS_PATH);

const trackerOptions = { provisionalConfidence: 0.8, minConfidence: 0.6, engineVersion: "test" };

/** Every frame of the clip through one in-process recogniser and tracker. */
async function offlinePlates(clip: GeneratedClip): Promise<string[]> {
  const { width, height } = clip.truth;
  const rec = Recogniser.create({ region: "gb", topCandidates: 5 });
  const tracker = new Tracker({ cameraId: "offline", ...trackerOptions });
  const plates: string[] = [];
  const frameBytes = width * height;
  const frame = new Uint8Array(frameBytes);
  let filled = 0;
  let index = 0;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      ffmpegPath(),
      [
        "-loglevel",
        "error",
        "-i",
        clip.path,
        "-an",
        "-vsync",
        "0",
        "-pix_fmt",
        "gray",
        "-f",
        "rawvideo",
        "-",
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    child.stdout.on("data", (chunk: Buffer) => {
      let off = 0;
      while (off < chunk.length) {
        const take = Math.min(frameBytes - filled, chunk.length - off);
        frame.set(chunk.subarray(off, off + take), filled);
        filled += take;
        off += take;
        if (filled === frameBytes) {
          filled = 0;
          const reads = rec.readImage(frame, width, height);
          for (const r of tracker.push(index, index * 40, reads))
            if (r.kind === "final") plates.push(r.plate);
          index++;
        }
      }
    });
    child.on("error", reject);
    child.on("close", () => resolve());
  });
  for (const r of tracker.flush()) plates.push(r.plate);
  return plates;
}

describe.skipIf(!haveWeights)("streams with the real recogniser and tracker", () => {
  let clip: GeneratedClip;
  let manager: CameraManager;
  const finals: FinalRead[] = [];

  beforeAll(async () => {
    process.env.KESTREL_LOG_LEVEL ??= "warn";
    clip = await generateClip(seedAt(EVAL_SEEDS, 1700), { durationS: 6, vehicles: 3, night: false });
    const recognition = configSchema.parse({
      recognition: { workers: 2, queueFramesPerCamera: 64 },
    }).recognition;
    manager = new CameraManager({
      recognition,
      skip: NO_SKIP,
      sinks: [{ name: "t", final: (r) => finals.push(r) }],
    });
    await manager.start();
  }, 180_000);

  afterAll(async () => {
    await manager?.stop();
  });

  // Accuracy (false reads, missed vehicles) is the recogniser's and tracker's own business, measured in
  // their tests; this test holds the pipeline to reading exactly what they read offline.
  it("reads what offline reading of every frame reads, with capture times and patches", async () => {
    const offline = await offlinePlates(clip);
    await manager.apply(configSchema.parse({ cameras: [{ id: "real-1", url: clip.path }] }).cameras);
    await until("clip to end", () => manager.status()[0]?.state === "ended", 60_000);
    await until("tracker flushed", () => manager.status()[0]?.framesQueued === 0);
    await new Promise((r) => setTimeout(r, 500));
    const st = manager.status()[0]!;
    const plates = finals.map((f) => f.plate);
    const truth = clip.truth.vehicles.map((v) => v.plate);
    expect(offline.filter((p) => truth.includes(p)).length).toBeGreaterThan(0);
    if (st.framesDropped.queue_full === 0) expect([...plates].sort()).toEqual([...offline].sort());
    else expect(plates.filter((p) => truth.includes(p)).length).toBeGreaterThan(0);
    for (const f of finals) {
      expect(f.cameraId).toBe("real-1");
      expect(f.lastCaptureMs).toBeGreaterThanOrEqual(f.firstCaptureMs);
      expect(Buffer.from(f.patch!.subarray(1, 4)).toString("latin1")).toBe("PNG");
    }
  });
});
