// Gateway benchmark.
// 1. Alert fan-out to SUBSCRIBERS (default 1,000) WebSocket clients on loopback: p50/p99 from publish (the
//    hot-list service calling the gateway's AlertSink) to receipt by the client, and messages/s delivered.
//    Baseline in the same run: raw uWS pub/sub (app.publish to one topic) to the same number of clients,
//    the floor for any fan-out on this machine.
// 2. Query round trip (client → gateway → policy → two durable audit appends → store → client) at N stored
//    reads (GATEWAY_BENCH_N, default 1,000,000; 10,000,000 takes minutes and GBs to build), against the
//    store's own byPlate call in the same process as the baseline.
// The clients run in a worker thread so they do not share the gateway's thread. The machine has two cores
// shared with other work: timings are noisy, read the ratios.
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { AccessStore, issueToken, loadOrCreateSecret } from "../src/access/index.js";
import { KestrelClient } from "../src/client/index.js";
import { loadConfig } from "../src/config/index.js";
import type { KestrelConfig } from "../src/config/schema.js";
import type { Alert, FinalRead } from "../src/domain/index.js";
import { startGateway } from "../src/gateway/index.js";
import { readStorePort } from "../src/gateway/store-port.js";
import { uws } from "../src/gateway/uws.js";
import { openEnvironment } from "../src/store/environment.js";
import { ReadStore } from "../src/store/read-store.js";

const SUBSCRIBERS = Number(process.env.GATEWAY_BENCH_SUBSCRIBERS ?? 1000);
const LATENCY_ALERTS = 200;
const LATENCY_INTERVAL_MS = 50;
const THROUGHPUT_ALERTS = 400;
const N = Number(process.env.GATEWAY_BENCH_N ?? 1_000_000);
const QUERIES = 300;

