import type { RootDatabase } from "lmdb";
import { AccessStore } from "../access/index.js";
import type { CameraConfig, KestrelConfig } from "../config/index.js";
import { type Gateway, startGateway } from "../gateway/index.js";
import { readStorePort } from "../gateway/store-port.js";
import { type EntryInput, HotlistService } from "../hotlist/index.js";
import { logger } from "../log/index.js";
import { CameraManager } from "../pipeline/index.js";
import { openEnvironment, ReadStore } from "../store/index.js";
import { Tracker } from "../tracking/index.js";

export interface SystemOptions {
  /** Cameras to run (the configured ones, or the demo's); more can be applied later with cameras.apply. */
  cameras: CameraConfig[];
  /** Hot-list entries added before any camera starts (the demo's list). */
  hotlistEntries?: EntryInput[];
  /** Overrides config.gateway.port (0 picks a free port: tests). */
  gatewayPort?: number;
  /** The gateway's clock for token expiry and record ages (tests move it to age records). */
  nowMs?: () => number;
}

/** Everything `kestrel run` starts, wired camera → tracker → hot-lists and store → gateway. */
export interface System {
  root: RootDatabase;
  store: ReadStore;
  hotlists: HotlistService;
  gateway: Gateway;
  cameras: CameraManager;
  access: AccessStore;
  /** Stops intake first, then flushes and closes everything else, newest first. */
  close(): Promise<void>;
}

/**
 * Starts Kestrel: one LMDB environment; the read store, hot-lists and access store on it; the gateway
 * (alerts from the hot-lists fan out to its subscribers; queries and the audit log go to the store);
 * and the cameras, whose reads flow to the hot-lists (instant alerts) and the store. Data flows one way.
 */
export async function startSystem(config: KestrelConfig, options: SystemOptions): Promise<System> {
  const log = logger("system");
  const closers: { name: string; close: () => Promise<void> | void }[] = [];
  const closeAll = async () => {
    for (const step of closers.reverse()) {
      try {
        await step.close();
      } catch (err) {
        log.error({ step: step.name, err }, "close step failed");
      }
    }
    closers.length = 0;
  };
  try {
    const root = openEnvironment({ dataDir: config.store.dataDir, mapSizeGiB: config.store.mapSizeGiB });
    closers.push({ name: "lmdb", close: () => root.close() });

    const store = ReadStore.open({ ...config.store, root });
    closers.push({ name: "store", close: () => store.close() });
    store.startPurgeTimer();

    const hotlists = await HotlistService.open({ config, root });
    closers.push({ name: "hotlists", close: () => hotlists.close() });
    await hotlists.importConfigured();
    if (options.hotlistEntries?.length) await hotlists.add(options.hotlistEntries);

    const access = new AccessStore(root);
    const gateway = await startGateway({
      config: { ...config, cameras: options.cameras },
      audit: store.audit,
      store: readStorePort(store),
      access,
      ...(options.gatewayPort !== undefined ? { port: options.gatewayPort } : {}),
      ...(options.nowMs ? { nowMs: options.nowMs } : {}),
    });
    closers.push({ name: "gateway", close: () => gateway.close() });
    hotlists.addAlertSink(gateway.alertSink);

    const cameras = new CameraManager({
      recognition: config.recognition,
      trackerFactory: (o) => new Tracker(o),
      sinks: [hotlists, store],
    });
    await cameras.start();
    closers.push({ name: "cameras", close: () => cameras.stop() });
    // Intake stops first on close; then the store flushes what it has accepted.
    closers.splice(closers.length - 1, 0, { name: "store-flush", close: () => store.flush() });
    await cameras.apply(options.cameras);

    return { root, store, hotlists, gateway, cameras, access, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
