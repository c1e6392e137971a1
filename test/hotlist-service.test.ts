import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configSchema } from "../src/config/index.js";
import type { Alert, FinalRead, ProvisionalRead } from "../src/domain/index.js";
import { HotlistService } from "../src/hotlist/index.js";
import { registry } from "../src/metrics/registry.js";

// Real LMDB files in a temp dir, the built build/hotlist.wasm.

let dir: string;
const services: HotlistService[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "kestrel-hotlist-"));
});
afterEach(async () => {
  for (const s of services.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(hotlists: Record<string, unknown> = {}, clock?: () => number): Promise<HotlistService> {
  const config = configSchema.parse({ store: { dataDir: join(dir, "data"), mapSizeGiB: 1 }, hotlists });
  const s = await HotlistService.open({ config, ...(clock ? { clock } : {}) });
  services.push(s);
  return s;
}

const jsonl = (rows: object[]): Readable => Readable.from([rows.map((r) => JSON.stringify(r)).join("\n")]);
const row = (plate: string, extra: object = {}) => ({ plate, category: "stolen", priority: 1, ...extra });

function provisional(
  passId: string,
  plate: string,
  captureTimeMs: number,
  candidates: string[] = [],
): ProvisionalRead {
  return {
    kind: "provisional",
    passId,
    cameraId: "cam-1",
    captureTimeMs,
    frameIndex: 3,
    plate,
    confidence: 0.9,
    candidates: [plate, ...candidates].map((p) => ({ plate: p, confidence: 0.5 })),
    box: [10, 10, 120, 30],
    patch: new Uint8Array([1, 2, 3]),
  };
}

function final(passId: string, plate: string, captureTimeMs: number, candidates: string[] = []): FinalRead {
  return {
    kind: "final",
    passId,
    cameraId: "cam-1",
    plate,
    confidence: 0.95,
    charConfidences: [...plate].map(() => 0.95),
    candidates: [plate, ...candidates].map((p) => ({ plate: p, confidence: 0.5 })),
    captureTimeMs,
    firstCaptureMs: captureTimeMs - 400,
    lastCaptureMs: captureTimeMs + 400,
    firstFrame: 1,
    lastFrame: 20,
    framesRead: 18,
    direction: "towards",
    box: [10, 10, 120, 30],
    engineVersion: "test",
  };
}

function collect(s: HotlistService): Alert[] {
  const alerts: Alert[] = [];
  s.addAlertSink({ name: "test", alert: (a) => alerts.push(a) });
  return alerts;
}

describe("hot-list import", () => {
  it("reports malformed CSV lines with their line numbers and reasons, and imports the rest", async () => {
    const s = await open();
    const file = join(dir, "stolen.csv");
    writeFileSync(
      file,
      [
        "plate,category,priority,reason,action,warnings,sourceRef,expiresAt,securityMarking",
        'AB12 CDE,stolen,1,"Taken, with keys",Stop,violent;firearms,PNC-1,2099-01-01,OFFICIAL-SENSITIVE',
        "",
        "# a comment",
        "bad plate!,stolen,1,,,,,,",
        "CD34EFG,stolen,x,,,,,,",
        "EF56GHI,,1,,,,,,",
        "ab12cde,stolen,2,again,,,,,",
        "GH78IJK,stolen,1,,,,,2099-13-45,",
        "HJ90KLM,stolen,1,,,,",
        'JK01LMN,stolen,1,"unterminated,,,,,,',
        "OLD1,stolen,1,,,,,2001-01-01,",
        "XY51ZZZ,wanted,0,,,,,,",
      ].join("\n"),
    );
    const report = await s.importList("stolen", file);
    expect(report.accepted).toBe(2);
    expect(report.rejected).toBe(8);
    expect(report.rejectedLines.map((r) => [r.line, r.code])).toEqual([
      [5, "plate"],
      [6, "priority"],
      [7, "category"],
      [8, "duplicate"],
      [9, "expiry"],
      [10, "syntax"],
      [11, "syntax"],
      [12, "expiry"],
    ]);
    expect(report.rejectedLines[3]!.reason).toBe("plate AB12CDE already given on line 2");
    expect(s.show("ab12 cde")).toEqual([
      {
        list: "stolen",
        plate: "AB12CDE",
        category: "stolen",
        priority: 1,
        reason: "Taken, with keys",
        action: "Stop",
        warnings: ["violent", "firearms"],
        sourceRef: "PNC-1",
        expiresAtMs: Date.parse("2099-01-01T00:00:00Z"),
        securityMarking: "OFFICIAL-SENSITIVE",
      },
    ]);
    expect(s.check({ plate: "XY51ZZZ" }).map((h) => h.entry.priority)).toEqual([0]);
  });

  it("reports malformed JSON Lines with line numbers", async () => {
    const s = await open();
    const input = Readable.from(
      [
        JSON.stringify(row("AA11AAA")),
        "{not json",
        "[1,2]",
        JSON.stringify({ ...row("BB22BBB"), colour: "red" }),
        JSON.stringify(row("CC33CCC", { warnings: "x" })),
        JSON.stringify(row("DD44DDD", { warnings: [1] })),
        JSON.stringify(row("EE55EEE", { expiresAtMs: -5 })),
        JSON.stringify(row("FF66FFF", { priority: 10 })),
      ].join("\r\n"),
    );
    const report = await s.importList("jl", input, "jsonl");
    expect(report.accepted).toBe(2);
    expect(report.rejectedLines.map((r) => `${r.line}:${r.code}`)).toEqual([
      "2:syntax",
      "3:syntax",
      "4:field",
      "6:warnings",
      "7:expiry",
      "8:priority",
    ]);
    expect(report.rejectedLines[2]!.reason).toBe('unknown field "colour"');
  });

  it("stops at a CSV header naming an unknown column, naming line 1, and keeps the old revision", async () => {
    const s = await open();
    await s.importList("l", jsonl([row("AA11AAA")]), "jsonl");
    const file = join(dir, "bad.csv");
    writeFileSync(file, "plate,categroy,priority\nAB12CDE,stolen,1\n");
    await expect(s.importList("l", file)).rejects.toMatchObject({
      code: "KESTREL_E_HOTLIST_LINE",
      details: { line: 1 },
    });
    expect(s.stats()[0]).toMatchObject({ list: "l", revision: 1, entries: 1 });
    expect(s.check({ plate: "AA11AAA" })).toHaveLength(1);
  });
});

describe("hot-list revisions", () => {
  it("swaps revisions atomically: a plate in both revisions matches on every check during the import", async () => {
    const s = await open();
    const common = Array.from({ length: 50 }, (_, i) => `CM${String(i).padStart(2, "0")}ABC`);
    const onlyOld = Array.from({ length: 50 }, (_, i) => `OL${String(i).padStart(2, "0")}ABC`);
    const onlyNew = Array.from({ length: 20_000 }, (_, i) => `N${String(i).padStart(5, "0")}`);
    await s.importList("l", jsonl([...common, ...onlyOld].map((p) => row(p))), "jsonl");

    let checks = 0;
    let misses = 0;
    let running = true;
    const checker = (async () => {
      while (running) {
        for (const p of common) {
          checks++;
          if (s.check({ plate: p }).length !== 1) misses++;
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const report = await s.importList("l", jsonl([...common, ...onlyNew].map((p) => row(p))), "jsonl");
    running = false;
    await checker;

    expect(report.revision).toBe(2);
    expect(checks).toBeGreaterThan(common.length * 5); // the checker really ran during the import
    expect(misses).toBe(0);
    expect(s.check({ plate: onlyOld[0]! })).toEqual([]);
    expect(s.check({ plate: onlyNew[19_999]! })).toHaveLength(1);
    expect(s.show(onlyOld[0]!)).toEqual([]);
    expect(s.stats()[0]).toMatchObject({ revision: 2, entries: common.length + onlyNew.length });
  });

  it("applies add and remove deltas and another process sees them after refresh", async () => {
    const s = await open();
    await s.add([
      { list: "wanted", plate: "ab12 cde", category: "wanted", priority: 0, warnings: ["firearms"] },
    ]);
    expect(s.check({ plate: "AB12CDE" })[0]).toMatchObject({ matchKind: "exact", entry: { list: "wanted" } });
    await expect(s.add([{ list: "wanted", plate: "??", category: "x", priority: 1 }])).rejects.toMatchObject({
      code: "KESTREL_E_HOTLIST_LINE",
    });
    await expect(s.remove("nope", ["AB12CDE"])).rejects.toMatchObject({ code: "KESTREL_E_HOTLIST_UNKNOWN" });

    const config = configSchema.parse({ store: { dataDir: join(dir, "data2"), mapSizeGiB: 1 } });
    const a = await HotlistService.open({ config });
    services.push(a);
    await a.add([{ list: "l", plate: "AA11AAA", category: "stolen", priority: 1 }]);
    const b = await HotlistService.open({ config, root: (a as unknown as { root: never }).root });
    expect(b.check({ plate: "AA11AAA" })).toHaveLength(1);
    expect(await a.remove("l", ["AA11AAA", "NOTLISTED"])).toEqual({ removed: 1 });
    expect(a.check({ plate: "AA11AAA" })).toEqual([]);
    // b's table still holds the plate until it refreshes, but the entry is gone from LMDB: no hit.
    expect(b.check({ plate: "AA11AAA" })).toEqual([]);
    expect(b.stats()[0]).toMatchObject({ list: "l", entries: 0, version: 2, staleBloomKeys: 0 });
    expect(b.refresh()).toEqual(["l"]);
    expect(b.refresh()).toEqual([]);
  });
});

describe("hot-list expiry", () => {
  it("stops matching at the weed date and leaves expired entries out of the next rebuild", async () => {
    let nowMs = Date.parse("2030-01-01T00:00:00Z");
    const s = await open({}, () => nowMs);
    const expiresAtMs = Date.parse("2030-06-01T00:00:00Z");
    await s.importList("l", jsonl([row("AB12CDE", { expiresAt: "2030-06-01" }), row("XY51ZZZ")]), "jsonl");
    expect(s.check({ plate: "AB12CDE", captureTimeMs: expiresAtMs - 1 })).toHaveLength(1);
    expect(s.check({ plate: "AB12CDE", captureTimeMs: expiresAtMs })).toEqual([]);
    nowMs = expiresAtMs + 1;
    expect(s.check({ plate: "AB12CDE" })).toEqual([]);
    // The next rebuild (here: another process picking up a delta) leaves the expired plate out of the table.
    await s.add([{ list: "l", plate: "CD34EFG", category: "stolen", priority: 1 }]);
    const other = await HotlistService.open({
      config: configSchema.parse({ store: { dataDir: join(dir, "data"), mapSizeGiB: 1 } }),
      root: (s as unknown as { root: never }).root,
      clock: () => nowMs,
    });
    expect(other.stats()[0]).toMatchObject({ entries: 3 });
    expect(
      (other as unknown as { lists: Map<string, { table: { count: number } }> }).lists.get("l")!.table.count,
    ).toBe(2);
  });
});

describe("hot-list matching", () => {
  it("matches exact first, then candidates, then look-alikes within the list's limit", async () => {
    const s = await open({ lists: [{ name: "two", lookalike: true, maxSubstitutions: 2 }] });
    await s.importList("one", jsonl([row("AB12CDE")]), {
      format: "jsonl",
      lookalike: true,
      maxSubstitutions: 1,
    });
    await s.importList("two", jsonl([row("XY51ZZZ")]), "jsonl");
    await s.importList("off", jsonl([row("GH12JKL")]), "jsonl");

    expect(s.check({ plate: "AB12CDE" }).map((h) => [h.matchKind, h.substitutions])).toEqual([["exact", 0]]);
    const viaCandidate = s.check({ plate: "AB12CDF", candidates: ["AB12CDF", "AB12CDE"] });
    expect(viaCandidate.map((h) => [h.matchKind, h.matchedPlate])).toEqual([["candidate", "AB12CDE"]]);
    expect(s.check({ plate: "A812CDE" }).map((h) => [h.matchKind, h.substitutions])).toEqual([
      ["lookalike", 1],
    ]);
    expect(s.check({ plate: "A8I2CDE" })).toEqual([]); // list "one" allows 1 substitution
    expect(s.check({ plate: "XY5IZZ2" }).map((h) => [h.entry.list, h.substitutions])).toEqual([["two", 2]]);
    expect(s.check({ plate: "XY5I2Z2" })).toEqual([]); // 3 substitutions
    expect(s.check({ plate: "GHI2JKL" })).toEqual([]); // look-alike off by default
    expect(s.check({ plate: "GH12JKL" })).toHaveLength(1);
  });

  it("turns look-alike matching off for lists larger than hotlists.lookalikeMaxEntries", async () => {
    const s = await open({ lookalikeMaxEntries: 3 });
    const small = ["AB12CDE", "AB12CDF", "AB12CDG"];
    await s.importList("small", jsonl(small.map((p) => row(p))), { format: "jsonl", lookalike: true });
    await s.importList("large", jsonl([...small, "AB12CDH"].map((p) => row(`Z${p}`))), {
      format: "jsonl",
      lookalike: true,
    });
    expect(s.check({ plate: "A812CDE" }).map((h) => h.entry.list)).toEqual(["small"]);
    expect(s.check({ plate: "ZA812CDE" })).toEqual([]);
    expect(s.check({ plate: "ZAB12CDE" }).map((h) => h.entry.list)).toEqual(["large"]);
    expect(s.stats().map((l) => [l.list, l.lookalike])).toEqual([
      ["large", false],
      ["small", true],
    ]);
  });
});

describe("hot-list alerts", () => {
  it("raises one alert per vehicle pass per entry, at the first provisional read, not per frame", async () => {
    const s = await open();
    await s.importList("stolen", jsonl([row("AB12CDE")]), "jsonl");
    await s.importList("wanted", jsonl([row("AB12CDE", { category: "wanted", priority: 0 })]), "jsonl");
    const alerts = collect(s);
    s.provisional(provisional("pass-1", "AB12CDE", 1000));
    expect(alerts.map((a) => [a.kind, a.passId, a.hit.entry.list])).toEqual([
      ["live", "pass-1", "wanted"],
      ["live", "pass-1", "stolen"],
    ]);
    expect(alerts[0]).toMatchObject({ cameraId: "cam-1", captureTimeMs: 1000, plate: "AB12CDE" });
    expect(alerts[0]!.patch).toEqual(new Uint8Array([1, 2, 3]));
    s.provisional(provisional("pass-1", "AB12CDE", 1040));
    s.provisional(provisional("pass-1", "A812CDE", 1080, ["AB12CDE"]));
    s.final(final("pass-1", "AB12CDE", 1040));
    expect(alerts).toHaveLength(2);
    // A final read with no provisional before it still alerts, once.
    s.final(final("pass-2", "XX00XXX", 5000, ["AB12CDE"]));
    expect(alerts.slice(2).map((a) => [a.passId, a.hit.matchKind])).toEqual([
      ["pass-2", "candidate"],
      ["pass-2", "candidate"],
    ]);
    s.provisional(provisional("pass-3", "ZZ99ZZZ", 6000));
    expect(alerts).toHaveLength(4);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/kestrel_hotlist_alerts_total\{list="stolen",kind="live"\} [1-9]/);
    expect(metrics).toMatch(/kestrel_hotlist_hits_total\{list="stolen",match_kind="candidate"\} [1-9]/);
  });

  it("re-checks recent final reads when a plate is added and raises past-read alerts inside the window", async () => {
    const s = await open({ recheckWindowMinutes: 10 });
    await s.importList("stolen", jsonl([row("AB12CDE")]), "jsonl");
    const alerts = collect(s);
    const t0 = Date.parse("2030-01-01T12:00:00Z");
    s.final(final("old", "CD34EFG", t0 - 11 * 60_000)); // outside the window by the newest read
    s.final(final("live-hit", "AB12CDE", t0 - 60_000));
    s.final(final("recent", "CD34EFG", t0 - 5 * 60_000));
    s.final(final("recent-candidate", "CD34EFF", t0 - 4 * 60_000, ["CD34EFG"]));
    s.final(final("unrelated", "GH56JKL", t0));
    expect(alerts.map((a) => a.passId)).toEqual(["live-hit"]);

    const result = await s.add([
      { list: "stolen", plate: "CD34EFG", category: "stolen", priority: 1 },
      { list: "stolen", plate: "AB12CDE", category: "stolen", priority: 1, reason: "updated" },
    ]);
    expect(result.pastReadAlerts.map((a) => [a.kind, a.passId, a.hit.matchKind])).toEqual([
      ["past-read", "recent", "exact"],
      ["past-read", "recent-candidate", "candidate"],
    ]);
    expect(alerts.slice(1).map((a) => a.passId)).toEqual(["recent", "recent-candidate"]);
    expect(alerts[1]!.captureTimeMs).toBe(t0 - 5 * 60_000);
  });
});
