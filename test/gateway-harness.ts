import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccessStore, issueToken, loadOrCreateSecret } from "../src/access/index.js";
import type { AuditEntry } from "../src/audit/audit-log.js";
import { KestrelClient } from "../src/client/index.js";
import { loadConfig } from "../src/config/index.js";
import type { KestrelConfig, Role } from "../src/config/schema.js";
import type { Alert, FinalRead } from "../src/domain/index.js";
import { type Gateway, startGateway } from "../src/gateway/index.js";
import { readStorePort } from "../src/gateway/store-port.js";
import { openEnvironment } from "../src/store/environment.js";
import { ReadStore } from "../src/store/read-store.js";

/** A fixed instant the tests' clock starts from, so record ages are exact. */
export const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
export const DAY = 86_400_000;

/** A final read as the tracker would emit it. */
export function makeRead(
  passId: string,
  plate: string,
  cameraId: string,
  captureTimeMs: number,
  patch?: Uint8Array,
): FinalRead {
  const read: FinalRead = {
    kind: "final",
    passId,
    cameraId,
    plate,
    confidence: 0.93,
    charConfidences: Array.from(plate, () => 0.93),
    candidates: [{ plate, confidence: 0.93 }],
    captureTimeMs,
    firstCaptureMs: captureTimeMs - 300,
    lastCaptureMs: captureTimeMs + 300,
    firstFrame: 1,
    lastFrame: 20,
    framesRead: 10,
    direction: "towards",
    box: [10, 20, 120, 30],
    engineVersion: "test",
  };
  if (patch) read.patch = patch;
  return read;
}

export interface Harness {
  gw: Gateway;
  config: KestrelConfig;
  access: AccessStore;
  store: ReadStore;
  /** Every audit entry so far, in order. */
  auditEntries(): AuditEntry[];
  url: string;
  clock: { nowMs: number };
  connect(user: string, how?: "header" | "protocol" | "query"): Promise<KestrelClient>;
  token(user: string, ttlMs?: number, issuedAtMs?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startHarness(
  users: [string, Role, boolean][],
  overrides: { gateway?: Partial<KestrelConfig["gateway"]> } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "kestrel-gw-"));
  const base = loadConfig({ env: {} });
  const config: KestrelConfig = {
    ...base,
    store: { ...base.store, dataDir: dir, mapSizeGiB: 1 },
    gateway: { ...base.gateway, port: 0, ...overrides.gateway },
    cameras: [
      {
        id: "cam-1",
        url: "file:///dev/null",
        direction: "towards",
        enabled: true,
        loop: false,
        location: "SECRET-SITE-ONE",
      },
      {
        id: "cam-2",
        url: "file:///dev/null",
        direction: "towards",
        enabled: true,
        loop: false,
        location: "SECRET-SITE-TWO",
      },
    ],
  };
  const env = openEnvironment({ dataDir: dir, mapSizeGiB: 1 });
  const access = new AccessStore(env);
  for (const [name, role, trained] of users) access.addUser(name, role, trained, T0);
  const secret = loadOrCreateSecret(join(dir, "token-secret"));
  const store = ReadStore.open({ ...config.store, root: env });
  const clock = { nowMs: T0 };
  const gw = await startGateway({
    config,
    access,
    secret,
    audit: store.audit,
    store: readStorePort(store),
    nowMs: () => clock.nowMs,
    accessPollMs: 50,
  });
  const url = `ws://127.0.0.1:${gw.port}`;
  const token = async (user: string, ttlMs = 3_600_000, issuedAtMs = clock.nowMs) =>
    (await issueToken(access, secret, user, ttlMs, issuedAtMs)).token;
  return {
    gw,
    config,
    access,
    store,
    auditEntries: () => {
      const out: AuditEntry[] = [];
      for (;;) {
        const page = store.audit.list({ fromSeq: out.length + 1, limit: 1000 });
        out.push(...page);
        if (page.length < 1000) return out;
      }
    },
    url,
    clock,
    token,
    connect: async (user, how = "header") =>
      KestrelClient.connect({ url, token: await token(user), tokenIn: how }),
    close: async () => {
      await gw.close();
      await store.close();
      await env.close();
    },
  };
}

let alertCounter = 0;
export function makeAlert(
  over: { list?: string; priority?: number; cameraId?: string; patchBytes?: number; plate?: string } = {},
): Alert {
  const n = ++alertCounter;
  const plate = over.plate ?? "AB12CDE";
  return {
    alertId: `alert-${n}`,
    kind: "live",
    passId: `pass-${n}`,
    cameraId: over.cameraId ?? "cam-1",
    captureTimeMs: Date.now() - 5,
    plate,
    confidence: 0.97,
    hit: {
      entry: {
        list: over.list ?? "stolen",
        plate,
        category: "stolen",
        priority: over.priority ?? 1,
        reason: "stolen vehicle",
        action: "stop and check",
        warnings: ["violent"],
        sourceRef: "PNC-1",
        securityMarking: "OFFICIAL",
      },
      matchKind: "exact",
      matchedPlate: plate,
      substitutions: 0,
    },
    ...(over.patchBytes ? { patch: new Uint8Array(over.patchBytes).fill(n % 251) } : {}),
    raisedAtMs: Date.now(),
  };
}

/** Waits (bounded) until cond() is true, yielding to the event loop between checks. */
export async function until(cond: () => boolean, what: string, maxTurns = 2000): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}
