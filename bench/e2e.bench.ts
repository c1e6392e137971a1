// Capture-to-alert latency on the real system (issue 10): synthetic 720p cameras played at their native rate
// through ffmpeg, recognition in workers, the tracker, hot-lists and the gateway, with a WebSocket client
// subscribed. For each alert: from the capture time of the frame in which the plate first became readable
// (ground truth: the whole plate in view with characters at least READABLE_CHAR_PX high) to the alert's
// arrival at the client; and from the capture time of the frame whose read raised it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { issueToken, loadOrCreateSecret, secretPath } from "../src/access/index.js";
import { KestrelClient } from "../src/client/index.js";
import type { CameraConfig } from "../src/config/index.js";
import { loadConfig } from "../src/config/index.js";
import { registry } from "../src/metrics/registry.js";
import { startSystem } from "../src/runtime/system.js";
import { type ClipTruth, generateClip } from "../src/synth/clip.js";
import { EVAL_SEEDS } from "../src/synth/seeds.js";

const CAMERAS = Number(process.env.E2E_BENCH_CAMERAS ?? 3);
const DURATION_S = Number(process.env.E2E_BENCH_SECONDS ?? 20);
const READABLE_CHAR_PX = 14;
const FPS = 25;

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

const clips: { id: string; path: string; truth: ClipTruth }[] = [];
for (let i = 0; i < CAMERAS; i++) {
  const clip = await generateClip(EVAL_SEEDS.start + 515_000 + i, {
    widthPx: 1280,
    heightPx: 720,
    fps: FPS,
    durationS: DURATION_S,
    vehicles: 6,
    night: i === CAMERAS - 1 && CAMERAS > 1,
    format: "ts",
  });
  clips.push({ id: `bench-${i + 1}`, path: clip.path, truth: clip.truth });
}

const dataDir = mkdtempSync(join(tmpdir(), "kestrel-e2e-bench-"));
const config = loadConfig({
  env: { KESTREL_STORE_DATA_DIR: dataDir, KESTREL_METRICS_ENABLED: "false", KESTREL_DEMO_ENABLED: "false" },
});
const plates = new Map<string, { camera: string; firstReadableFrame: number }>();
for (const c of clips) {
  for (const v of c.truth.vehicles) {
    const f = v.frames.find((fr) => fr.whole && fr.charHeightPx >= READABLE_CHAR_PX);
    if (f) plates.set(v.plate, { camera: c.id, firstReadableFrame: f.frame });
  }
}
const system = await startSystem(config, {
  cameras: [],
  gatewayPort: 0,
  hotlistEntries: [...plates.keys()].map((plate) => ({
    list: "bench",
    plate,
    category: "stolen",
    priority: 0,
  })),
});
const provisional = new Map<string, { frameIndex: number; captureTimeMs: number }>();
system.cameras.addSink({
  name: "bench",
  provisional: (r) => provisional.set(r.passId, { frameIndex: r.frameIndex, captureTimeMs: r.captureTimeMs }),
});
system.access.addUser("bench-consumer", "consumer", true);
const { token } = await issueToken(
  system.access,
  loadOrCreateSecret(secretPath(config)),
  "bench-consumer",
  3600_000,
);
const client = await KestrelClient.connect({ url: `ws://127.0.0.1:${system.gateway.port}`, token });
const fromReadable: number[] = [];
const fromFrame: number[] = [];
const alerted = new Set<string>();
const slowest: { plate: string; ms: number; frames: string }[] = [];
client.onAlert((m) => {
  const arrivalMs = Date.now();
  const a = m.alert;
  const truth = plates.get(a.plate);
  const p = provisional.get(a.passId);
  fromFrame.push(arrivalMs - a.captureTimeMs);
  if (truth && p && truth.camera === a.cameraId) {
    // Frame times on a file camera are evenly spaced at the clip's rate from its first frame.
    const readableCaptureMs = a.captureTimeMs - ((p.frameIndex - truth.firstReadableFrame) * 1000) / FPS;
    fromReadable.push(arrivalMs - readableCaptureMs);
    slowest.push({
      plate: a.plate,
      ms: arrivalMs - readableCaptureMs,
      frames: `raised on frame ${p.frameIndex}, first readable ${truth.firstReadableFrame}`,
    });
    alerted.add(a.plate);
  }
});
await client.subscribe({ lists: ["bench"] });
const cameras: CameraConfig[] = clips.map((c) => ({
  id: c.id,
  url: c.path,
  direction: "towards",
  enabled: true,
  loop: false,
}));
const cpuStart = process.cpuUsage();
const wallStart = Date.now();
await system.cameras.apply(cameras);
while (system.cameras.status().some((s) => s.state !== "ended" && s.state !== "failed")) {
  await new Promise((r) => setTimeout(r, 250));
}
await new Promise((r) => setTimeout(r, 1000));
const cpu = process.cpuUsage(cpuStart);
const wallS = (Date.now() - wallStart) / 1000;

const line = (label: string, xs: number[]) =>
  console.log(
    `${label.padEnd(44)} n=${xs.length}  p50 ${percentile(xs, 50).toFixed(0)} ms  p99 ${percentile(xs, 99).toFixed(0)} ms  max ${Math.max(...xs).toFixed(0)} ms`,
  );
console.log(
  `${CAMERAS} cameras × ${DURATION_S} s 720p ${FPS} fps at native rate; ${plates.size} readable hot-listed vehicles`,
);
line("capture-to-alert, from first readable frame", fromReadable);
line("capture-to-alert, from the frame that raised it", fromFrame);
console.log(`vehicles alerted ${alerted.size}/${plates.size}; target p99 ≤ 500 ms from first readable frame`);
console.log(
  `slowest: ${slowest
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 3)
    .map((x) => `${x.plate} ${x.ms.toFixed(0)} ms (${x.frames})`)
    .join("; ")}; not alerted: ${[...plates.keys()].filter((p) => !alerted.has(p)).join(" ") || "none"}`,
);
console.log(
  `main process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s over ${wallS.toFixed(1)} s wall (workers are threads of this process)`,
);
// Where the time goes, from the pipeline's own histograms (mean over every frame of every camera).
for (const name of ["kestrel_capture_to_read_seconds", "kestrel_recognise_frame_seconds"]) {
  const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  const sum = (values as { metricName?: string; value: number }[])
    .filter((v) => v.metricName === `${name}_sum`)
    .reduce((a, v) => a + v.value, 0);
  const count = (values as { metricName?: string; value: number }[])
    .filter((v) => v.metricName === `${name}_count`)
    .reduce((a, v) => a + v.value, 0);
  console.log(
    `${name.padEnd(44)} mean ${((sum / Math.max(1, count)) * 1000).toFixed(1)} ms over ${count} frames`,
  );
}
await client.close();
await system.close();
rmSync(dataDir, { recursive: true, force: true });
