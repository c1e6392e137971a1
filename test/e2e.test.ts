import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueToken, loadOrCreateSecret, secretPath } from "../src/access/index.js";
import { KestrelClient } from "../src/client/index.js";
import { type KestrelConfig, loadConfig } from "../src/config/index.js";
import type { AlertMessage } from "../src/gateway/protocol.js";
import { type System, startSystem } from "../src/runtime/system.js";
import { type ClipTruth, generateClip } from "../src/synth/clip.js";
import { EVAL_SEEDS } from "../src/synth/seeds.js";

/**
 * The whole journey on the real system: a synthetic camera stream played through ffmpeg, recognition in
 * worker threads, a hot-list hit alerting a WebSocket subscriber, the final read stored in LMDB, an
 * analyst's query finding it, the 100-day tier refusing it without an authorisation and giving it with one,
 * and the audit log holding every step with its chain intact.
 */
const DAY_MS = 86_400_000;
const dataDir = mkdtempSync(join(tmpdir(), "kestrel-e2e-"));
let config: KestrelConfig;
let system: System;
let truth: ClipTruth;
let clipPath: string;
let clockOffsetMs = 0;
const tokens: Record<string, string> = {};
let url: string;

beforeAll(async () => {
  const clip = await generateClip(EVAL_SEEDS.start + 424_242, {
    widthPx: 1280,
    heightPx: 720,
    durationS: 8,
    vehicles: 3,
    night: false,
    format: "ts",
  });
  truth = clip.truth;
  clipPath = clip.path;
  config = loadConfig({
    env: {
      KESTREL_STORE_DATA_DIR: dataDir,
      KESTREL_STORE_MAP_SIZE_GI_B: "1",
      KESTREL_METRICS_ENABLED: "false",
      KESTREL_DEMO_ENABLED: "false",
      KESTREL_RECOGNITION_WORKERS: "2",
    },
  });
  system = await startSystem(config, {
    cameras: [],
    gatewayPort: 0,
    nowMs: () => Date.now() + clockOffsetMs,
    hotlistEntries: truth.vehicles
      .filter((v) => v.firstFrame !== null)
      .map((v) => ({
        list: "stolen",
        plate: v.plate,
        category: "stolen",
        priority: 0,
        reason: `e2e vehicle ${v.id}`,
        action: "stop and check",
        warnings: ["violent"],
        sourceRef: `E2E/${v.id}`,
        securityMarking: "OFFICIAL",
      })),
  });
  const secret = loadOrCreateSecret(secretPath(config));
  for (const role of ["consumer", "analyst", "senior"] as const) {
    system.access.addUser(`e2e-${role}`, role, true);
    tokens[role] = (await issueToken(system.access, secret, `e2e-${role}`, 3600_000)).token;
  }
  url = `ws://127.0.0.1:${system.gateway.port}`;
}, 300_000);

afterAll(async () => {
  await system?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("camera → alert → store → query", () => {
  const alerts: AlertMessage[] = [];

  it("alerts a WebSocket subscriber with the right plate, entry and camera as the vehicle passes", async () => {
    const consumer = await KestrelClient.connect({ url, token: tokens.consumer! });
    consumer.onAlert((m) => alerts.push(m));
    await consumer.subscribe({ lists: ["stolen"] });
    await system.cameras.apply([
      {
        id: "cam-e2e",
        url: clipPath,
        direction: "towards",
        location: "secret site",
        enabled: true,
        loop: false,
      },
    ]);
    const visible = truth.vehicles.filter((v) => v.firstFrame !== null);
    await waitFor(() => alerts.length >= 1, 120_000);
    const first = alerts[0]!.alert;
    const vehicle = visible.find((v) => v.plate === first.plate);
    expect(vehicle, `alert plate ${first.plate} is one of ${visible.map((v) => v.plate)}`).toBeDefined();
    expect(first.cameraId).toBe("cam-e2e");
    expect(first.cameraLocation).toBeUndefined();
    expect(first.entry).toMatchObject({
      list: "stolen",
      plate: first.plate,
      reason: `e2e vehicle ${vehicle!.id}`,
    });
    expect(first.matchKind).toBe("exact");
    expect(alerts[0]!.seq).toBe(1);
    await consumer.close();
  });

  it("stores one final read per vehicle pass, and an analyst's query finds the alerted read", async () => {
    await waitFor(() => system.cameras.status()[0]?.state === "ended", 120_000);
    await system.store.flush();
    const plate = alerts[0]!.alert.plate;
    const now = Date.now();
    const analyst = await KestrelClient.connect({ url, token: tokens.analyst! });
    const result = await analyst.query(
      { kind: "plate", plate },
      { fromMs: now - DAY_MS, toMs: now + 60_000, purpose: "serious", caseRef: "E2E/001" },
    );
    expect(result.reads.length).toBe(1);
    expect(result.reads[0]).toMatchObject({ plate, cameraId: "cam-e2e", tier: "standard" });
    expect(result.reads[0]!.passId).toBe(alerts[0]!.alert.passId);
    expect(result.withheld).toEqual([]);
    await analyst.close();
  });

  it("refuses the same read as if 100 days old without an authorisation, and gives it with one", async () => {
    const plate = alerts[0]!.alert.plate;
    const captured = alerts[0]!.alert.captureTimeMs;
    clockOffsetMs = 100 * DAY_MS;
    const window = {
      fromMs: captured - DAY_MS,
      toMs: captured + DAY_MS,
      purpose: "serious" as const,
      caseRef: "E2E/002",
    };
    const analyst = await KestrelClient.connect({ url, token: tokens.analyst! });
    const refused = await analyst.query({ kind: "plate", plate }, window);
    expect(refused.reads).toEqual([]);
    expect(refused.withheld).toEqual([{ tier: "extended", reason: "authorisation-required", count: 1 }]);

    const auth = await analyst.requestAuthorisation({
      purpose: "serious",
      caseRef: "E2E/002",
      justification: "e2e: vehicle linked to a burglary",
      scope: { plates: [plate] },
      expiresAtMs: Date.now() + clockOffsetMs + DAY_MS,
    });
    const senior = await KestrelClient.connect({ url, token: tokens.senior! });
    await senior.decideAuthorisation(auth.id, "granted", "proportionate");
    const allowed = await analyst.query({ kind: "plate", plate }, { ...window, authorisationId: auth.id });
    expect(allowed.reads.map((r) => r.plate)).toEqual([plate]);
    expect(allowed.reads[0]!.tier).toBe("extended");
    await Promise.all([analyst.close(), senior.close()]);
  });

  it("audits each step and the chain verifies", () => {
    const entries = system.store.audit.list({ limit: 1000 });
    const actions = entries.map((e) => `${e.action}:${e.outcome}`);
    expect(actions).toContain("alerts.subscribe:ok");
    expect(actions.filter((a) => a.startsWith("query.result"))).toHaveLength(3);
    expect(
      entries.some((e) => e.action === "query.result" && (e.params as { withheld?: unknown[] })?.withheld),
    ).toBe(true);
    expect(actions).toContain("authorisation.request:ok");
    expect(actions).toContain("authorisation.grant:ok");
    expect(system.store.audit.verify()).toMatchObject({ ok: true, entries: entries.length });
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
