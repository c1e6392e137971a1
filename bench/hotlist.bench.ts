// Hot-list table benchmark: 10 million plates in the wasm blocked bloom filter + exact set, against a JS
// Set<string> holding the same plates, measured in the same run. The machine is shared and noisy: read the
// ratios, not the absolute numbers. `npx tsx bench/hotlist.bench.ts [entries]`
import { performance } from "node:perf_hooks";
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

/** Runs `n` staged keys from `packed` through `call` in batches; returns calls' summed result and seconds. */
function batched(
  table: HotlistTable,
  packed: Uint32Array,
  n: number,
  call: (m: number) => number,
): { total: number; seconds: number } {
  const t0 = performance.now();
  let total = 0;
  for (let at = 0; at < n; at += BATCH_KEYS) {
    const m = Math.min(BATCH_KEYS, n - at);
    table.keys.set(packed.subarray(at * 2, (at + m) * 2));
    total += call(m);
  }
  return { total, seconds: (performance.now() - t0) / 1000 };
}

line("entries requested", fmt(ENTRIES, 0));
let t = performance.now();
const present = packedMarks(ENTRIES, FIRST_PRESENT);
const absent = packedMarks(PROBES, FIRST_ABSENT);
line("generate packed plates (not timed below)", `${fmt((performance.now() - t) / 1000, 2)} s`);

t = performance.now();
const table = new HotlistTable({ capacity: ENTRIES, lookalike: true });
table.insertPacked(present);
const buildS = (performance.now() - t) / 1000;
const count = table.count;
line("wasm build/load (bloom + look-alike + set)", `${fmt(buildS, 2)} s  (target <= 10 s)`);
line("distinct plates in the table", fmt(count, 0));
line(
  "wasm bytes per entry",
  `${fmt(table.bytes / count, 2)} B  (target <= 16 B; memory ${fmt(table.bytes / 2 ** 20, 0)} MiB)`,
);

// Warm up once, then measure.
batched(table, absent, Math.min(PROBES, 500_000), (m) => table.containsStaged(m));
const abs = batched(table, absent, PROBES, (m) => table.containsStaged(m));
if (abs.total !== 0) throw new Error(`absent plates confirmed: ${abs.total}`);
const absentRate = PROBES / abs.seconds;
line("wasm lookups/s, absent (batch of 8192)", `${fmt(absentRate / 1e6, 2)} M/s  (target >= 20 M/s)`);
const pres = batched(table, present, PROBES, (m) => table.containsStaged(m));
if (pres.total !== PROBES) throw new Error(`listed plates missed: ${PROBES - pres.total}`);
const presentRate = PROBES / pres.seconds;
line("wasm lookups/s, present", `${fmt(presentRate / 1e6, 2)} M/s`);

const bloom = batched(table, absent, PROBES, (m) => table.bloomContainsStaged(m));
line(
  "bloom false-positive rate measured / designed",
  `${fmt((bloom.total / PROBES) * 100, 3)} % / ${fmt(table.designedFalsePositiveRate * 100, 3)} %`,
);

// The same plates as strings in a JS Set, in the same run.
t = performance.now();
const set = new Set<string>();
for (let i = 0; i < ENTRIES; i++) set.add(unpackKey(present[2 * i]!, present[2 * i + 1]!));
line("JS Set<string> build", `${fmt((performance.now() - t) / 1000, 2)} s`);
const absentStrings: string[] = [];
const presentStrings: string[] = [];
for (let i = 0; i < SET_PROBES; i++) {
  absentStrings.push(unpackKey(absent[2 * i]!, absent[2 * i + 1]!));
  presentStrings.push(unpackKey(present[2 * i]!, present[2 * i + 1]!));
}
function setRate(probes: string[]): number {
  const t0 = performance.now();
  let hits = 0;
  for (const p of probes) if (set.has(p)) hits++;
  const s = (performance.now() - t0) / 1000;
  if (hits < 0) throw new Error("unreachable");
  return probes.length / s;
}
setRate(absentStrings.slice(0, 200_000));
const setAbsent = setRate(absentStrings);
const setPresent = setRate(presentStrings);
line("JS Set lookups/s, absent", `${fmt(setAbsent / 1e6, 2)} M/s`);
line("JS Set lookups/s, present", `${fmt(setPresent / 1e6, 2)} M/s`);
line("ratio wasm/Set, absent", `${fmt(absentRate / setAbsent, 1)}x  (target >= 10x)`);
line("ratio wasm/Set, present", `${fmt(presentRate / setPresent, 1)}x`);

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
function readCheckMicros(rs: string[][]): { micros: number; hits: number } {
  let hits = 0;
  const t0 = performance.now();
  for (const r of rs) hits += table.check(r, 2).length;
  return { micros: ((performance.now() - t0) * 1000) / rs.length, hits };
}
const typical = reads("absent");
const worst = reads("lookalike");
readCheckMicros(typical.slice(0, 20_000));
const rTypical = readCheckMicros(typical);
const rWorst = readCheckMicros(worst);
line("read check (5 plates, look-alike 2), no hit", `${fmt(rTypical.micros, 2)} µs  (target <= 5 µs)`);
line(
  "read check, every plate a look-alike hit",
  `${fmt(rWorst.micros, 2)} µs  (${fmt(rWorst.hits / worst.length, 1)} hits per read)`,
);
