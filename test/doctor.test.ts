import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("kestrel doctor", () => {
  it("reports the native uWS binary, a working ffmpeg, LMDB and SIMD wasm", () => {
    const out = execFileSync("node", ["dist/src/cli/main.js", "doctor", "--json"], {
      encoding: "utf8",
      env: { ...process.env, KESTREL_STORE_DATA_DIR: "/tmp/kestrel-doctor" },
    });
    const checks = JSON.parse(out) as { name: string; ok: boolean; detail: string }[];
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byName.uws?.ok).toBe(true);
    expect(byName.uws?.detail).toMatch(/^native .*uws_linux_x64_\d+\.node/);
    expect(byName.ffmpeg?.detail).toMatch(/ffmpeg version/);
    expect(byName.lmdb?.detail).toMatch(/LMDB \d/);
    expect(byName.wasm?.detail).toContain("release build SIMD yes");
    expect(byName.data?.detail).toContain("/tmp/kestrel-doctor");
  });

  it("fails with status 1 when the configuration names an unknown field", () => {
    try {
      execFileSync("node", ["dist/src/cli/main.js", "doctor"], {
        encoding: "utf8",
        env: { ...process.env, KESTREL_STORE_DATA_DIRR: "/tmp/x" },
        stdio: "pipe",
      });
      expect.unreachable("doctor should fail");
    } catch (err) {
      const e = err as { status: number; stderr: string; stdout: string };
      expect(e.status).toBe(1);
      expect(e.stderr + e.stdout).toContain("KESTREL_STORE_DATA_DIRR");
    }
  });
});
