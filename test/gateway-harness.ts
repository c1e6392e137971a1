import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccessStore, issueToken, loadOrCreateSecret } from "../src/access/index.js";
import { KestrelClient } from "../src/client/index.js";
import { loadConfig } from "../src/config/index.js";
import type { KestrelConfig, Role } from "../src/config/schema.js";
import type { Alert } from "../src/domain/hotlist.js";
import { type Gateway, startGateway } from "../src/gateway/index.js";
import type {
  AuditPort,
  AuditRecord,
  GatewayRead,
  ReadQueryPort,
  ReadQueryRequest,
} from "../src/gateway/ports.js";
import { openEnvironment } from "../src/store/environment.js";

/** A fixed instant the tests' clock starts from, so record ages are exact. */
export const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
export const DAY = 86_400_000;

/** In-memory audit log (until the store's audit log is merged). */
export class MemoryAudit implements AuditPort {
  readonly records: AuditRecord[] = [];
  async append(r: AuditRecord): Promise<void> {
    this.records.push(structuredClone(r));
  }
  async read(fromSeq: number, limit: number) {
    const entries = this.records.slice(fromSeq, fromSeq + limit);
    const next = fromSeq + entries.length;
    return next < this.records.length ? { entries, next } : { entries };
  }
  async verify() {
    return { ok: true, entries: this.records.length };
  }
}

/** In-memory reads (until the read store is merged): filters as the store's query kinds do. */
export class MemoryReads implements ReadQueryPort {
  reads: GatewayRead[] = [];
  images = new Map<string, Uint8Array>();
  async query(r: ReadQueryRequest) {
    const q = r.query;
    const match = (x: GatewayRead) => {
      if (x.captureTimeMs < r.fromMs || x.captureTimeMs >= r.toMs) return false;
      if (q.kind === "plate") return x.plate === q.plate;
      if (q.kind === "partial") {
        const re = new RegExp(`^${q.pattern.replace(/\?/g, ".").replace(/\*/g, ".*")}$`);
        return re.test(x.plate);
      }
      if (q.kind === "camera") return x.cameraId === q.cameraId;
      return true;
    };
    const all = this.reads.filter(match).sort((a, b) => a.captureTimeMs - b.captureTimeMs);
    const start = r.cursor ? Number(r.cursor) : 0;
    const page = all.slice(start, start + r.limit);
    const next = start + page.length;
    return next < all.length ? { reads: page, cursor: String(next) } : { reads: page };
  }
  async image(passId: string) {
    const read = this.reads.find((r) => r.passId === passId);
    const png = this.images.get(passId);
    return read && png ? { read, png } : undefined;
  }
}

export interface Harness {
  gw: Gateway;
  config: KestrelConfig;
  access: AccessStore;
  audit: MemoryAudit;
  store: MemoryReads;
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
  const audit = new MemoryAudit();
  const store = new MemoryReads();
  const clock = { nowMs: T0 };
  const gw = await startGateway({
    config,
    access,
    secret,
    audit,
    store,
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
    audit,
    store,
    url,
    clock,
    token,
    connect: async (user, how = "header") =>
      KestrelClient.connect({ url, token: await token(user), tokenIn: how }),
    close: async () => {
      await gw.close();
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
