import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// The built CLI (dist/, made by `npm install`) against real LMDB files in a temp dir.

const dir = mkdtempSync(join(tmpdir(), "kestrel-hotlist-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kestrel(...args: string[]): { status: number; lines: Record<string, unknown>[]; stderr: string } {
  const r = spawnSync("node", ["dist/src/cli/main.js", "hotlist", ...args], {
    encoding: "utf8",
    env: { ...process.env, KESTREL_STORE_DATA_DIR: join(dir, "data"), KESTREL_LOG_LEVEL: "warn" },
  });
  const lines = r.stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: r.status ?? -1, lines, stderr: r.stderr };
}

describe("kestrel hotlist", () => {
  it("imports a file, prints rejected lines and a summary as JSON lines, then add, show, remove, stats", () => {
    const file = join(dir, "list.jsonl");
    writeFileSync(
      file,
      [
        JSON.stringify({ plate: "AB12CDE", category: "stolen", priority: 1, reason: "stolen car" }),
        JSON.stringify({ plate: "AB12CDE!", category: "stolen", priority: 1 }),
        JSON.stringify({ plate: "XY51ZZZ", category: "stolen", priority: 2 }),
      ].join("\n"),
    );
    const imported = kestrel("import", file, "--list", "stolen", "--lookalike");
    expect(imported.status).toBe(0);
    expect(imported.lines[0]).toEqual({
      rejected: { line: 2, code: "plate", reason: 'plate "AB12CDE!" is not 1-10 letters A-Z and digits 0-9' },
    });
    expect(imported.lines[1]).toMatchObject({ list: "stolen", revision: 1, accepted: 2, rejected: 1 });

    const added = kestrel("add", "gh 56 jkl", "--list", "stolen", "--category", "stolen", "--priority", "0");
    expect(added.lines).toEqual([{ list: "stolen", added: 1 }]);
    expect(kestrel("show", "GH56JKL").lines).toMatchObject([
      { list: "stolen", plate: "GH56JKL", priority: 0 },
    ]);
    expect(kestrel("remove", "GH56JKL", "XY51ZZZ", "--list", "stolen").lines).toEqual([
      { list: "stolen", removed: 2 },
    ]);
    expect(kestrel("show", "GH56JKL").lines).toEqual([{ plate: "GH56JKL", entries: 0 }]);
    const stats = kestrel("stats").lines;
    expect(stats).toHaveLength(1);
    expect(stats[0]).toMatchObject({ list: "stolen", revision: 1, entries: 1, lookalike: true });
  });

  it("reports errors as one JSON line on stderr with a code and exits 1", () => {
    const missing = kestrel("import", join(dir, "absent.csv"), "--list", "x");
    expect(missing.status).toBe(1);
    expect(JSON.parse(missing.stderr.trim().split("\n").at(-1)!)).toMatchObject({
      error: { code: "KESTREL_E_INPUT_UNREADABLE" },
    });
    const unknown = kestrel("remove", "AB12CDE", "--list", "nope");
    expect(unknown.status).toBe(1);
    expect(JSON.parse(unknown.stderr.trim())).toMatchObject({ error: { code: "KESTREL_E_HOTLIST_UNKNOWN" } });
    const badPlate = kestrel("add", "??", "--list", "stolen", "--category", "stolen");
    expect(badPlate.status).toBe(1);
    expect(JSON.parse(badPlate.stderr.trim())).toMatchObject({ error: { code: "KESTREL_E_HOTLIST_LINE" } });
  });
});
