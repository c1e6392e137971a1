// bench/store: ingest rate with every index next to raw lmdb-js puts (same run), plate and camera+hour query
// latency at N stored reads (default 10 million: STORE_BENCH_N=1000000 for a quicker run), partial-plate
// query time, and bytes per read on disk. The dataset is built in a temp dir and removed afterwards.
// Timings on a shared 2-core machine are noisy: read the ratios.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { open } from "lmdb";
import type { FinalRead } from "../src/domain/index.js";
import { ReadStore } from "../src/store/index.js";
import { ReadKeyAllocator } from "../src/store/keys.js";

const N = Number(process.env.STORE_BENCH_N ?? 10_000_000);
const RAW_N = Math.min(N, 1_000_000);
// STORE_BENCH_INGEST_ONLY=1: stop after the ingest and bytes-per-read lines (for profiling intake).
const INGEST_ONLY = process.env.STORE_BENCH_INGEST_ONLY === "1";
// STORE_BENCH_KEEP=dir: build in that directory and leave it there (to profile intake into a large store).
const KEEP_DIR = process.env.STORE_BENCH_KEEP;
const CAMERAS = 200;
const DISTINCT_PLATES = Math.max(1000, Math.round(N / 5));
const SPAN_MS = 30 * 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const STEP_MS = SPAN_MS / N;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY";
const rand = rng(42);
const pick = (s: string) => s[Math.floor(rand() * s.length)]!;
const plates = Array.from(
  { length: DISTINCT_PLATES },
  () =>
    `${pick(LETTERS)}${pick(LETTERS)}${pick("0123456789")}${pick("0123456789")}${pick(LETTERS)}${pick(LETTERS)}${pick(LETTERS)}`,
);

function readAt(i: number): FinalRead {
  const plate = plates[Math.floor(rand() * plates.length)]!;
  const t = T0 + Math.floor(i * STEP_MS);
  return {
    kind: "final",
    passId: `p${i}`,
    cameraId: `cam-${String(Math.floor(rand() * CAMERAS)).padStart(3, "0")}`,
    plate,
    confidence: 0.93,
    charConfidences: [0.95, 0.94, 0.97, 0.91, 0.9, 0.96, 0.93],
    candidates: [
      { plate, confidence: 0.93 },
      { plate: `${plate.slice(0, 6)}B`, confidence: 0.41 },
    ],
    captureTimeMs: t,
    firstCaptureMs: t - 600,
    lastCaptureMs: t + 500,
    firstFrame: i * 3,
    lastFrame: i * 3 + 27,
    framesRead: 19,
    direction: "towards",
    box: [612, 388, 128, 30],
    engineVersion: "0.1.0",
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
function timeMany(n: number, fn: (i: number) => void): { p50: number; p99: number; max: number } {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn(i);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), max: times.at(-1)! };
}
const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
const line = (s: string) => process.stdout.write(`${s}\n`);

// CPU time (all threads: JS and lmdb-js's writer) per read, less sensitive than wall time to other load.
let cpuUsPerRead = 0;
function cpuSince(start: NodeJS.CpuUsage, reads: number): void {
  const used = process.cpuUsage(start);
  cpuUsPerRead = (used.user + used.system) / reads;
}

/**
 * CPU seconds of each thread of this process (Linux /proc; empty elsewhere), by thread id. The main thread's
 * id is the process id; the store's writer thread is the busiest of the others while it ingests.
 */
function threadCpuS(): Map<number, number> {
  const out = new Map<number, number>();
  try {
    for (const tid of readdirSync("/proc/self/task")) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(Number(tid), (Number(f[11]) + Number(f[12])) / 100);
    }
  } catch {
    // not Linux: no per-thread line
  }
  return out;
}

/** "main 4.4, writer 10.1, other threads 2.9 µs/read" between two threadCpuS() snapshots. */
function threadSplit(before: Map<number, number>, after: Map<number, number>, reads: number): string {
  const used = [...after].map(([tid, s]) => ({ tid, us: ((s - (before.get(tid) ?? 0)) * 1e6) / reads }));
  if (used.length === 0) return "unavailable";
  const main = used.find((u) => u.tid === process.pid)?.us ?? 0;
  const others = used.filter((u) => u.tid !== process.pid).sort((a, b) => b.us - a.us);
  const busiest = others[0]?.us ?? 0;
  const rest = others.slice(1).reduce((sum, u) => sum + u.us, 0);
  return `main ${main.toFixed(1)}, busiest other (the writer) ${busiest.toFixed(1)}, the rest ${rest.toFixed(1)} µs/read`;
}

async function rawBaseline(dir: string): Promise<number> {
  const env = open({ path: dir, maxDbs: 4, mapSize: 8 * 1024 ** 3 });
  const db = env.openDB({ name: "raw", keyEncoding: "binary" });
  const keys = new ReadKeyAllocator();
  const cpu = process.cpuUsage();
  const t = performance.now();
  let last: Promise<boolean> | undefined;
  for (let i = 0; i < RAW_N; i++) {
    const r = readAt(i);
    last = db.put(keys.next(r.captureTimeMs), r);
    if (i % 5000 === 4999) await last;
  }
  await last;
  await env.flushed;
  const rate = RAW_N / ((performance.now() - t) / 1000);
  cpuSince(cpu, RAW_N);
  await env.close();
  return rate;
}

