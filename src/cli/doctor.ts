import { accessSync, constants, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import * as lmdb from "lmdb";
import { loadConfig } from "../config/index.js";
import { uwsInfo } from "../gateway/uws.js";
import { ffmpegVersion, resolveFfmpeg } from "../ingest/ffmpeg-path.js";
import { probeWasm } from "../wasm/probe.js";

const require = createRequire(import.meta.url);

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** `kestrel doctor`: what Kestrel will run on here. Exits 1 if anything it needs is missing or degraded. */
export function registerDoctor(program: Command): void {
  program
    .command("doctor")
    .description("report ffmpeg, uWebSockets.js, LMDB, wasm features and the data directory")
    .option("-c, --config <file>", "configuration file")
    .option("--json", "print the checks as JSON")
    .action((opts: { config?: string; json?: boolean }) => {
      const checks = runChecks(opts.config);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(checks)}\n`);
      } else {
        for (const c of checks)
          process.stdout.write(`${c.ok ? "ok  " : "FAIL"}  ${c.name.padEnd(8)} ${c.detail}\n`);
      }
      process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
    });
}

function check(name: string, fn: () => string): Check {
  try {
    return { name, ok: true, detail: fn() };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message };
  }
}

export function runChecks(configFile?: string): Check[] {
  return [
    check("ffmpeg", () => {
      const ff = resolveFfmpeg();
      return `${ff.path} (from ${ff.source}): ${ffmpegVersion(ff.path)}`;
    }),
    check("uws", () => {
      const info = uwsInfo();
      if (!info.native) throw new Error(`JavaScript FALLBACK in use, native ${info.binary} did not load`);
      return `native ${info.binary} (@trufflesuite/uws-js-unofficial ${info.version})`;
    }),
    check("lmdb", () => {
      const pkgFile = join(dirname(require.resolve("lmdb")), "..", "package.json");
      const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { version: string };
      return `lmdb-js ${pkg.version}, ${(lmdb as unknown as { version: { versionString: string } }).version.versionString}`;
    }),
    check("wasm", () => {
      const f = probeWasm();
      if (!f.memoryCheck) throw new Error("probe kernel computed a wrong result");
      return `host SIMD ${f.hostSimd ? "yes" : "no"}, release build SIMD ${f.buildSimd ? "yes" : "no"}`;
    }),
    check("data", () => {
      const dir = resolve(loadConfig({ file: configFile }).store.dataDir);
      mkdirSync(dir, { recursive: true });
      accessSync(dir, constants.W_OK);
      return `${dir} (writable)`;
    }),
  ];
}
