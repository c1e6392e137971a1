import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { ReadStore } from "../src/store/index.js";
import { tempDir } from "./store-fixtures.js";

const here = dirname(fileURLToPath(import.meta.url));
const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

/** Runs the ingesting child until it has acknowledged `minAcks` reads, SIGKILLs it, returns the acked ids. */
function ingestAndKill(dataDir: string, seed: number, minAcks: number, runs = "default"): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(here, "store-crash-child.ts"), dataDir, String(seed), runs],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, KESTREL_LOG_LEVEL: "error" },
      },
    );
    const acked: string[] = [];
    let partial = "";
    let killed = false;
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.on("data", (d: Buffer) => {
      const lines = (partial + d.toString()).split("\n");
      partial = lines.pop()!;
      acked.push(...lines.filter((l) => l.length > 0));
      if (!killed && acked.length >= minAcks) {
        killed = true;
        child.kill("SIGKILL");
      }
    });
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve(acked);
      else reject(new Error(`child exited ${code} before the kill: ${stderr}`));
    });
  });
}

describe("crash safety", () => {
  it("after SIGKILL mid-ingest, every acknowledged read is present and the indexes are consistent", async () => {
    const { dir, cleanup } = tempDir("crash");
    cleanups.push(cleanup);
    const first = await ingestAndKill(dir, 1, 6000);
    // A second run on the same files, killed again, with plate-run merges under way: the reopened store must
    // take writes after a crash too, and a merge cut short leaves each read's entry in exactly one run.
    const second = await ingestAndKill(dir, 2, 3000, "small-runs");
    expect(first.length).toBeGreaterThanOrEqual(6000);
    expect(second.length).toBeGreaterThanOrEqual(3000);

    const acked = [...first, ...second];
    const store = ReadStore.open({ dataDir: dir, mapSizeGiB: 4, backgroundMerge: false });
    try {
      const missing = acked.filter((id) => store.get(id) === undefined);
      expect(missing).toEqual([]);
      const badImages = acked.filter((id) => {
        const r = store.get(id)!;
        return r.hasPatch !== (store.image(id)?.length === 1500);
      });
      expect(badImages).toEqual([]);
      expect(store.stats().plateRuns.merges).toBeGreaterThan(0);
      const check = store.checkConsistency();
      expect(check.problems).toEqual([]);
      expect(check.reads).toBeGreaterThanOrEqual(acked.length);
      // Acknowledged reads (every 5th: the consistency check covers all) are found by their plates, and
      // still are once the interrupted merges finish.
      const sample = acked.filter((_, i) => i % 5 === 0);
      const notByPlate = () =>
        sample.filter((id) => {
          const r = store.get(id)!;
          return !store
            .byPlate({ plate: r.plate, fromMs: r.captureTimeMs, toMs: r.captureTimeMs, limit: 1000 })
            .items.some((x) => x.readId === id);
        });
      expect(notByPlate()).toEqual([]);
      await store.compact();
      expect(store.stats().plateRuns.merges).toBe(0);
      expect(notByPlate()).toEqual([]);
      expect(store.checkConsistency()).toEqual({ reads: check.reads, problems: [] });
    } finally {
      await store.close();
    }
  });
});
