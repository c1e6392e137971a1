import { execFileSync, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { open, type RootDatabase } from "lmdb";
import { afterEach, describe, expect, it } from "vitest";
import { AuditLog, seqKey, sha256 } from "../src/audit/index.js";
import { tempDir } from "./store-fixtures.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A log of ten entries in a temp environment, and a raw handle on its database for tampering. */
async function tenEntries(): Promise<{
  dir: string;
  log: AuditLog;
  env: RootDatabase;
  raw: ReturnType<typeof rawDb>;
}> {
  const { dir, cleanup } = tempDir("audit");
  const env = open({ path: dir, maxDbs: 32 });
  const log = AuditLog.open({ root: env });
  cleanups.push(cleanup, () => env.close());
  for (let i = 1; i <= 10; i++) {
    await log.append({
      actor: `user-${i % 3}`,
      role: "analyst",
      action: "query.plate",
      purpose: "serious",
      caseRef: `CASE-${i}`,
      authorisationId: null,
      params: { plate: "AB12CDE", fromMs: i, toMs: i + 10 },
      resultCount: i,
      outcome: "ok",
      timeMs: 1_700_000_000_000 + i,
    });
  }
  return { dir, log, env, raw: rawDb(env) };
}

function rawDb(env: RootDatabase) {
  return env.openDB<string, Buffer>({ name: "audit", keyEncoding: "binary", encoding: "string" });
}

function body(value: string): Record<string, unknown> {
  return JSON.parse(value.slice(65)) as Record<string, unknown>;
}

function stored(entry: Record<string, unknown>): string {
  const text = JSON.stringify(entry);
  return `${sha256(text)}\n${text}`;
}

describe("audit log", () => {
  it("chains each entry to the previous one and verifies an untouched log", async () => {
    const { log, raw } = await tenEntries();
    const entries = log.list();
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(entries[0]!.prevHash).toBe("0".repeat(64));
    for (let i = 1; i < 10; i++) expect(entries[i]!.prevHash).toBe(entries[i - 1]!.hash);
    expect(entries[4]).toMatchObject({ actor: "user-2", caseRef: "CASE-5", resultCount: 5, outcome: "ok" });
    expect(sha256(raw.get(seqKey(5))!.slice(65))).toBe(entries[4]!.hash);
    expect(log.verify()).toEqual({ ok: true, entries: 10, headSeq: 10, headHash: entries[9]!.hash });
  });

  it("detects an altered entry", async () => {
    const { log, raw } = await tenEntries();
    const v = raw.get(seqKey(5))!;
    await raw.put(seqKey(5), v.replace('"resultCount":5', '"resultCount":0'));
    expect(log.verify()).toMatchObject({ ok: false, break: { seq: 5, kind: "altered" } });
  });

  it("detects an altered entry whose hash was recomputed", async () => {
    const { log, raw } = await tenEntries();
    const e = body(raw.get(seqKey(5))!);
    await raw.put(seqKey(5), stored({ ...e, caseRef: "CASE-X" }));
    expect(log.verify()).toMatchObject({ ok: false, break: { seq: 5, kind: "altered" } });
  });

  it("detects a removed entry, in the middle and at the end", async () => {
    const middle = await tenEntries();
    await middle.raw.remove(seqKey(4));
    expect(middle.log.verify()).toMatchObject({ ok: false, break: { seq: 4, kind: "removed" } });
    const end = await tenEntries();
    await end.raw.remove(seqKey(10));
    expect(end.log.verify()).toMatchObject({ ok: false, break: { seq: 10, kind: "removed" } });
  });

  it("detects an inserted entry", async () => {
    const { log, raw } = await tenEntries();
    // Shift 6..10 up by one and forge a new 6 that chains correctly to 5.
    const old = new Map<number, string>();
    for (let s = 6; s <= 10; s++) old.set(s, raw.get(seqKey(s))!);
    for (let s = 10; s >= 6; s--) await raw.put(seqKey(s + 1), old.get(s)!);
    const five = raw.get(seqKey(5))!;
    await raw.put(
      seqKey(6),
      stored({ ...body(old.get(6)!), seq: 6, prevHash: five.slice(0, 64), actor: "forger", caseRef: "FAKE" }),
    );
    expect(log.verify()).toMatchObject({ ok: false, break: { seq: 6, kind: "inserted" } });
  });

  it("detects an entry with a key the log never writes", async () => {
    const { log, raw } = await tenEntries();
    await raw.put(Buffer.concat([seqKey(3), Buffer.from([0])]), raw.get(seqKey(3))!);
    expect(log.verify()).toMatchObject({ ok: false, break: { seq: 4, kind: "inserted" } });
  });

  it("`kestrel audit verify` exits 0 on a sound log and 1, naming the entry, on a broken one", async () => {
    const { dir, raw, env } = await tenEntries();
    const cli = [join(root, "src/cli/main.ts"), "audit", "verify", "--data-dir", dir];
    const ok = execFileSync(process.execPath, ["--import", "tsx", ...cli], { cwd: root, encoding: "utf8" });
    expect(ok).toMatch(/^ok {4}10 entries, head 10 [0-9a-f]{64}/);
    await raw.put(seqKey(7), raw.get(seqKey(7))!.replace("CASE-7", "CASE-8"));
    await env.flushed;
    const bad = spawnSync(process.execPath, ["--import", "tsx", ...cli], { cwd: root, encoding: "utf8" });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain("BROKEN at entry 7 (altered)");
    expect(JSON.parse(bad.stderr.trim().split("\n").at(-1)!)).toMatchObject({
      error: { code: "KESTREL_E_AUDIT_BROKEN", details: { seq: 7, kind: "altered" } },
    });
  });

  it("serialises concurrent appends into one unbroken chain", async () => {
    const { log } = await tenEntries();
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        log.append({ actor: "u", role: "auditor", action: "audit.read", outcome: "ok", resultCount: i }),
      ),
    );
    expect(log.verify()).toMatchObject({ ok: true, entries: 60, headSeq: 60 });
  });
});
