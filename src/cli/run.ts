import type { Command } from "commander";
import { issueToken, loadOrCreateSecret, secretPath } from "../access/index.js";
import { type KestrelConfig, loadConfig, type Role } from "../config/index.js";
import { logger, setLogLevel } from "../log/index.js";
import { type MetricsServer, startMetricsServer } from "../metrics/server.js";
import { DEMO_LIST, prepareDemo } from "../runtime/demo.js";
import { Shutdown } from "../runtime/shutdown.js";
import { type System, startSystem } from "../runtime/system.js";

const DEMO_ROLES: Role[] = ["consumer", "analyst", "senior", "auditor", "admin"];
const SUMMARY_INTERVAL_MS = 5_000;

/** `kestrel run` (= `npm start`): the whole system. With no cameras configured it runs the demo. */
export function registerRun(program: Command): void {
  program
    .command("run")
    .description("run Kestrel: cameras, recognition, hot-lists, store, gateway and metrics")
    .option("-c, --config <file>", "configuration file (YAML or JSON); KESTREL_CONFIG also works")
    .action(async (opts: { config?: string }) => {
      const file = opts.config ?? process.env.KESTREL_CONFIG;
      const config = loadConfig({ file });
      setLogLevel(config.log.level);
      await run(config, file);
    });
}

async function run(config: KestrelConfig, file: string | undefined): Promise<void> {
  const log = logger("run");
  const shutdown = new Shutdown();
  shutdown.installSignalHandlers();
  const useDemo = config.cameras.length === 0 && config.demo.enabled;
  if (useDemo) process.stdout.write("Preparing demo cameras (generated once, then cached)...\n");
  const demo = useDemo ? await prepareDemo(config) : undefined;
  const system = await startSystem(config, {
    cameras: demo?.cameras ?? config.cameras,
    ...(demo ? { hotlistEntries: demo.entries } : {}),
  });
  shutdown.register("system", () => system.close());

  let metrics: MetricsServer | undefined;
  if (config.metrics.enabled) {
    metrics = await startMetricsServer({ ...config.metrics, notReady: () => notReadyReasons(system) });
    shutdown.register("metrics", () => metrics?.close());
  }

  let reads = 0;
  let alerts = 0;
  system.cameras.addSink({ name: "summary", final: () => reads++ });
  system.hotlists.addAlertSink({ name: "summary", alert: () => alerts++ });

  const host = config.gateway.host;
  const lines = [
    "",
    `Kestrel is running${demo ? ` the demo: ${demo.cameras.length} synthetic cameras, hot-list "${DEMO_LIST}"` : ""}.`,
    `  gateway   ws://${host}:${system.gateway.port}/v1/ws   (protocol: docs/protocol.md)`,
    metrics ? `  metrics   http://${config.metrics.host}:${metrics.port}/metrics  (/healthz, /readyz)` : "",
    `  data      ${config.store.dataDir}`,
  ];
  if (demo) {
    lines.push("", "Demo tokens (12 h), one per role:");
    for (const [role, token] of await demoTokens(system, config)) lines.push(`  ${role.padEnd(9)} ${token}`);
    lines.push(
      "",
      "Watch alerts arrive:",
      `  npx kestrel watch --url ws://${host}:${system.gateway.port} --token <consumer token>`,
    );
  }
  process.stdout.write(`${lines.filter((l) => l !== undefined).join("\n")}\n\n`);

  if (file) {
    process.on("SIGHUP", () => {
      try {
        const next = loadConfig({ file });
        void system.cameras.apply(next.cameras).then((r) => log.info(r, "cameras reloaded"));
      } catch (err) {
        log.error({ err }, "reload refused: configuration invalid; cameras unchanged");
      }
    });
  }

  const timer = setInterval(() => {
    const status = system.cameras.status();
    const streaming = status.filter((s) => s.state === "streaming").length;
    const fps = status.reduce((sum, s) => sum + s.decodeFps, 0);
    const line = `cameras ${streaming}/${status.length} streaming · ${fps.toFixed(1)} fps · reads ${reads} · alerts ${alerts}`;
    process.stdout.write(process.stdout.isTTY ? `\r${line}   ` : `${line}\n`);
  }, SUMMARY_INTERVAL_MS);
  timer.unref();
  shutdown.register("summary", () => clearInterval(timer));
  // The process now lives on its servers and ffmpeg children until SIGINT/SIGTERM.
}

function notReadyReasons(system: System): string[] {
  const reasons: string[] = [];
  if (system.cameras.status().length === 0) reasons.push("no cameras configured");
  if (!system.store.accepting) reasons.push("store is not accepting reads");
  return reasons;
}

/** Demo users, one per role, and a fresh token for each. */
async function demoTokens(system: System, config: KestrelConfig): Promise<[Role, string][]> {
  const secret = loadOrCreateSecret(secretPath(config));
  const tokens: [Role, string][] = [];
  for (const role of DEMO_ROLES) {
    const name = `demo-${role}`;
    if (!system.access.getUser(name)) system.access.addUser(name, role, true);
    tokens.push([role, (await issueToken(system.access, secret, name, 12 * 3600_000)).token]);
  }
  return tokens;
}