const line = (s: string) => process.stdout.write(`${s}\n`);
const nowAbs = () => performance.timeOrigin + performance.now();
const pct = (sorted: ArrayLike<number>, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

// ---- client worker (plain JS: runs without a TypeScript loader)
const WORKER = `
const { parentPort } = require("node:worker_threads");
const { performance } = require("node:perf_hooks");
const WebSocket = require(${JSON.stringify(require_resolve_ws())});
let sockets = [];
let expected = 0, received = 0, lat = [], firstAt = 0, lastAt = 0;
const KEY = Buffer.from('"raisedAtMs":');
// Cheap per-message work, as a client that only displays alerts would do: find raisedAtMs without a full
// JSON.parse, so the client thread (not the gateway) is less often the bottleneck. Same code for both servers.
function onMessage(data) {
  const at = data.indexOf(KEY);
  if (at < 0) return;
  let i = at + KEY.length, v = 0, frac = 0, scale = 1;
  while (data[i] >= 48 && data[i] <= 57) v = v * 10 + (data[i++] - 48);
  if (data[i] === 46) { i++; while (data[i] >= 48 && data[i] <= 57) { frac = frac * 10 + (data[i++] - 48); scale *= 10; } }
  const t = performance.timeOrigin + performance.now();
  if (received === 0) firstAt = t;
  lat.push(t - (v + frac / scale));
  received++;
  lastAt = t;
  if (received === expected) parentPort.postMessage({ done: true, lat, firstAt, lastAt });
}
async function open(url, headers, subscribe) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ["kestrel.v1"], { headers });
    ws.once("error", reject);
    ws.once("message", (first) => {
      if (!subscribe) { ws.on("message", onMessage); resolve(ws); return; }
      ws.send(subscribe);
      ws.once("message", () => { ws.on("message", onMessage); resolve(ws); });
    });
    if (!subscribe) ws.once("open", () => ws.emit("message", "{}"));
  });
}
parentPort.on("message", async (cmd) => {
  if (cmd.cmd === "connect") {
    for (let i = 0; i < cmd.n; i += 50) {
      const batch = [];
      for (let j = i; j < Math.min(cmd.n, i + 50); j++) batch.push(open(cmd.url, cmd.headers, cmd.subscribe));
      sockets.push(...(await Promise.all(batch)));
    }
    parentPort.postMessage({ ready: sockets.length });
  } else if (cmd.cmd === "measure") {
    expected = cmd.expected; received = 0; lat = []; firstAt = 0; lastAt = 0;
    parentPort.postMessage({ armed: true });
  } else if (cmd.cmd === "close") {
    for (const s of sockets) s.terminate();
    sockets = [];
    parentPort.postMessage({ closed: true });
  }
});
`;

function require_resolve_ws(): string {
  return join(process.cwd(), "node_modules", "ws", "index.js");
}

class Clients {
  private readonly worker = new Worker(WORKER, { eval: true });
  constructor() {
    this.worker.on("error", (err) => {
      process.stderr.write(`client worker failed: ${String(err)}\n`);
      process.exit(1);
    });
  }
  private next<T>(): Promise<T> {
    return new Promise((resolve) => this.worker.once("message", resolve));
  }
  async connect(url: string, headers: Record<string, string>, subscribe: string | null): Promise<number> {
    this.worker.postMessage({ cmd: "connect", url, headers, subscribe, n: SUBSCRIBERS });
    return (await this.next<{ ready: number }>()).ready;
  }
  /** Arms the counters; resolves (once armed) with a promise of the measurement. */
  async arm(
    expected: number,
  ): Promise<{ done: Promise<{ lat: number[]; firstAt: number; lastAt: number }> }> {
    this.worker.postMessage({ cmd: "measure", expected });
    await this.next();
    return { done: this.next() };
  }
  async close(): Promise<void> {
    this.worker.postMessage({ cmd: "close" });
    await this.next();
  }
  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

let alertNo = 0;
function alert(): Alert {
  const n = ++alertNo;
  return {
    alertId: `bench-${n}`,
    kind: "live",
    passId: `pass-${n}`,
    cameraId: "cam-001",
    captureTimeMs: Date.now(),
    plate: "AB12CDE",
    confidence: 0.97,
    hit: {
      entry: {
        list: "stolen",
        plate: "AB12CDE",
        category: "stolen",
        priority: 1,
        reason: "stolen vehicle",
        action: "stop and check",
        warnings: ["violent"],
        sourceRef: "PNC-1",
        securityMarking: "OFFICIAL",
      },
      matchKind: "exact",
      matchedPlate: "AB12CDE",
      substitutions: 0,
    },
    raisedAtMs: nowAbs(),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const turn = () => new Promise((r) => setImmediate(r));

interface FanoutResult {
  p50: number;
  p99: number;
  msgsPerSec: number;
}

/** Runs both fan-out phases: paced alerts for latency, then a burst for throughput. */
async function measureFanout(clients: Clients, publish: (a: Alert) => void): Promise<FanoutResult> {
  // warm-up
  let { done } = await clients.arm(20 * SUBSCRIBERS);
  for (let i = 0; i < 20; i++) {
    publish(alert());
    await sleep(5);
  }
  await done;
  ({ done } = await clients.arm(LATENCY_ALERTS * SUBSCRIBERS));
  for (let i = 0; i < LATENCY_ALERTS; i++) {
    publish(alert());
    await sleep(LATENCY_INTERVAL_MS);
  }
  const lat = (await done).lat.sort((a, b) => a - b);
  ({ done } = await clients.arm(THROUGHPUT_ALERTS * SUBSCRIBERS));
  const start = nowAbs();
  for (let i = 0; i < THROUGHPUT_ALERTS; i++) {
    publish(alert());
    if (i % 5 === 4) await turn();
  }
  const burst = await done;
  return {
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    msgsPerSec: (THROUGHPUT_ALERTS * SUBSCRIBERS) / ((burst.lastAt - start) / 1000),
  };
}

function testConfig(dir: string): KestrelConfig {
  const base = loadConfig({ env: {} });
  return {
    ...base,
    store: { ...base.store, dataDir: dir, mapSizeGiB: 64 },
    gateway: {
      ...base.gateway,
      port: 0,
      rateLimitPerMinute: 1_000_000,
      maxBackpressureBytes: 4 * 1024 * 1024,
    },
  };
}

async function fanoutBench(): Promise<void> {
  line(`fan-out to ${SUBSCRIBERS} subscribers on loopback (clients in one worker thread)`);
  // Baseline: raw uWS pub/sub.
  const mod = uws();
  const app = mod.App();
  app.ws("/*", { maxBackpressure: 64 * 1024 * 1024, open: (ws) => void ws.subscribe("alerts") });
  const listen = await new Promise<unknown>((resolve) => app.listen("127.0.0.1", 0, resolve));
  const rawPort = mod.us_socket_local_port(listen as Parameters<typeof mod.us_socket_local_port>[0]);
  const rawClients = new Clients();
  await rawClients.connect(`ws://127.0.0.1:${rawPort}/`, {}, null);
  const raw = await measureFanout(rawClients, (a) => {
    app.publish("alerts", JSON.stringify({ type: "alert", seq: 0, alert: a }));
  });
  await rawClients.close();
  await rawClients.terminate();
  mod.us_listen_socket_close(listen as Parameters<typeof mod.us_listen_socket_close>[0]);

  // The gateway: per-connection filter, sequence number and backpressure check.
  const dir = join(tmpdir(), `kestrel-gwbench-fanout-${process.pid}`);
  const config = testConfig(dir);
  const env = openEnvironment({ dataDir: dir, mapSizeGiB: 1 });
  const access = new AccessStore(env);
  access.addUser("bench", "consumer", false);
  const secret = loadOrCreateSecret(join(dir, "token-secret"));
  const store = ReadStore.open({ ...config.store, root: env, mapSizeGiB: 1 });
  const gw = await startGateway({ config, access, secret, audit: store.audit });
  const { token } = await issueToken(access, secret, "bench", 3_600_000);
  const clients = new Clients();
  const ready = await clients.connect(
    `ws://127.0.0.1:${gw.port}/v1/ws`,
    { authorization: `Bearer ${token}` },
    JSON.stringify({ id: 1, type: "subscribe", lists: ["stolen"] }),
  );
  let fanoutMs = 0;
  let fanouts = 0;
  const gwResult = await measureFanout(clients, (a) => {
    const t = performance.now();
    gw.alertSink.alert(a);
    fanoutMs += performance.now() - t;
    fanouts++;
  });
  await clients.close();
  await clients.terminate();
  await gw.close();
  await store.close();
  await env.close();
  rmSync(dir, { recursive: true, force: true });

  line(`  subscribers connected           ${ready}`);
  line(
    `  raw uWS publish    p50 ${fmt(raw.p50)}  p99 ${fmt(raw.p99)}  ${Math.round(raw.msgsPerSec).toLocaleString("en-GB")} msg/s delivered`,
  );
  line(
    `  gateway fan-out    p50 ${fmt(gwResult.p50)}  p99 ${fmt(gwResult.p99)}  ${Math.round(gwResult.msgsPerSec).toLocaleString("en-GB")} msg/s delivered`,
  );
  line(
    `  gateway/raw        p99 ${(gwResult.p99 / raw.p99).toFixed(2)}x   throughput ${(gwResult.msgsPerSec / raw.msgsPerSec).toFixed(2)}x`,
  );
  line(
    `  gateway send loop  ${fmt(fanoutMs / fanouts)} per alert to ${SUBSCRIBERS} = ${Math.round((SUBSCRIBERS * fanouts) / (fanoutMs / 1000)).toLocaleString("en-GB")} msg/s on the gateway thread`,
  );
  line(
    `  targets            p99 <= 20 ms: ${gwResult.p99 <= 20 ? "met" : "MISSED"}; >= 100,000 msg/s: ${gwResult.msgsPerSec >= 100_000 ? "met" : "MISSED"}`,
  );
}

// ---- queries

const LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY";
let seed = 0x2545f491;
function rand(n: number): number {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed % n;
}

async function queryBench(): Promise<void> {
  const dir = join(tmpdir(), `kestrel-gwbench-query-${process.pid}`);
  const config = testConfig(dir);
  const T0 = Date.UTC(2026, 0, 1);
  const SPAN = 30 * 86_400_000;
  const plates = Array.from({ length: Math.max(1000, Math.round(N / 5)) }, () => {
    const l = () => LETTERS[rand(LETTERS.length)]!;
    return `${l()}${l()}${String(rand(100)).padStart(2, "0")}${l()}${l()}${l()}`;
  });
  const env = openEnvironment({ dataDir: dir, mapSizeGiB: 64 });
  const store = ReadStore.open({ ...config.store, root: env });
  const t0 = performance.now();
  const BATCH = 5000;
  for (let i = 0; i < N; i += BATCH) {
    const writes: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(N, i + BATCH); j++) {
      const plate = plates[rand(plates.length)]!;
      const t = T0 + Math.floor((j * SPAN) / N);
      const read: FinalRead = {
        kind: "final",
        passId: `p${j}`,
        cameraId: `cam-${String(rand(200)).padStart(3, "0")}`,
        plate,
        confidence: 0.93,
        charConfidences: [0.95, 0.94, 0.97, 0.91, 0.9, 0.96, 0.93],
        candidates: [{ plate, confidence: 0.93 }],
        captureTimeMs: t,
        firstCaptureMs: t - 600,
        lastCaptureMs: t + 500,
        firstFrame: 0,
        lastFrame: 27,
        framesRead: 19,
        direction: "towards",
        box: [612, 388, 128, 30],
        engineVersion: "0.1.0",
      };
      writes.push(store.write(read));
    }
    await Promise.all(writes);
  }
  line(
    `query round trip at ${N.toLocaleString("en-GB")} stored reads (built in ${((performance.now() - t0) / 1000).toFixed(0)} s)`,
  );

  const access = new AccessStore(env);
  access.addUser("ana", "analyst", true);
  const secret = loadOrCreateSecret(join(dir, "token-secret"));
  const nowMs = T0 + SPAN + 86_400_000;
  const gw = await startGateway({
    config,
    access,
    secret,
    audit: store.audit,
    store: readStorePort(store),
    nowMs: () => nowMs,
  });
  const { token } = await issueToken(access, secret, "ana", 3_600_000, nowMs);
  const client = await KestrelClient.connect({ url: `ws://127.0.0.1:${gw.port}`, token });
  const window = { fromMs: T0, toMs: T0 + SPAN };

  const direct: number[] = [];
  const viaGateway: number[] = [];
  let rows = 0;
  for (let i = 0; i < QUERIES; i++) {
    const plate = plates[rand(plates.length)]!;
    let t = performance.now();
    store.byPlate({ plate, ...window });
    direct.push(performance.now() - t);
    t = performance.now();
    const r = await client.query(
      { kind: "plate", plate },
      { ...window, purpose: "volume", caseRef: "BENCH-1" },
    );
    viaGateway.push(performance.now() - t);
    rows += r.reads.length;
  }
  direct.sort((a, b) => a - b);
  viaGateway.sort((a, b) => a - b);
  line(`  store.byPlate direct   p50 ${fmt(pct(direct, 50))}  p99 ${fmt(pct(direct, 99))}`);
  line(
    `  gateway round trip     p50 ${fmt(pct(viaGateway, 50))}  p99 ${fmt(pct(viaGateway, 99))}  (${(rows / QUERIES).toFixed(1)} reads per answer; includes two durable audit appends)`,
  );
  line(`  gateway/direct p99     ${(pct(viaGateway, 99) / pct(direct, 99)).toFixed(1)}x`);
  await client.close();
  await gw.close();
  await store.close();
  await env.close();
  rmSync(dir, { recursive: true, force: true });
}

line("gateway benchmark (2 shared cores: timings are noisy, read the ratios)");
await fanoutBench();
await queryBench();
process.exit(0);
