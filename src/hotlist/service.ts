import { randomUUID } from "node:crypto";
import { statSync } from "node:fs";
import { resolve } from "node:path";
import type { Readable } from "node:stream";
import type { Database, RootDatabase } from "lmdb";
import type { KestrelConfig } from "../config/index.js";
import type {
  Alert,
  AlertSink,
  FinalRead,
  HotlistEntry,
  HotlistHit,
  MatchKind,
  PlateCandidate,
  ProvisionalRead,
  ReadSink,
} from "../domain/index.js";
import { KestrelError } from "../errors/index.js";
import { logger } from "../log/index.js";
import { openEnvironment } from "../store/environment.js";
import { isExpired, isListName, validateEntry } from "./entry.js";
import { formatOf, type ImportFormat, openImportFile, parseImport } from "./import-format.js";
import {
  hotlistAlertSinkErrors,
  hotlistAlerts,
  hotlistEntries,
  hotlistExpiredSkips,
  hotlistHits,
  hotlistImportRejected,
  hotlistLookups,
  hotlistRevision,
  hotlistWasmBytes,
} from "./metrics.js";
import { isPackablePlate, normalisePlate, packPlateInto } from "./plate-key.js";
import { AlertMemory, RecentReads } from "./recent.js";
import { HotlistTable } from "./table.js";

/** LMDB named databases this service owns in the shared environment. */
export const ENTRIES_DB = "hotlist-entries";
export const LISTS_DB = "hotlist-lists";

/** Entries written per LMDB transaction during an import. */
const IMPORT_CHUNK = 10_000;
/** Rejected lines kept (with line number and reason) in an import report; all are counted. */
const MAX_REPORTED_LINES = 10_000;
/** Extra room a rebuilt table leaves for deltas before it must be rebuilt bigger. */
const TABLE_HEADROOM = 1.25;

/** What LMDB keeps per list (hotlist-lists, keyed by name). */
export interface ListRecord {
  name: string;
  revision: number;
  /** Bumped by every change (import, add, remove): another process's copy is stale when it differs. */
  version: number;
  entries: number;
  lookalike: boolean;
  maxSubstitutions: number;
  updatedAtMs: number;
  source?: { file: string; sizeBytes: number; mtimeMs: number };
}

type EntryKey = [string, number, string];

interface ListState {
  record: ListRecord;
  table: HotlistTable;
  lookups: ReturnType<typeof hotlistLookups.labels>;
}

export interface HotlistServiceOptions {
  config: KestrelConfig;
  /** The shared LMDB environment (src/store/environment.ts); opened from config.store when absent. */
  root?: RootDatabase;
  /** Build the wasm tables of every list on open (false for commands that only read or write metadata). */
  load?: boolean;
  /** Clock for alerts' raisedAtMs and for expiry when a check gives no capture time. */
  clock?: () => number;
}

export interface ImportOptions {
  format?: ImportFormat;
  /** Enable look-alike matching for this list (kept with the list; the configuration's setting wins). */
  lookalike?: boolean;
  maxSubstitutions?: number;
  /** Bytes read so far and the total when known (a file). */
  onProgress?: (bytesRead: number, totalBytes: number | undefined) => void;
}

export interface RejectedLine {
  line: number;
  code: string;
  reason: string;
}

export interface ImportReport {
  list: string;
  revision: number;
  accepted: number;
  rejected: number;
  /** The first rejected lines (up to 10,000), in file order. */
  rejectedLines: RejectedLine[];
  durationMs: number;
}

/** A read to check: its plate, the recogniser's alternatives, and its capture time (expiry is judged at it). */
export interface CheckInput {
  plate: string;
  candidates?: readonly (PlateCandidate | string)[];
  captureTimeMs?: number;
}

export interface ListStats {
  list: string;
  revision: number;
  version: number;
  entries: number;
  lookalike: boolean;
  maxSubstitutions: number;
  updatedAtMs: number;
  wasmBytes?: number;
  bytesPerEntry?: number;
  staleBloomKeys?: number;
  designedFalsePositiveRate?: number;
}

export type EntryInput = Partial<Omit<HotlistEntry, "list" | "plate">> & {
  list: string;
  plate: string;
  expiresAt?: string;
};

