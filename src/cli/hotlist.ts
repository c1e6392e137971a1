import { Presets, SingleBar } from "cli-progress";
import type { Command } from "commander";
import { loadConfig } from "../config/index.js";
import { KestrelError } from "../errors/index.js";
import { type EntryInput, HotlistService, type ImportFormat } from "../hotlist/index.js";

const line = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value)}\n`);
};

async function withService<T>(
  configFile: string | undefined,
  load: boolean,
  fn: (s: HotlistService) => Promise<T> | T,
): Promise<T> {
  const config = loadConfig({ file: configFile });
  const service = await HotlistService.open({ config, load });
  try {
    return await fn(service);
  } finally {
    await service.close();
  }
}

function substitutions(value: string): number {
  const n = Number(value);
  if (n !== 1 && n !== 2)
    throw new KestrelError("KESTREL_E_INPUT_INVALID", "--max-substitutions must be 1 or 2");
  return n;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * `kestrel hotlist import|add|remove|show|stats`: hot-list maintenance on the data directory named by the
 * configuration. Output is JSON lines on stdout; errors are one JSON line on stderr (src/cli/main.ts).
 */
export function registerHotlist(program: Command): void {
  const hotlist = program.command("hotlist").description("hot-lists of vehicles of interest");

  hotlist
    .command("import")
    .description("import FILE as the next revision of a list (CSV or JSON Lines; see docs/hotlists.md)")
    .argument("<file>", "CSV or JSON Lines file")
    .requiredOption("-l, --list <name>", "list name")
    .option("-f, --format <format>", "csv or jsonl (default: from the file name)")
    .option("--lookalike", "enable look-alike matching for this list")
    .option("--max-substitutions <n>", "look-alike substitutions allowed, 1 or 2", substitutions)
    .option("-c, --config <file>", "configuration file")
    .action(
      async (
        file: string,
        opts: {
          list: string;
          format?: string;
          lookalike?: boolean;
          maxSubstitutions?: number;
          config?: string;
        },
      ) => {
        if (opts.format !== undefined && opts.format !== "csv" && opts.format !== "jsonl") {
          throw new KestrelError("KESTREL_E_INPUT_INVALID", "--format must be csv or jsonl");
        }
        const bar = process.stderr.isTTY
          ? new SingleBar(
              {
                format: "importing {bar} {percentage}% | {value}/{total} bytes | {eta}s left",
                stream: process.stderr,
              },
              Presets.shades_classic,
            )
          : undefined;
        let started = false;
        const report = await withService(opts.config, false, async (s) => {
          try {
            return await s.importList(opts.list, file, {
              format: opts.format as ImportFormat | undefined,
              lookalike: opts.lookalike,
              maxSubstitutions: opts.maxSubstitutions,
              onProgress: (bytes, total) => {
                if (!bar) return;
                if (!started) {
                  bar.start(total ?? bytes, 0);
                  started = true;
                }
                bar.update(bytes);
              },
            });
          } finally {
            if (started) bar?.stop();
          }
        });
        for (const r of report.rejectedLines) line({ rejected: r });
        const { rejectedLines: _, ...summary } = report;
        line(summary);
      },
    );

  hotlist
    .command("add")
    .description("add (or replace) one entry in a list's current revision; the list is created if new")
    .argument("<plate>", "registration mark")
    .requiredOption("-l, --list <name>", "list name")
    .requiredOption("--category <category>", "stolen, wanted, no-insurance, intelligence, ...")
    .option("--priority <n>", "0 (highest) to 9", "1")
    .option("--reason <text>", "why the vehicle is of interest", "")
    .option("--action <text>", "what to do on a hit", "")
    .option("--warning <marker>", "warning marker (repeatable)", collect, [])
    .option("--source-ref <ref>", "source reference", "")
    .option("--expires <date>", "weed date: ISO 8601 date or date-time with zone")
    .option("--security-marking <marking>", "security marking", "OFFICIAL")
    .option("-c, --config <file>", "configuration file")
    .action(
      async (
        plate: string,
        opts: {
          list: string;
          category: string;
          priority: string;
          reason: string;
          action: string;
          warning: string[];
          sourceRef: string;
          expires?: string;
          securityMarking: string;
          config?: string;
        },
      ) => {
        const entry: EntryInput = {
          list: opts.list,
          plate,
          category: opts.category,
          priority: Number(opts.priority),
          reason: opts.reason,
          action: opts.action,
          warnings: opts.warning,
          sourceRef: opts.sourceRef,
          securityMarking: opts.securityMarking,
        };
        if (opts.expires !== undefined) entry.expiresAt = opts.expires;
        const result = await withService(opts.config, false, (s) => s.add([entry]));
        line({ list: opts.list, added: result.added });
      },
    );

  hotlist
    .command("remove")
    .description("remove plates from a list's current revision")
    .argument("<plates...>", "registration marks")
    .requiredOption("-l, --list <name>", "list name")
    .option("-c, --config <file>", "configuration file")
    .action(async (plates: string[], opts: { list: string; config?: string }) => {
      const result = await withService(opts.config, false, (s) => s.remove(opts.list, plates));
      line({ list: opts.list, removed: result.removed });
    });

  hotlist
    .command("show")
    .description("every list's entry for a plate")
    .argument("<plate>", "registration mark")
    .option("-c, --config <file>", "configuration file")
    .action(async (plate: string, opts: { config?: string }) => {
      const entries = await withService(opts.config, false, (s) => s.show(plate));
      for (const e of entries) line(e);
      if (entries.length === 0) line({ plate, entries: 0 });
    });

  hotlist
    .command("stats")
    .description(
      "per list: revision, entries, look-alike, wasm bytes per entry, designed false-positive rate",
    )
    .option("-c, --config <file>", "configuration file")
    .action(async (opts: { config?: string }) => {
      const stats = await withService(opts.config, true, (s) => s.stats());
      for (const s of stats) line(s);
    });
}
