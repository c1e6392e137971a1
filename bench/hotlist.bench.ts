// Hot-list table benchmark: 10 million plates in the wasm blocked bloom filter + exact set, against a JS
// Set<string> holding the same plates, measured in the same run. The machine is shared and noisy: read the
// ratios, not the absolute numbers. Rates are given per wall-clock second and per second of this process's
// CPU time (user + system), which other processes on a busy machine disturb less.
// `npx tsx bench/hotlist.bench.ts [entries] [service entries]`
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Readable } from "node:stream";
import { configSchema } from "../src/config/index.js";
import { HotlistService } from "../src/hotlist/index.js";
import { packPlateInto, unpackKey } from "../src/hotlist/plate-key.js";
import { BATCH_KEYS, HotlistTable } from "../src/hotlist/table.js";

const ENTRIES = Number(process.argv[2] ?? 10_000_000);
const PROBES = Math.min(ENTRIES, 5_000_000);
const SET_PROBES = 2_000_000;
const READS = 200_000;

// xorshift32: reproducible plates without Math.random.
let state = 0x9e3779b9;
function rand(n: number): number {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state % n;
}

const LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"; // never I, Q, Z in the current format
const FIRST_PRESENT = "ABCDEFGHJKL";
const FIRST_ABSENT = "MNOPRSTUVWXY";
/** A current-format mark (LLNNLLL); the first letter's set keeps listed and absent plates disjoint. */
function currentMark(first: string): string {
  const age = rand(2) === 0 ? 2 + rand(24) : 51 + rand(25);
  return (
    first[rand(first.length)]! +
    LETTERS[rand(LETTERS.length)]! +
    String(age).padStart(2, "0") +
    LETTERS[rand(LETTERS.length)]! +
    LETTERS[rand(LETTERS.length)]! +
    LETTERS[rand(LETTERS.length)]!
  );
}

function packedMarks(n: number, first: string): Uint32Array {
  const out = new Uint32Array(n * 2);
  for (let i = 0; i < n; i++) packPlateInto(currentMark(first), out, i);
  return out;
}

function line(name: string, value: string): void {
  process.stdout.write(`${name.padEnd(44)} ${value}\n`);
}
const fmt = (n: number, digits = 1): string => n.toLocaleString("en-GB", { maximumFractionDigits: digits });

/** Wall and CPU seconds of `fn`. */
function timed<T>(fn: () => T): { result: T; wallS: number; cpuS: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = fn();
  const wallS = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { result, wallS, cpuS: (c.user + c.system) / 1e6 };
}
const rates = (n: number, t: { wallS: number; cpuS: number }): string =>
  `${fmt(n / t.wallS / 1e6, 2)} M/s wall, ${fmt(n / t.cpuS / 1e6, 2)} M/s cpu`;

/** Runs `n` staged keys from `packed` through `call` in batches; returns calls' summed result and seconds. */
function batched(table: HotlistTable, packed: Uint32Array, n: number, call: (m: number) => number) {
  return timed(() => {
    let total = 0;
    for (let at = 0; at < n; at += BATCH_KEYS) {
      const m = Math.min(BATCH_KEYS, n - at);
      table.keys.set(packed.subarray(at * 2, (at + m) * 2));
      total += call(m);
    }
    return total;
  });
}

line("entries requested", fmt(ENTRIES, 0));
const t = performance.now();
const present = packedMarks(ENTRIES, FIRST_PRESENT);
const absent = packedMarks(PROBES, FIRST_ABSENT);
line("generate packed plates (not timed below)", `${fmt((performance.now() - t) / 1000, 2)} s`);

const build = timed(() => {
  const table = new HotlistTable({ capacity: ENTRIES, lookalike: true });
  table.insertPacked(present);
  return table;
});
const table = build.result;
const count = table.count;
line(
  "wasm build/load (bloom + look-alike + set)",
  `${fmt(build.wallS, 2)} s wall, ${fmt(build.cpuS, 2)} s cpu  (target <= 10 s)`,
);
line("distinct plates in the table", fmt(count, 0));
line(
  "wasm bytes per entry",
  `${fmt(table.bytes / count, 2)} B  (target <= 16 B; memory ${fmt(table.bytes / 2 ** 20, 0)} MiB)`,
);

// Warm up once, then measure.
batched(table, absent, Math.min(PROBES, 500_000), (m) => table.containsStaged(m));
const abs = batched(table, absent, PROBES, (m) => table.containsStaged(m));
if (abs.result !== 0) throw new Error(`absent plates confirmed: ${abs.result}`);
line("wasm lookups, absent (batches of 8192)", `${rates(PROBES, abs)}  (target >= 20 M/s)`);
const pres = batched(table, present, PROBES, (m) => table.containsStaged(m));
if (pres.result !== PROBES) throw new Error(`listed plates missed: ${PROBES - pres.result}`);
line("wasm lookups, present", rates(PROBES, pres));

const bloom = batched(table, absent, PROBES, (m) => table.bloomContainsStaged(m));
line(
  "bloom false-positive rate measured / designed",
  `${fmt((bloom.result / PROBES) * 100, 3)} % / ${fmt(table.designedFalsePositiveRate * 100, 3)} %`,
);

