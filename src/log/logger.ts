import pino, { type Logger } from "pino";

/** Structured JSON logs on stderr (stdout is kept for command output such as `kestrel read`). */
export type { Logger };

let root: Logger | undefined;

export function createLogger(level: string = process.env.KESTREL_LOG_LEVEL ?? "info"): Logger {
  return pino(
    { level, base: { app: "kestrel" }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination(2),
  );
}

/** The process-wide logger; modules take a child with their own `module` field. */
export function logger(module?: string): Logger {
  root ??= createLogger();
  return module ? root.child({ module }) : root;
}

export function setLogLevel(level: string): void {
  logger().level = level;
}
