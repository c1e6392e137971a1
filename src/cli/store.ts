import { resolve } from "node:path";
import type { Command } from "commander";
import { loadConfig } from "../config/index.js";
import { ReadStore } from "../store/index.js";

interface StoreOptions {
  config?: string;
  dataDir?: string;
}

function openStore(opts: StoreOptions): ReadStore {
  const config = loadConfig({ file: opts.config });
  return ReadStore.open({ ...config.store, dataDir: resolve(opts.dataDir ?? config.store.dataDir) });
}

/** `kestrel store stats|purge|check`: look after the read store from the command line. */
export function registerStore(program: Command): void {
  const store = program.command("store").description("the LMDB read store");
  const withCommon = (c: Command) =>
    c
      .option("-c, --config <file>", "configuration file")
      .option("-d, --data-dir <dir>", "data directory (default: store.dataDir)");
  withCommon(store.command("stats").description("reads, images, plates, size and limit, as JSON")).action(
    async (opts: StoreOptions) => {
      const s = openStore(opts);
      try {
        process.stdout.write(`${JSON.stringify(s.stats())}\n`);
      } finally {
        await s.close();
      }
    },
  );
  withCommon(store.command("purge").description("run the retention purge now; prints the counts as JSON"))
    .option("--now-ms <ms>", "the time to purge as of (default: now)")
    .action(async (opts: StoreOptions & { nowMs?: string }) => {
      const s = openStore(opts);
      try {
        const counts = await s.purge(opts.nowMs ? { nowMs: Number(opts.nowMs) } : {});
        process.stdout.write(`${JSON.stringify(counts)}\n`);
      } finally {
        await s.close();
      }
    });
  withCommon(
    store
      .command("check")
      .description("check every read has its index entries and vice versa; exit 1 if not"),
  ).action(async (opts: StoreOptions) => {
    const s = openStore(opts);
    try {
      const result = s.checkConsistency();
      process.stdout.write(`${JSON.stringify(result)}\n`);
      if (result.problems.length > 0) process.exitCode = 1;
    } finally {
      await s.close();
    }
  });
}
