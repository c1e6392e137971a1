import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import type { FinalRead } from "../src/domain/index.js";
import "../src/gateway/metrics.js";
import "../src/hotlist/metrics.js";
import "../src/ingest/metrics.js";
import { registry } from "../src/metrics/registry.js";
import { type MetricsServer, startMetricsServer } from "../src/metrics/server.js";
import { ReadStore } from "../src/store/index.js";

const RULES = "ops/prometheus/kestrel-alerts.yml";
const DASHBOARD = "ops/grafana/kestrel-dashboard.json";

/** Metric names a PromQL expression uses (histogram series suffixes stripped). */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\bkestrel_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ""));
}

async function registered(): Promise<Set<string>> {
  return new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
}

describe("alerting rules and dashboard", () => {
  it("promtool accepts the alerting rules", () => {
    const out = execFileSync("promtool", ["check", "rules", RULES], { encoding: "utf8" });
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
  });

  it("the rules cover what ops teams must be told about", () => {
    const rules = (
      YAML.parse(readFileSync(RULES, "utf8")) as { groups: { rules: { alert: string }[] }[] }
    ).groups
      .flatMap((g) => g.rules)
      .map((r) => r.alert);
    for (const alert of [
      "KestrelCameraDown",
      "KestrelFrameDropRateHigh",
      "KestrelAlertLatencyHigh",
      "KestrelStoreQueueBackingUp",
      "KestrelDiskNearlyFull",
      "KestrelRetentionPurgeBehind",
      "KestrelAuditWriteFailure",
    ]) {
      expect(rules).toContain(alert);
    }
  });

  it("reference only metrics that exist", async () => {
    await import("../src/store/metrics.js");
    const names = await registered();
    const rules = YAML.parse(readFileSync(RULES, "utf8")) as { groups: { rules: { expr: string }[] }[] };
    const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as {
      panels: { targets: { expr: string }[] }[];
    };
    const used = [
      ...rules.groups.flatMap((g) => g.rules.flatMap((r) => metricsIn(r.expr))),
      ...dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricsIn(t.expr))),
    ];
    expect(used.length).toBeGreaterThan(30);
    expect(used.filter((n) => !names.has(n))).toEqual([]);
  });

  it("no metric carries a plate, user or location label", async () => {
    const allowed = new Set([
      "camera",
      "reason",
      "list",
      "match_kind",
      "kind",
      "tier",
      "purpose",
      "state",
      "le",
      "quantile",
      "stage",
    ]);
    for (const metric of await registry.getMetricsAsJSON()) {
      for (const value of metric.values) {
        for (const label of Object.keys(value.labels)) {
          if (metric.name.startsWith("kestrel_nodejs_") || metric.name.startsWith("kestrel_process_"))
            continue;
          expect(allowed.has(label), `${metric.name} label ${label}`).toBe(true);
        }
      }
    }
  });
});

describe("the /metrics endpoint of a running instance", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "kestrel-ops-"));
  let store: ReadStore;
  let server: MetricsServer;
  let ready = false;

  beforeAll(async () => {
    store = ReadStore.open({ dataDir, mapSizeGiB: 0.25 });
    server = await startMetricsServer({
      host: "127.0.0.1",
      port: 0,
      notReady: () => (ready ? [] : ["no cameras configured"]),
    });
  });

  afterAll(async () => {
    server.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const base = () => `http://127.0.0.1:${server.port}`;

  it("serves an exposition promtool accepts, whose counters move with work", async () => {
    const before = await (await fetch(`${base()}/metrics`)).text();
    const check = spawnSync("promtool", ["check", "metrics"], { input: before, encoding: "utf8" });
    expect(check.stderr).not.toMatch(/error parsing/i);
    const stored = (text: string) =>
      Number(/^kestrel_store_reads_stored_total (\d+)/m.exec(text)?.[1] ?? "0");
    const now = Date.now();
    const read: FinalRead = {
      kind: "final",
      passId: "ops-1",
      cameraId: "cam-ops",
      plate: "AB12CDE",
      confidence: 0.97,
      charConfidences: [1, 1, 1, 1, 1, 1, 1],
      candidates: [{ plate: "AB12CDE", confidence: 0.97 }],
      captureTimeMs: now,
      firstCaptureMs: now - 1000,
      lastCaptureMs: now,
      firstFrame: 0,
      lastFrame: 25,
      framesRead: 20,
      direction: "towards",
      box: [10, 10, 120, 26],
      engineVersion: "test",
    };
    await store.write(read);
    await store.write({ ...read, passId: "ops-2" });
    const after = await (await fetch(`${base()}/metrics`)).text();
    expect(stored(after) - stored(before)).toBe(2);
    expect(after).toMatch(/^kestrel_process_cpu_seconds_total /m);
  });

  it("answers /healthz, and /readyz with its reasons", async () => {
    expect(await (await fetch(`${base()}/healthz`)).json()).toEqual({ alive: true });
    const notReady = await fetch(`${base()}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, reasons: ["no cameras configured"] });
    ready = true;
    const nowReady = await fetch(`${base()}/readyz`);
    expect(nowReady.status).toBe(200);
  });
});