// The same plates as strings in a JS Set, in the same run.
const setBuild = timed(() => {
  const set = new Set<string>();
  for (let i = 0; i < ENTRIES; i++) set.add(unpackKey(present[2 * i]!, present[2 * i + 1]!));
  return set;
});
const set = setBuild.result;
line("JS Set<string> build", `${fmt(setBuild.wallS, 2)} s wall, ${fmt(setBuild.cpuS, 2)} s cpu`);
const absentStrings: string[] = [];
const presentStrings: string[] = [];
for (let i = 0; i < SET_PROBES; i++) {
  absentStrings.push(unpackKey(absent[2 * i]!, absent[2 * i + 1]!));
  presentStrings.push(unpackKey(present[2 * i]!, present[2 * i + 1]!));
}
function setLookups(probes: string[]) {
  return timed(() => {
    let hits = 0;
    for (const p of probes) if (set.has(p)) hits++;
    return hits;
  });
}
setLookups(absentStrings.slice(0, 200_000));
const setAbsent = setLookups(absentStrings);
const setPresent = setLookups(presentStrings);
line("JS Set lookups, absent", rates(SET_PROBES, setAbsent));
line("JS Set lookups, present", rates(SET_PROBES, setPresent));
const ratio = (w: { wallS: number; cpuS: number }, wn: number, sset: { wallS: number; cpuS: number }) =>
  `${fmt(wn / w.wallS / (SET_PROBES / sset.wallS), 1)}x wall, ${fmt(wn / w.cpuS / (SET_PROBES / sset.cpuS), 1)}x cpu`;
line("ratio wasm/Set, absent", `${ratio(abs, PROBES, setAbsent)}  (target >= 10x)`);
line("ratio wasm/Set, present", ratio(pres, PROBES, setPresent));

// Strings in, plates out, through the table's read-check path: the plate and 4 candidates per read,
// exact then look-alike up to 2 substitutions.
const LOOKALIKE: Record<string, string> = {
  B: "8",
  "8": "B",
  O: "0",
  "0": "O",
  D: "0",
  I: "1",
  "1": "I",
  S: "5",
};
function lookalikeOf(plate: string): string {
  for (let i = 0; i < plate.length; i++) {
    const swap = LOOKALIKE[plate[i]!];
    if (swap) return plate.slice(0, i) + swap + plate.slice(i + 1);
  }
  return plate;
}
function reads(kind: "absent" | "lookalike"): string[][] {
  const out: string[][] = [];
  for (let r = 0; r < READS; r++) {
    const plates: string[] = [];
    for (let c = 0; c < 5; c++) {
      const i = rand(PROBES);
      plates.push(
        kind === "absent"
          ? absentStrings[i % SET_PROBES]!
          : lookalikeOf(lookalikeOf(unpackKey(present[2 * i]!, present[2 * i + 1]!))),
      );
    }
    out.push(plates);
  }
  return out;
}
function readCheck(rs: string[][]) {
  return timed(() => {
    let hits = 0;
    for (const r of rs) hits += table.check(r, 2).length;
    return hits;
  });
}
const micros = (t: { wallS: number; cpuS: number }, n: number): string =>
  `${fmt((t.wallS * 1e6) / n, 2)} µs wall, ${fmt((t.cpuS * 1e6) / n, 2)} µs cpu`;
const typical = reads("absent");
const worst = reads("lookalike");
readCheck(typical.slice(0, 20_000));
const rTypical = readCheck(typical);
const rWorst = readCheck(worst);
line("read check (5 plates, look-alike 2), no hit", `${micros(rTypical, READS)}  (target <= 5 µs)`);
line(
  "read check, every plate a look-alike hit",
  `${micros(rWorst, READS)}  (${fmt(rWorst.result / READS, 1)} hits per read)`,
);

// The service path at a smaller scale: JSON Lines import through LMDB, loading a list from LMDB into a
// table (what a restart does), and a read check through HotlistService (metrics and LMDB included).
const SERVICE_ENTRIES = Number(process.argv[3] ?? 200_000);
const dataDir = mkdtempSync(join(tmpdir(), "kestrel-hotlist-bench-"));
try {
  const config = configSchema.parse({
    store: { dataDir, mapSizeGiB: 4 },
    hotlists: { capacity: SERVICE_ENTRIES * 2 },
  });
  const service = await HotlistService.open({ config });
  const lines = function* () {
    for (let i = 0; i < SERVICE_ENTRIES; i++) {
      const plate = unpackKey(present[2 * i]!, present[2 * i + 1]!);
      yield `${JSON.stringify({ plate, category: "stolen", priority: 1, reason: "bench", sourceRef: `B-${i}` })}\n`;
    }
  };
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const report = await service.importList("bench", Readable.from(lines()), {
    format: "jsonl",
    lookalike: true,
  });
  const importS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const importCpuS = (cpu.user + cpu.system) / 1e6;
  line(
    `service import, ${fmt(report.accepted, 0)} JSON lines`,
    `${fmt(report.accepted / importS / 1000, 0)} k lines/s wall, ${fmt(report.accepted / importCpuS / 1000, 0)} k lines/s cpu (LMDB included)`,
  );
  const reload = timed(() => {
    const t = performance.now();
    (service as unknown as { lists: Map<string, unknown> }).lists.clear();
    service.refresh();
    return performance.now() - t;
  });
  line("service load from LMDB into a table", `${fmt(reload.wallS, 2)} s wall, ${fmt(reload.cpuS, 2)} s cpu`);
  const serviceReads = typical.slice(0, 50_000);
  const sr = timed(() => {
    let hits = 0;
    for (const r of serviceReads) hits += service.check({ plate: r[0]!, candidates: r }).length;
    return hits;
  });
  line("service read check (plate + 4 candidates)", micros(sr, serviceReads.length));
  await service.close();
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