const KIND_RANK: Record<MatchKind, number> = { exact: 0, candidate: 1, lookalike: 2 };
const entryKeyOf = (entry: HotlistEntry): string => `${entry.list}\u0000${entry.plate}`;

/**
 * Hot-lists: named lists of vehicles of interest, each a wasm table (bloom filter + exact set) for the
 * check and LMDB for the entries' details. Implements ReadSink: a provisional or final read that hits
 * raises an Alert at once to every AlertSink, once per vehicle pass per entry. Mutations (import, add,
 * remove) run one at a time; a check always sees either the old or the new revision of a list, whole.
 */
export class HotlistService implements ReadSink {
  readonly name = "hotlist";
  private readonly lists = new Map<string, ListState>();
  private readonly sinks = new Set<AlertSink>();
  private readonly memory = new AlertMemory();
  private readonly recent: RecentReads;
  private readonly log = logger("hotlist");
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly config: KestrelConfig,
    private readonly root: RootDatabase,
    private readonly ownsRoot: boolean,
    private readonly entries: Database<HotlistEntry, EntryKey>,
    private readonly records: Database<ListRecord, string>,
    private readonly loadTables: boolean,
    private readonly clock: () => number,
  ) {
    this.recent = new RecentReads(config.hotlists.recheckWindowMinutes * 60_000);
  }

  static async open(options: HotlistServiceOptions): Promise<HotlistService> {
    const root = options.root ?? openEnvironment(options.config.store);
    const entries = root.openDB<HotlistEntry, EntryKey>({ name: ENTRIES_DB });
    const records = root.openDB<ListRecord, string>({ name: LISTS_DB });
    const service = new HotlistService(
      options.config,
      root,
      !options.root,
      entries,
      records,
      options.load ?? true,
      options.clock ?? Date.now,
    );
    if (service.loadTables) service.refresh();
    return service;
  }

  /** Waits for running changes, then closes the environment if this service opened it. */
  async close(): Promise<void> {
    await this.chain.catch(() => undefined);
    if (this.ownsRoot) await this.root.close();
  }

  addAlertSink(sink: AlertSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  /** Names of all lists in LMDB. */
  listNames(): string[] {
    return [...this.records.getKeys()].map(String);
  }

  private record(name: string): ListRecord | undefined {
    return this.records.get(name);
  }

  /** Look-alike setting of a list: the configuration's entry for it wins over the one stored at import. */
  private settings(record: ListRecord): { lookalike: boolean; maxSubstitutions: number } {
    const configured = this.config.hotlists.lists.find((l) => l.name === record.name);
    return configured
      ? { lookalike: configured.lookalike, maxSubstitutions: configured.maxSubstitutions }
      : { lookalike: record.lookalike, maxSubstitutions: record.maxSubstitutions };
  }

  /** Substitutions allowed for a list now: 0 when look-alike is off or the list is too large for it. */
  private substitutionsFor(record: ListRecord): number {
    const s = this.settings(record);
    if (!s.lookalike || record.entries > this.config.hotlists.lookalikeMaxEntries) return 0;
    return s.maxSubstitutions;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * (Re)builds the table of every list whose LMDB version differs from the one in memory: picks up changes
   * made by another process (the CLI). Expired entries are left out of rebuilt tables.
   */
  refresh(): string[] {
    const changed: string[] = [];
    for (const { value: record } of this.records.getRange()) {
      const state = this.lists.get(record.name);
      if (state && state.record.version === record.version) continue;
      this.install(record, this.buildTable(record));
      changed.push(record.name);
    }
    return changed;
  }

  /** Builds a table aside from the LMDB entries of the record's revision, leaving out expired ones. */
  private buildTable(record: ListRecord, extraCapacity = 0): HotlistTable {
    const now = this.clock();
    let packed = new Uint32Array(Math.max(1024, record.entries) * 2);
    let n = 0;
    for (const { key, value } of this.entries.getRange({
      start: [record.name, record.revision],
      end: [record.name, record.revision + 1],
    })) {
      if (isExpired(value, now)) continue;
      if (n * 2 === packed.length) {
        const bigger = new Uint32Array(packed.length * 2);
        bigger.set(packed);
        packed = bigger;
      }
      packPlateInto(key[2], packed, n++);
    }
    return this.tableOf(packed, n, record, extraCapacity);
  }

  private tableOf(packed: Uint32Array, n: number, record: ListRecord, extraCapacity = 0): HotlistTable {
    const s = this.settings(record);
    const table = new HotlistTable({
      capacity: Math.ceil((n + extraCapacity) * TABLE_HEADROOM) + 64,
      lookalike: s.lookalike && n <= this.config.hotlists.lookalikeMaxEntries,
    });
    table.insertPacked(packed, n);
    return table;
  }

  /** The swap: one Map assignment, so a check sees the old table and revision or the new, never a mix. */
  private install(record: ListRecord, table: HotlistTable): void {
    this.lists.set(record.name, { record, table, lookups: hotlistLookups.labels(record.name) });
    hotlistEntries.set({ list: record.name }, table.count);
    hotlistRevision.set({ list: record.name }, record.revision);
    hotlistWasmBytes.set({ list: record.name }, table.bytes);
  }

  private async clearRevision(name: string, revision: number): Promise<void> {
    while (true) {
      const keys = [
        ...this.entries.getKeys({ start: [name, revision], end: [name, revision + 1], limit: 10_000 }),
      ];
      if (keys.length === 0) return;
      await this.entries.transaction(() => {
        for (const key of keys) this.entries.remove(key);
      });
    }
  }

  /**
   * Imports a whole list from a file or stream as its next revision. Invalid lines are reported (line
   * number, reason) and skipped; so are duplicate plates and entries already past their weed date. The
   * new revision is written beside the old, its table built aside, then both are swapped in at once.
   */
  importList(
    name: string,
    source: string | Readable,
    options: ImportOptions | ImportFormat = {},
  ): Promise<ImportReport> {
    const opts: ImportOptions = typeof options === "string" ? { format: options } : options;
    return this.exclusive(() => this.importNow(name, source, opts));
  }

  private async importNow(
    name: string,
    source: string | Readable,
    opts: ImportOptions,
  ): Promise<ImportReport> {
    const startedMs = Date.now();
    if (!isListName(name)) {
      throw new KestrelError(
        "KESTREL_E_INPUT_INVALID",
        `list name "${name}": 1-64 letters, digits, '_' or '-'`,
      );
    }
    const file = typeof source === "string" ? resolve(source) : undefined;
    const format = opts.format ?? (file ? formatOf(file) : "jsonl");
    const stat = file ? statSync(file, { throwIfNoEntry: false }) : undefined;
    const input = file ? openImportFile(file) : (source as Readable);
    const totalBytes = stat?.size;
    const prev = this.record(name);
    const revision = (prev?.revision ?? 0) + 1;
    await this.clearRevision(name, revision); // leftovers of an import that crashed before its swap

    const now = this.clock();
    const seen = new Map<string, number>();
    const rejectedLines: RejectedLine[] = [];
    let rejected = 0;
    let packed = new Uint32Array(64 * 1024);
    let accepted = 0;
    let pending: HotlistEntry[] = [];
    const reject = (line: number, code: string, reason: string): void => {
      rejected++;
      hotlistImportRejected.inc({ list: name, reason: code });
      if (rejectedLines.length < MAX_REPORTED_LINES) rejectedLines.push({ line, code, reason });
    };
    const flush = async (): Promise<void> => {
      const batch = pending;
      pending = [];
      await this.entries.transaction(() => {
        for (const e of batch) this.entries.put([name, revision, e.plate], e);
      });
    };
    const onBytes = opts.onProgress ? (b: number) => opts.onProgress!(b, totalBytes) : undefined;
    try {
      for await (const parsed of parseImport(input, format, name, onBytes)) {
        if ("skip" in parsed) continue;
        if (!parsed.ok) {
          reject(parsed.line, parsed.problem.code, parsed.problem.reason);
          continue;
        }
        const { entry } = parsed;
        const first = seen.get(entry.plate);
        if (first !== undefined) {
          reject(parsed.line, "duplicate", `plate ${entry.plate} already given on line ${first}`);
          continue;
        }
        seen.set(entry.plate, parsed.line);
        if (isExpired(entry, now)) {
          reject(parsed.line, "expiry", "weed date has already passed");
          continue;
        }
        if (accepted >= this.config.hotlists.capacity) {
          throw new KestrelError(
            "KESTREL_E_HOTLIST_FULL",
            `list ${name}: more than hotlists.capacity (${this.config.hotlists.capacity}) entries`,
            { details: { line: parsed.line } },
          );
        }
        if (accepted * 2 === packed.length) {
          const bigger = new Uint32Array(packed.length * 2);
          bigger.set(packed);
          packed = bigger;
        }
        packPlateInto(entry.plate, packed, accepted++);
        pending.push(entry);
        if (pending.length >= IMPORT_CHUNK) await flush();
      }
      await flush();
    } catch (err) {
      input.destroy();
      await this.clearRevision(name, revision);
      throw err;
    }

    const s = prev ? this.settings(prev) : undefined;
    const record: ListRecord = {
      name,
      revision,
      version: (prev?.version ?? 0) + 1,
      entries: accepted,
      lookalike: opts.lookalike ?? s?.lookalike ?? false,
      maxSubstitutions: opts.maxSubstitutions ?? s?.maxSubstitutions ?? 1,
      updatedAtMs: this.clock(),
    };
    if (file && stat) record.source = { file, sizeBytes: stat.size, mtimeMs: stat.mtimeMs };
    const table = this.loadTables ? this.tableOf(packed, accepted, record) : undefined;
    await this.records.put(name, record);
    if (table) this.install(record, table);
    if (prev) await this.clearRevision(name, prev.revision);
    this.log.info({ list: name, revision, accepted, rejected }, "hot-list imported");
    return { list: name, revision, accepted, rejected, rejectedLines, durationMs: Date.now() - startedMs };
  }

  /**
   * Imports each configured list that has a `file` whose size or modification time differs from the
   * file of the list's current revision (so a restart does not re-import an unchanged file).
   */
  async importConfigured(options: Omit<ImportOptions, "format"> = {}): Promise<ImportReport[]> {
    const reports: ImportReport[] = [];
    for (const l of this.config.hotlists.lists) {
      if (!l.file) continue;
      const file = resolve(l.file);
      const stat = statSync(file, { throwIfNoEntry: false });
      const src = this.record(l.name)?.source;
      if (stat && src && src.file === file && src.sizeBytes === stat.size && src.mtimeMs === stat.mtimeMs)
        continue;
      reports.push(await this.importList(l.name, file, options));
    }
    return reports;
  }

  /**
   * Adds or replaces entries (a delta to the current revision of each named list, created if new). All are
   * validated first: one invalid entry refuses the whole call. Recent final reads are then re-checked
   * against the added plates and hits raised as "past-read" alerts.
   */
  add(inputs: readonly EntryInput[]): Promise<{ added: number; pastReadAlerts: Alert[] }> {
    return this.exclusive(() => this.addNow(inputs));
  }

  private async addNow(inputs: readonly EntryInput[]): Promise<{ added: number; pastReadAlerts: Alert[] }> {
    const byList = new Map<string, HotlistEntry[]>();
    inputs.forEach((input, index) => {
      const { list, ...fields } = input;
      if (typeof list !== "string" || !isListName(list)) {
        throw new KestrelError("KESTREL_E_HOTLIST_LINE", `entry ${index}: list name is missing or invalid`, {
          details: { index },
        });
      }
      const result = validateEntry(list, fields as Record<string, unknown>);
      if (!result.ok) {
        throw new KestrelError("KESTREL_E_HOTLIST_LINE", `entry ${index}: ${result.problem.reason}`, {
          details: { index, reason: result.problem.reason },
        });
      }
      const group = byList.get(list) ?? [];
      group.push(result.entry);
      byList.set(list, group);
    });
    const alerts: Alert[] = [];
    for (const [name, entries] of byList) {
      const prev = this.record(name);
      const record: ListRecord = prev
        ? { ...prev }
        : {
            name,
            revision: 1,
            version: 0,
            entries: 0,
            lookalike: false,
            maxSubstitutions: 1,
            updatedAtMs: 0,
          };
      const fresh = entries.filter((e) => this.entries.get([name, record.revision, e.plate]) === undefined);
      if (record.entries + fresh.length > this.config.hotlists.capacity) {
        throw new KestrelError(
          "KESTREL_E_HOTLIST_FULL",
          `list ${name}: more than hotlists.capacity (${this.config.hotlists.capacity}) entries`,
        );
      }
      await this.entries.transaction(() => {
        for (const e of entries) this.entries.put([name, record.revision, e.plate], e);
      });
      record.entries += fresh.length;
      record.version++;
      record.updatedAtMs = this.clock();
      await this.records.put(name, record);
      if (this.loadTables) {
        const state = this.lists.get(name);
        let table = state?.table;
        if (table) {
          try {
            table.insertPlates(entries.map((e) => e.plate));
          } catch {
            table = undefined; // full: rebuild bigger below
          }
        }
        if (!table || (state && state.table.lookalike !== this.wantsLookalikeFilter(record))) {
          table = this.buildTable(record, entries.length);
        }
        this.install(record, table);
      }
      alerts.push(...this.recheckRecent(record, entries));
    }
    return { added: inputs.length, pastReadAlerts: alerts };
  }

  private wantsLookalikeFilter(record: ListRecord): boolean {
    return this.settings(record).lookalike && record.entries <= this.config.hotlists.lookalikeMaxEntries;
  }

  /** Removes plates from a list's current revision; they stop matching before this returns. */
  remove(list: string, plates: readonly string[]): Promise<{ removed: number }> {
    return this.exclusive(async () => {
      const prev = this.record(list);
      if (!prev) throw new KestrelError("KESTREL_E_HOTLIST_UNKNOWN", list, { details: { list } });
      const wanted = [...new Set(plates.map(normalisePlate))];
      const present = wanted.filter((p) => this.entries.get([list, prev.revision, p]) !== undefined);
      const state = this.lists.get(list);
      state?.table.removePlates(present);
      await this.entries.transaction(() => {
        for (const p of present) this.entries.remove([list, prev.revision, p]);
      });
      const record: ListRecord = {
        ...prev,
        entries: prev.entries - present.length,
        version: prev.version + 1,
        updatedAtMs: this.clock(),
      };
      await this.records.put(list, record);
      if (state) this.lists.set(list, { ...state, record });
      hotlistEntries.set({ list }, record.entries);
      return { removed: present.length };
    });
  }

  /**
   * Checks a read against every list: its plate exactly, its alternative candidates exactly, then (per
   * list, when enabled) look-alikes of each within the list's substitution limit. One hit per list entry,
   * the best way it matched; sorted by priority (0 first), then how directly it matched.
   */
  check(read: CheckInput): HotlistHit[] {
    const plates = [normalisePlate(read.plate)];
    for (const c of read.candidates ?? []) {
      const p = normalisePlate(typeof c === "string" ? c : c.plate);
      if (isPackablePlate(p) && !plates.includes(p)) plates.push(p);
    }
    const atMs = read.captureTimeMs ?? this.clock();
    const best = new Map<string, HotlistHit>();
    for (const state of this.lists.values()) {
      const { record, table } = state;
      state.lookups.inc(plates.length);
      for (const h of table.check(plates, this.substitutionsFor(record))) {
        const entry = this.entries.get([record.name, record.revision, h.plate]);
        if (!entry) continue; // removed from LMDB and the table a moment apart
        if (isExpired(entry, atMs)) {
          hotlistExpiredSkips.inc({ list: record.name });
          continue;
        }
        const matchKind: MatchKind =
          h.substitutions > 0 ? "lookalike" : h.index === 0 ? "exact" : "candidate";
        const hit: HotlistHit = { entry, matchKind, matchedPlate: h.plate, substitutions: h.substitutions };
        const key = entryKeyOf(entry);
        const had = best.get(key);
        if (!had || rank(hit) < rank(had)) best.set(key, hit);
      }
    }
    const hits = [...best.values()].sort((a, b) => a.entry.priority - b.entry.priority || rank(a) - rank(b));
    for (const h of hits) hotlistHits.inc({ list: h.entry.list, match_kind: h.matchKind });
    return hits;
  }

  /** Every list's entry for a plate (including expired entries: compare expiresAtMs). */
  show(plate: string): HotlistEntry[] {
    const p = normalisePlate(plate);
    const found: HotlistEntry[] = [];
    for (const { value: record } of this.records.getRange()) {
      const entry = this.entries.get([record.name, record.revision, p]);
      if (entry) found.push(entry);
    }
    return found;
  }

  stats(): ListStats[] {
    const out: ListStats[] = [];
    for (const { value: record } of this.records.getRange()) {
      const s = this.settings(record);
      const stats: ListStats = {
        list: record.name,
        revision: record.revision,
        version: record.version,
        entries: record.entries,
        lookalike: this.substitutionsFor(record) > 0,
        maxSubstitutions: s.maxSubstitutions,
        updatedAtMs: record.updatedAtMs,
      };
      const state = this.lists.get(record.name);
      if (state) {
        const t = state.table;
        stats.wasmBytes = t.bytes;
        stats.bytesPerEntry = t.count > 0 ? t.bytes / t.count : 0;
        stats.staleBloomKeys = t.stale;
        stats.designedFalsePositiveRate = t.designedFalsePositiveRate;
      }
      out.push(stats);
    }
    return out;
  }

  // ReadSink: alerts as the vehicle passes.

  provisional(read: ProvisionalRead): void {
    this.alertOn(read);
  }

  final(read: FinalRead): void {
    this.alertOn(read);
    this.recent.add(read);
  }

  private alertOn(read: ProvisionalRead | FinalRead): void {
    let hits: HotlistHit[];
    try {
      hits = this.check(read);
    } catch (err) {
      this.log.error({ err, cameraId: read.cameraId }, "hot-list check failed");
      return;
    }
    for (const hit of hits) {
      if (this.memory.claim(read.passId, entryKeyOf(hit.entry))) this.emit(this.alertOf(read, hit, "live"));
    }
  }

  private alertOf(read: ProvisionalRead | FinalRead, hit: HotlistHit, kind: Alert["kind"]): Alert {
    const alert: Alert = {
      alertId: randomUUID(),
      kind,
      passId: read.passId,
      cameraId: read.cameraId,
      captureTimeMs: read.captureTimeMs,
      plate: read.plate,
      confidence: read.confidence,
      hit,
      raisedAtMs: this.clock(),
    };
    if (read.patch) alert.patch = read.patch;
    return alert;
  }

  private emit(alert: Alert): void {
    hotlistAlerts.inc({ list: alert.hit.entry.list, kind: alert.kind });
    for (const sink of this.sinks) {
      try {
        sink.alert(alert);
      } catch (err) {
        hotlistAlertSinkErrors.inc();
        this.log.error({ err, sink: sink.name }, "alert sink threw");
      }
    }
  }

  /** Re-checks recent final reads against just-added entries; emits and returns the past-read alerts. */
  private recheckRecent(record: ListRecord, added: HotlistEntry[]): Alert[] {
    if (this.recent.length === 0 || added.length === 0) return [];
    const maxSubs = this.substitutionsFor(record);
    const table = new HotlistTable({ capacity: added.length, lookalike: maxSubs > 0 });
    table.insertPlates(added.map((e) => e.plate));
    const byPlate = new Map(added.map((e) => [e.plate, e]));
    const alerts: Alert[] = [];
    for (const read of this.recent.reads()) {
      const plates = [normalisePlate(read.plate)];
      for (const c of read.candidates) {
        const p = normalisePlate(c.plate);
        if (isPackablePlate(p) && !plates.includes(p)) plates.push(p);
      }
      const best = new Map<string, HotlistHit>();
      for (const h of table.check(plates, maxSubs)) {
        const entry = byPlate.get(h.plate)!;
        if (isExpired(entry, read.captureTimeMs)) continue;
        const matchKind: MatchKind =
          h.substitutions > 0 ? "lookalike" : h.index === 0 ? "exact" : "candidate";
        const hit: HotlistHit = { entry, matchKind, matchedPlate: h.plate, substitutions: h.substitutions };
        const had = best.get(h.plate);
        if (!had || rank(hit) < rank(had)) best.set(h.plate, hit);
      }
      for (const hit of best.values()) {
        if (!this.memory.claim(read.passId, entryKeyOf(hit.entry))) continue;
        const alert = this.alertOf(read, hit, "past-read");
        alerts.push(alert);
        this.emit(alert);
      }
    }
    return alerts;
  }
}

function rank(hit: HotlistHit): number {
  return KIND_RANK[hit.matchKind] * 10 + hit.substitutions;
}