interface IngestRate {
  /** Reads per second and CPU µs per read over the whole ingest. */
  rate: number;
  cpuUsPerRead: number;
  /** The same over the last million reads (or the whole ingest if shorter): the steady state at N. */
  lastRate: number;
  lastCpuUsPerRead: number;
  lastReads: number;
  /** CPU per read by thread, over the whole ingest and over the last million. */
  threads: string;
  lastThreads: string;
}

async function ingest(
  store: ReadStore,
  count: number,
  withPatch: Uint8Array | undefined,
): Promise<IngestRate> {
  const threads0 = threadCpuS();
  const cpu = process.cpuUsage();
  const t = performance.now();
  const chunk = 1_000_000;
  let i = 0;
  let nextReport = chunk;
  let chunkStart = { at: t, cpu: process.cpuUsage(), reads: 0, threads: threads0 };
  const lastFrom = Math.max(0, count - chunk);
  let last = chunkStart;
  while (i < count) {
    while (i < count && store.accepting) {
      if (i === lastFrom)
        last = { at: performance.now(), cpu: process.cpuUsage(), reads: i, threads: threadCpuS() };
      const r = readAt(i++);
      if (withPatch) r.patch = withPatch;
      store.final(r);
    }
    if (i >= nextReport) {
      const now = performance.now();
      const used = process.cpuUsage(chunkStart.cpu);
      const reads = i - chunkStart.reads;
      process.stderr.write(
        `  ingested ${i}: overall ${Math.round(i / ((now - t) / 1000))} reads/s, this million ` +
          `${Math.round(reads / ((now - chunkStart.at) / 1000))} reads/s, ` +
          `CPU ${((used.user + used.system) / reads).toFixed(1)} µs/read ` +
          `(${threadSplit(chunkStart.threads, threadCpuS(), reads)})\n`,
      );
      chunkStart = { at: now, cpu: process.cpuUsage(), reads: i, threads: threadCpuS() };
      nextReport += chunk;
    }
    if (i < count) await store.whenAccepting();
  }
  await store.flush();
  const end = performance.now();
  const threadsEnd = threadCpuS();
  const rate = count / ((end - t) / 1000);
  cpuSince(cpu, count);
  const lastReads = count - last.reads;
  const lastUsed = process.cpuUsage(last.cpu);
  return {
    rate,
    cpuUsPerRead,
    lastRate: lastReads / ((end - last.at) / 1000),
    lastCpuUsPerRead: (lastUsed.user + lastUsed.system) / lastReads,
    lastReads,
    threads: threadSplit(threads0, threadsEnd, count),
    lastThreads: threadSplit(last.threads, threadsEnd, lastReads),
  };
}

