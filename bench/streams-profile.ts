// `npx tsx bench/streams-profile.ts [streams] [every]`: where the live pipeline's CPU goes, per decoded
// frame: the ffmpeg children, node's main thread (pipe reads, framing, timestamps, queues, tracker), the
// recogniser worker threads, and node's other threads (GC helpers, compiler, libuv). Files play at native
// rate (as in bench/streams.bench.ts). `every` recognises every frame (no skipping).
// Per-thread CPU comes from /proc/self/task/<tid>/stat; worker threads are the ones the pool started;
// ffmpeg's CPU is the children's (cutime + cstime, exact once they are reaped).
// Not a benchmark (no ratio): a diagnostic for docs/streams.md. Run with `node --cpu-prof --import tsx`
// for a main-thread profile.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { configSchema } from "../src/config/index.js";
import { CameraManager } from "../src/pipeline/camera-manager.js";
import { DEFAULT_SKIP, NO_SKIP } from "../src/pipeline/frame-skip.js";
import { generateClip } from "../src/synth/clip.js";
import { EVAL_SEEDS, seedAt } from "../src/synth/seeds.js";

process.env.KESTREL_LOG_LEVEL ??= "error";
const STREAMS = Number(process.argv[2] ?? 1);
const SKIP = process.argv[3] === "every" ? NO_SKIP : DEFAULT_SKIP;
const SECONDS = Number(process.env.STREAMS_BENCH_SECONDS ?? 12);
const TICKS_PER_S = 100;

function statFields(path: string): string[] {
  const stat = readFileSync(path, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** utime + stime of each thread of this process, seconds. */
function threadCpu(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const f = statFields(`/proc/self/task/${tid}/stat`);
      out.set(Number(tid), (Number(f[11]) + Number(f[12])) / TICKS_PER_S);
    } catch {}
  }
  return out;
}

/** stime (kernel time) of the main thread, seconds. */
function mainSystemCpu(): number {
  return Number(statFields(`/proc/self/task/${process.pid}/stat`)[12]) / TICKS_PER_S;
}

/** CPU of reaped children (cutime + cstime), seconds. */
function childrenCpu(): number {
  const f = statFields("/proc/self/stat");
  return (Number(f[13]) + Number(f[14])) / TICKS_PER_S;
}

const clips: { path: string }[] = [];
for (let i = 0; i < 3; i++) {
  clips.push(
    await generateClip(seedAt(EVAL_SEEDS, 1500 + i), { durationS: SECONDS, vehicles: 6, night: i % 3 === 2 }),
  );
}

const before = new Set(threadCpu().keys());
const recognition = configSchema.parse({ recognition: { workers: 0 } }).recognition;
const manager = new CameraManager({ recognition, skip: SKIP, sinks: [] });
await manager.start();
const workerTids = [...threadCpu().keys()].filter((t) => !before.has(t));
await manager.apply(
  configSchema.parse({ cameras: clips.map((c, i) => ({ id: `warm${i}`, url: c.path })) }).cameras,
);
await new Promise((r) => setTimeout(r, 3000));
await manager.apply([]);

// STREAMS_PROFILE_OUT=file.cpuprofile: a main-thread CPU profile of the measured window only.
const profileOut = process.env.STREAMS_PROFILE_OUT;
const session = profileOut ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
}
const t0 = threadCpu();
const sys0 = mainSystemCpu();
const c0 = childrenCpu();
const w0 = performance.now();
await manager.apply(
  configSchema.parse({
    cameras: Array.from({ length: STREAMS }, (_, i) => ({
      id: `cam${i}`,
      url: clips[i % clips.length]!.path,
    })),
  }).cameras,
);
while (!manager.status().every((s) => s.state === "ended" || s.state === "failed")) {
  await new Promise((r) => setTimeout(r, 100));
}
const wallS = (performance.now() - w0) / 1000;
const status = manager.status();
await manager.apply([]);
await new Promise((r) => setTimeout(r, 200));
const t1 = threadCpu();
const mainSysS = mainSystemCpu() - sys0;
if (session && profileOut) {
  const { profile } = await session.post("Profiler.stop");
  writeFileSync(profileOut, JSON.stringify(profile));
}
const ffmpegS = childrenCpu() - c0;

const decoded = status.reduce((a, s) => a + s.framesDecoded, 0);
const recognised = status.reduce((a, s) => a + s.framesRecognised, 0);
const dropped = status.reduce((a, s) => a + Object.values(s.framesDropped).reduce((x, y) => x + y, 0), 0);
const delta = (tid: number) => (t1.get(tid) ?? 0) - (t0.get(tid) ?? 0);
const mainS = delta(process.pid);
const workersS = workerTids.reduce((a, t) => a + delta(t), 0);
let otherS = 0;
for (const tid of t1.keys()) if (tid !== process.pid && !workerTids.includes(tid)) otherS += delta(tid);
if (process.env.STREAMS_PROFILE_THREADS) {
  const rows = [...t1.keys()].map((t) => [t, delta(t)] as const).filter(([, d]) => d > 0);
  for (const [t, d] of rows.sort((a, b) => b[1] - a[1])) {
    const role = t === process.pid ? "main" : workerTids.includes(t) ? "worker" : "other";
    process.stdout.write(`  thread ${t} ${role}: ${(d * 1000).toFixed(0)} ms\n`);
  }
}
const ms = (s: number) => ((s * 1000) / decoded).toFixed(2);
const totalS = ffmpegS + mainS + workersS + otherS;
process.stdout.write(
  `${STREAMS} stream(s), ${SKIP === NO_SKIP ? "every frame" : "adaptive skip"}: ${wallS.toFixed(1)} s wall, ` +
    `${decoded} decoded, ${recognised} recognised, ${dropped} dropped\n` +
    `CPU ms per decoded frame: ffmpeg ${ms(ffmpegS)}, main thread ${ms(mainS)} (kernel ${ms(mainSysS)}), workers ${ms(workersS)} ` +
    `(${((workersS * 1000) / Math.max(1, recognised)).toFixed(2)} per recognised frame), other threads ${ms(otherS)}, ` +
    `total ${ms(totalS)}\n`,
);
await manager.stop();
