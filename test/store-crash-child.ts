// Child process for test/store-crash.test.ts: ingests reads as fast as it can and prints each read's id on
// stdout once write() has resolved (committed and flushed). The test kills it with SIGKILL mid-ingest.
// With "small-runs" the plate index seals a run every 200 entries and merges move 20 entries per step, so
// merges are always under way (intake outpaces them) when the kill comes.
import { ReadStore } from "../src/store/index.js";
import { makeRead, rng, ukPlate } from "./store-fixtures.js";

const dataDir = process.argv[2]!;
const smallRuns = process.argv[4] === "small-runs";
const store = ReadStore.open({
  dataDir,
  mapSizeGiB: 4,
  batchMaxReads: 400,
  batchMaxDelayMs: 2,
  writeQueueMax: 4000,
  ...(smallRuns ? { plateRuns: { hotEntries: 200, fanIn: 4, mergeStepEntries: 20 } } : {}),
});
const rand = rng(Number(process.argv[3] ?? 1));
const plates = Array.from({ length: 500 }, () => ukPlate(rand));
const T0 = Date.UTC(2026, 3, 1);
let i = 0;
let out = "";
let flushScheduled = false;

function emit(id: string): void {
  out += `${id}\n`;
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      const chunk = out;
      out = "";
      process.stdout.write(chunk);
    });
  }
}

function pump(): void {
  while (store.accepting && store.queueDepth < 3000) {
    const n = i++;
    const read = makeRead(plates[n % plates.length]!, `cam-${n % 13}`, T0 + n * 37, {
      patch: n % 2 === 0 ? new Uint8Array(1500).fill(n & 255) : undefined,
    });
    store.write(read).then(
      (ref) => emit(ref.readId),
      () => undefined,
    );
  }
  setImmediate(pump);
}
process.stderr.write("ready\n");
pump();
