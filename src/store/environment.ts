import { mkdirSync } from "node:fs";
import { open, type RootDatabase } from "lmdb";

export interface EnvironmentOptions {
  dataDir: string;
  mapSizeGiB: number;
}

/**
 * Opens Kestrel's one LMDB environment under the data directory. Every part that persists (reads, images,
 * audit, hot-list metadata, users) opens its own named database in it with `root.openDB`.
 */
export function openEnvironment(options: EnvironmentOptions): RootDatabase {
  mkdirSync(options.dataDir, { recursive: true });
  return open({
    path: options.dataDir,
    // The data directory holds data.mdb and lock.mdb, even when its name has a dot (lmdb-js would otherwise
    // take "/srv/kestrel.d" for a file name).
    noSubdir: false,
    mapSize: Math.round(options.mapSizeGiB * 1024 ** 3),
    maxDbs: 32,
    // Durable commits: a read counts as stored only once its transaction is on disk.
    noSync: false,
    compression: false,
  });
}
