/**
 * Per-user token bucket: `perMinute` messages a minute, with bursts up to the same number. Shared by all
 * of a user's connections, so opening more connections buys no more requests.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(private readonly perMinute: number) {}

  take(user: string, nowMs: number): boolean {
    const b = this.buckets.get(user) ?? { tokens: this.perMinute, atMs: nowMs };
    b.tokens = Math.min(this.perMinute, b.tokens + ((nowMs - b.atMs) * this.perMinute) / 60_000);
    b.atMs = nowMs;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(user, b);
    return ok;
  }
}
