import type { Command } from "commander";
import { KestrelClient } from "../client/index.js";
import type { AlertMessage } from "../gateway/protocol.js";

/** `kestrel watch`: a terminal alert consumer. One line per alert, or JSON lines with --json. */
export function registerWatch(program: Command): void {
  program
    .command("watch")
    .description("subscribe to live alerts and print them as they arrive")
    .option("--url <url>", "gateway base URL", "ws://127.0.0.1:8080")
    .option("--token <token>", "bearer token (or KESTREL_TOKEN)")
    .option("--list <name...>", "only these hot-lists")
    .option("--camera <id...>", "only these cameras")
    .option("--max-priority <n>", "only entries of this priority or higher (0 is highest)", Number)
    .option("--json", "print each alert message as JSON")
    .action(
      async (opts: {
        url: string;
        token?: string;
        list?: string[];
        camera?: string[];
        maxPriority?: number;
        json?: boolean;
      }) => {
        const token = opts.token ?? process.env.KESTREL_TOKEN;
        if (!token) throw new Error("a token is needed: --token or KESTREL_TOKEN");
        const client = await KestrelClient.connect({ url: opts.url, token });
        let lastSeq = 0;
        client.onAlert((m) => {
          if (m.seq !== lastSeq + 1 && lastSeq !== 0)
            process.stdout.write(`! missed ${m.seq - lastSeq - 1} alerts\n`);
          lastSeq = m.seq;
          process.stdout.write(opts.json ? `${JSON.stringify(m)}\n` : `${describe(m)}\n`);
        });
        client.onGap((g) =>
          process.stdout.write(`! ${g.count} alerts dropped (seq ${g.fromSeq}-${g.toSeq})\n`),
        );
        await client.subscribe({
          ...(opts.list ? { lists: opts.list } : {}),
          ...(opts.camera ? { cameras: opts.camera } : {}),
          ...(opts.maxPriority !== undefined ? { maxPriority: opts.maxPriority } : {}),
        });
        if (!opts.json)
          process.stdout.write(`watching alerts as ${client.welcome.user} (${client.welcome.role})\n`);
        const closed = await client.closed();
        process.stdout.write(`connection closed: ${closed.code} ${closed.reason}\n`);
        process.exitCode = closed.code === 1000 ? 0 : 1;
      },
    );
}

function describe(m: AlertMessage): string {
  const a = m.alert;
  const when = new Date(a.captureTimeMs).toISOString();
  const latencyMs = Date.now() - a.captureTimeMs;
  const warn = a.entry.warnings.length > 0 ? ` warnings: ${a.entry.warnings.join(", ")}` : "";
  return (
    `#${m.seq} ${when} camera ${a.cameraId}${a.cameraLocation ? ` (${a.cameraLocation})` : ""} ` +
    `${a.plate} (${Math.round(a.confidence * 100)}%, ${a.matchKind}${a.matchedPlate !== a.plate ? ` as ${a.matchedPlate}` : ""}) ` +
    `on ${a.entry.list} [${a.entry.category}, P${a.entry.priority}]: ${a.entry.reason}. Action: ${a.entry.action}.${warn} ` +
    `(${a.kind}, ${latencyMs} ms after capture)`
  );
}
