/** Restart delays: exponential with full-range jitter in [delay/2, delay], capped. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** A run that streamed at least this long resets the delay to initialMs. */
  resetAfterMs: number;
  /** Consecutive attempts without a single frame before the camera shows as `failed` (retries continue). */
  failAfter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  initialMs: 500,
  maxMs: 30_000,
  resetAfterMs: 10_000,
  failAfter: 5,
};

export function backoffDelayMs(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const ceilingMs = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceilingMs * (0.5 + 0.5 * random()));
}