async function main(): Promise<void> {
  const base = KEEP_DIR ?? mkdtempSync(join(tmpdir(), "kestrel-bench-store-"));
  try {
    line(`store bench: N=${N} reads, ${DISTINCT_PLATES} distinct plates, ${CAMERAS} cameras over 30 days`);

    // 1. Ingest: raw lmdb-js puts of the same records (one put per read) as the baseline, same run.
    const rawRate = await rawBaseline(join(base, "raw"));
    const rawCpu = cpuUsPerRead;
    line(
      `raw lmdb-js put (1 put/read, msgpack record)  ${Math.round(rawRate)} reads/s  (${RAW_N} reads)  ` +
        `CPU ${rawCpu.toFixed(1)} µs/read`,
    );

    const store = ReadStore.open({ dataDir: join(base, "store"), mapSizeGiB: 64, batchMaxReads: 5000 });
    const ingested = await ingest(store, N, undefined);
    const rate = ingested.rate;
    line(
      `store ingest (record + plate/camera index + plate grams, durable batches)  ${Math.round(rate)} reads/s  ` +
        `ratio vs raw ${(rate / rawRate).toFixed(2)}  (target ≥ 50000)`,
    );
    line(
      `store ingest CPU (all threads) ${ingested.cpuUsPerRead.toFixed(1)} µs/read  ratio vs raw ${(ingested.cpuUsPerRead / rawCpu).toFixed(2)}`,
    );
    line(`store ingest CPU by thread: ${ingested.threads}`);
    line(
      `store ingest, last ${ingested.lastReads} reads (to ${N})  ${Math.round(ingested.lastRate)} reads/s  ` +
        `ratio vs raw ${(ingested.lastRate / rawRate).toFixed(2)}  CPU ${ingested.lastCpuUsPerRead.toFixed(1)} µs/read  ` +
        `ratio vs raw ${(ingested.lastCpuUsPerRead / rawCpu).toFixed(2)}`,
    );
    line(`store ingest CPU by thread, last ${ingested.lastReads} reads: ${ingested.lastThreads}`);
    const stats = store.stats();
    line(
      `on disk at ${N} reads without images: ${(stats.highWaterBytes / 1024 ** 2).toFixed(0)} MiB, ` +
        `${(stats.highWaterBytes / N).toFixed(0)} bytes/read (${stats.plates} distinct plates indexed)`,
    );

    if (INGEST_ONLY) {
      await store.close();
      return;
    }

    // 2. Queries at N stored reads.
    const qr = rng(7);
    const plateQ = timeMany(2000, () => {
      const plate = plates[Math.floor(qr() * plates.length)]!;
      store.byPlate({ plate, fromMs: T0, toMs: T0 + SPAN_MS, limit: 100 });
    });
    line(
      `plate query, 30-day window (newest first, ≤100)  p50 ${fmt(plateQ.p50)}  p99 ${fmt(plateQ.p99)}  (target p99 ≤ 5 ms)`,
    );
    let camItems = 0;
    const camQ = timeMany(2000, () => {
      const cameraId = `cam-${String(Math.floor(qr() * CAMERAS)).padStart(3, "0")}`;
      const from = T0 + Math.floor(qr() * (SPAN_MS - 3_600_000));
      camItems += store.byCamera({ cameraId, fromMs: from, toMs: from + 3_599_999, limit: 1000 }).items
        .length;
    });
    line(
      `camera + hour query (all reads, ≤1000)  p50 ${fmt(camQ.p50)}  p99 ${fmt(camQ.p99)}  ` +
        `(avg ${(camItems / 2000).toFixed(0)} reads/hour; target p99 ≤ 20 ms)`,
    );

    // Baseline for the query latencies: a single get of a known key (the cost floor of any lookup).
    const someId = store.byTime({ fromMs: T0, toMs: T0 + SPAN_MS, limit: 1 }).items[0]!.readId;
    const getQ = timeMany(2000, () => store.get(someId));
    line(`baseline: one store.get by readId  p50 ${fmt(getQ.p50)}  p99 ${fmt(getQ.p99)}`);

    // 3. Partial-plate patterns, built from stored plates, first page of 100, whole span.
    const shapes: Array<[string, (p: string) => string]> = [
      ["AB1?C*   (prefix, one unknown, open end)", (p) => `${p.slice(0, 3)}?${p[4]}*`],
      ["AB12?DE  (one unknown)", (p) => `${p.slice(0, 4)}?${p.slice(5)}`],
      ["?B12C??  (unknown first)", (p) => `?${p.slice(1, 5)}??`],
      ["*12CD*   (middle run only)", (p) => `*${p.slice(2, 6)}*`],
      ["A?1?C*   (scattered)", (p) => `${p[0]}?${p[2]}?${p[4]}*`],
      ["*2C*     (two characters only)", (p) => `*${p.slice(3, 5)}*`],
    ];
    for (const [name, make] of shapes) {
      let items = 0;
      let partial = 0;
      const w = timeMany(50, () => {
        const pattern = make(plates[Math.floor(qr() * plates.length)]!);
        const page = store.byPartialPlate({ pattern, fromMs: T0, toMs: T0 + SPAN_MS, limit: 100 });
        items += page.items.length;
        if (page.items.length < 100 && page.cursor) partial++;
      });
      line(
        `wildcard ${name}  first page p50 ${fmt(w.p50)}  p99 ${fmt(w.p99)}  max ${fmt(w.max)}  ` +
          `avg ${(items / 50).toFixed(0)} reads${partial ? `, ${partial}/50 pages cut by scan budget` : ""}  (target ≤ 200 ms)`,
      );
    }
    const convoyQ = timeMany(200, () => {
      store.convoy({
        plate: plates[Math.floor(qr() * plates.length)]!,
        fromMs: T0,
        toMs: T0 + SPAN_MS,
        withinSeconds: 60,
        minOccasions: 2,
      });
    });
    line(`convoy (30 days, ±60 s, ≥2 occasions)  p50 ${fmt(convoyQ.p50)}  p99 ${fmt(convoyQ.p99)}`);

    // 4. Retention purge rate (one day's worth).
    const tPurge = performance.now();
    const counts = await store.purge({ nowMs: T0 + 730 * 86_400_000 + 86_400_000 });
    const purgeS = (performance.now() - tPurge) / 1000;
    line(
      `purge of one day (${counts.reads} reads, ${counts.transactions} txns)  ${Math.round(counts.reads / purgeS)} reads/s`,
    );
    await store.close();
    if (!KEEP_DIR) rmSync(join(base, "store"), { recursive: true, force: true });

    // 5. Bytes per read with a realistic ~3 KB plate patch.
    const small = Math.min(N, 100_000);
    const withImages = ReadStore.open({ dataDir: join(base, "images"), mapSizeGiB: 8 });
    const patch = new Uint8Array(3000).map((_, i) => (i * 31) & 255);
    const imgRate = (await ingest(withImages, small, patch)).rate;
    const imgBytes = withImages.stats().highWaterBytes;
    line(
      `with 3000-byte patches: ${(imgBytes / small).toFixed(0)} bytes/read on disk (${small} reads), ingest ${Math.round(imgRate)} reads/s`,
    );
    await withImages.close();
  } finally {
    if (!KEEP_DIR) rmSync(base, { recursive: true, force: true });
  }
}

await main();
