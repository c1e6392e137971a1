import { logger } from "../log/index.js";

/**
 * Graceful shutdown. Parts register a close step as they start; on SIGINT/SIGTERM the steps run in reverse
 * order of start (so intake stops first, then writes flush, then LMDB closes) and the process exits 0.
 * A second signal, or a step that hangs past the deadline, exits at once with status 1.
 */
type Step = { name: string; close: () => Promise<void> | void };

export class Shutdown {
  private readonly steps: Step[] = [];
  private running: Promise<void> | undefined;

  register(name: string, close: Step["close"]): void {
    this.steps.push({ name, close });
  }

  /** Runs every step once, newest first; errors are logged and the remaining steps still run. */
  run(reason: string): Promise<void> {
    this.running ??= (async () => {
      const log = logger("shutdown");
      log.info({ reason }, "shutting down");
      for (const step of [...this.steps].reverse()) {
        try {
          await step.close();
          log.debug({ step: step.name }, "closed");
        } catch (err) {
          log.error({ step: step.name, err }, "close step failed");
        }
      }
    })();
    return this.running;
  }

  /** Installs SIGINT/SIGTERM handlers that run the steps and exit. */
  installSignalHandlers(deadlineMs = 15_000): void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.running) process.exit(1);
      const timer = setTimeout(() => {
        logger("shutdown").error({ deadlineMs }, "shutdown deadline passed");
        process.exit(1);
      }, deadlineMs);
      timer.unref();
      void this.run(signal).then(() => process.exit(0));
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  }
}
