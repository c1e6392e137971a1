import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { parseDurationMs } from "../access/tokens.js";
import { KestrelClient } from "../client/index.js";
import { loadConfig } from "../config/index.js";
import { purposeSchema } from "../config/schema.js";
import { KestrelError } from "../errors/index.js";
import type { QuerySelector, ResultMessage } from "../gateway/protocol.js";

interface QueryCliOptions {
  config?: string;
  url?: string;
  token?: string;
  tokenFile?: string;
  from: string;
  to: string;
  purpose: string;
  case: string;
  auth?: string;
  limit?: string;
  all?: boolean;
  json?: boolean;
  within?: string;
  minOccasions?: string;
}

/** A time: ISO 8601, ms since the epoch, "now", or a duration ago ("7d", "90m"). */
export function parseTime(text: string, nowMs: number): number {
  if (text === "now") return nowMs;
  if (/^\d{10,}$/.test(text)) return Number(text);
  if (/^\d+(\.\d+)?(ms|s|m|h|d)$/.test(text)) return nowMs - parseDurationMs(text);
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw new KestrelError("KESTREL_E_INPUT_INVALID", `time "${text}": use ISO 8601, ms, now or e.g. 7d`);
  return t;
}

function readToken(opts: QueryCliOptions): string {
  if (opts.token) return opts.token;
  if (opts.tokenFile) return readFileSync(opts.tokenFile, "utf8").trim();
  throw new KestrelError("KESTREL_E_AUTH_MISSING", "give --token or --token-file");
}

/**
 * `kestrel query plate|partial|camera|window|convoy`: a purpose-bound search through the gateway (never
 * the store directly), so the access policy and the audit log apply exactly as for any other client.
 */
export function registerQuery(program: Command): void {
  const query = program
    .command("query")
    .description("search stored reads through the gateway (purpose-bound, audited)");
  const kinds: [string, string, (arg: string | undefined, o: QueryCliOptions) => QuerySelector][] = [
    ["plate <vrm>", "reads of one plate", (a) => ({ kind: "plate", plate: a! })],
    [
      "partial <pattern>",
      "partial plate: ? one character, * any run (quote it)",
      (a) => ({ kind: "partial", pattern: a! }),
    ],
    ["camera <cameraId>", "reads at one camera", (a) => ({ kind: "camera", cameraId: a! })],
    ["window", "all reads in the time window", () => ({ kind: "window" })],
    [
      "convoy <vrm>",
      "vehicles that travelled with a plate",
      (a, o) => ({
        kind: "convoy",
        plate: a!,
        withinSeconds: Number(o.within ?? 60),
        minOccasions: Number(o.minOccasions ?? 2),
      }),
    ],
  ];
  for (const [spec, description, selector] of kinds) {
    const c = query
      .command(spec)
      .description(description)
      .option("-c, --config <file>", "configuration file (for the gateway address)")
      .option("--url <url>", "gateway base URL (default ws://gateway.host:gateway.port)")
      .option("--token <token>", "bearer token")
      .option("--token-file <file>", "file holding the bearer token")
      .option("--from <time>", "window start: ISO 8601, ms, now or a duration ago (7d)", "1d")
      .option("--to <time>", "window end", "now")
      .requiredOption("--purpose <purpose>", `one of ${purposeSchema.options.join(", ")}`)
      .requiredOption("--case <ref>", "case reference")
      .option("--auth <id>", "authorisation id (for reads older than the standard tier)")
      .option("--limit <n>", "reads per page", "100")
      .option("--all", "follow cursors to the last page")
      .option("--json", "print the result messages as JSON lines");
    if (spec.startsWith("convoy")) {
      c.option("--within <seconds>", "seconds either side at the same camera", "60").option(
        "--min-occasions <n>",
        "shared passes needed",
        "2",
      );
    }
    const takesArg = spec.includes("<");
    c.action(async (...args: unknown[]) => {
      const arg = takesArg ? (args[0] as string) : undefined;
      const opts = (takesArg ? args[1] : args[0]) as QueryCliOptions;
      await runQuery(selector(arg, opts), opts);
    });
  }
}

async function runQuery(selector: QuerySelector, opts: QueryCliOptions): Promise<void> {
  const purpose = purposeSchema.safeParse(opts.purpose);
  if (!purpose.success) {
    throw new KestrelError(
      "KESTREL_E_INPUT_INVALID",
      `purpose must be one of ${purposeSchema.options.join(", ")}`,
    );
  }
  let url = opts.url;
  let ca: Buffer | undefined;
  if (!url) {
    const config = loadConfig({ file: opts.config });
    const g = config.gateway;
    url = `${g.tls ? "wss" : "ws"}://${g.host}:${g.port}`;
    if (g.tls) ca = readFileSync(g.tls.certFile);
  }
  const now = Date.now();
  const client = await KestrelClient.connect({ url, token: readToken(opts), ...(ca ? { ca } : {}) });
  try {
    const options = {
      fromMs: parseTime(opts.from, now),
      toMs: parseTime(opts.to, now),
      purpose: purpose.data,
      caseRef: opts.case,
      limit: Number(opts.limit ?? 100),
      ...(opts.auth ? { authorisationId: opts.auth } : {}),
    };
    const pages: ResultMessage[] = opts.all
      ? await client.queryAll(selector, options)
      : [await client.query(selector, options)];
    for (const page of pages) {
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(page)}\n`);
        continue;
      }
      for (const r of page.reads) {
        process.stdout.write(
          `${new Date(r.captureTimeMs).toISOString()}  ${r.plate.padEnd(8)} ${r.cameraId.padEnd(12)} ${r.tier.padEnd(10)} ${r.readId}${r.cameraLocation ? `  ${r.cameraLocation}` : ""}\n`,
        );
      }
      for (const cand of page.convoy?.candidates ?? []) {
        process.stdout.write(
          `${cand.plate.padEnd(8)} with target on ${cand.occasions} passes (${cand.sightings.length} sightings)\n`,
        );
      }
      for (const w of page.withheld) process.stdout.write(`withheld ${w.count} (${w.tier}: ${w.reason})\n`);
      if (page.cursor && !opts.all) process.stdout.write(`more: use --all to follow pages\n`);
    }
  } finally {
    await client.close();
  }
}
