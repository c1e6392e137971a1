import { resolve } from "node:path";
import type { Command } from "commander";
import { AuditLog } from "../audit/index.js";
import { loadConfig } from "../config/index.js";
import { KestrelError } from "../errors/index.js";

interface AuditOptions {
  config?: string;
  dataDir?: string;
  json?: boolean;
}

function openLog(opts: AuditOptions): AuditLog {
  const config = loadConfig({ file: opts.config });
  return AuditLog.open({
    dataDir: resolve(opts.dataDir ?? config.store.dataDir),
    mapSizeGiB: config.store.mapSizeGiB,
  });
}

/** `kestrel audit verify|tail`: check the audit log's hash chain, show recent entries. */
export function registerAudit(program: Command): void {
  const audit = program.command("audit").description("the tamper-evident audit log");
  audit
    .command("verify")
    .description("walk the hash chain; exit 1 and name the entry where it breaks")
    .option("-c, --config <file>", "configuration file")
    .option("-d, --data-dir <dir>", "data directory (default: store.dataDir)")
    .option("--json", "print the result as JSON")
    .action(async (opts: AuditOptions) => {
      const log = openLog(opts);
      try {
        const result = log.verify();
        if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else if (result.ok) {
          process.stdout.write(
            `ok    ${result.entries} entries, head ${result.headSeq} ${result.headHash}\n`,
          );
        } else {
          const b = result.break!;
          process.stdout.write(`BROKEN at entry ${b.seq} (${b.kind}): ${b.detail}\n`);
        }
        if (!result.ok) {
          const b = result.break!;
          process.stderr.write(
            `${JSON.stringify({ error: new KestrelError("KESTREL_E_AUDIT_BROKEN", `entry ${b.seq}: ${b.detail}`, { details: { ...b } }).toJSON() })}\n`,
          );
          process.exitCode = 1;
        }
      } finally {
        await log.close();
      }
    });
  audit
    .command("tail")
    .description("print the last entries as JSON lines")
    .option("-c, --config <file>", "configuration file")
    .option("-d, --data-dir <dir>", "data directory (default: store.dataDir)")
    .option("-n, --lines <n>", "entries to print", "20")
    .action(async (opts: AuditOptions & { lines: string }) => {
      const log = openLog(opts);
      try {
        const n = Math.min(Math.max(1, Number.parseInt(opts.lines, 10) || 20), 1000);
        const head = log.head();
        for (const e of log.list({ fromSeq: Math.max(1, head.seq - n + 1), limit: n })) {
          process.stdout.write(`${JSON.stringify(e)}\n`);
        }
      } finally {
        await log.close();
      }
    });
}
