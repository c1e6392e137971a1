import type { WebSocket } from "@trufflesuite/uws-js-unofficial";
import type { Role } from "../config/schema.js";
import type { AlertSubscriber } from "./alerts.js";
import { gatewayMetrics } from "./metrics.js";

/** One open WebSocket connection and who is on it. */
export class Session implements AlertSubscriber {
  ws: WebSocket<{ session: Session }> | undefined;
  closed = false;
  suspended = false;
  readonly topics = new Set<string>();
  readonly gaps = new Map<string, { fromSeq: number; toSeq: number; count: number }>();

  constructor(
    readonly connId: number,
    public user: string,
    public role: Role,
    public trained: boolean,
    readonly jti: string,
    readonly tokenExpiresAtMs: number,
  ) {}

  bufferedBytes(): number {
    return this.closed || !this.ws ? 0 : this.ws.getBufferedAmount();
  }

  sendBatch(frames: string[]): boolean {
    const ws = this.ws;
    if (this.closed || !ws) return false;
    // One frame to one socket is one write either way; cork only to pack several into one write.
    if (frames.length === 1) ws.send(frames[0]!, false, false);
    else
      ws.cork(() => {
        for (const f of frames) ws.send(f, false, false);
      });
    return true;
  }

  send(message: object): boolean {
    const ok = this.sendBatch([JSON.stringify(message)]);
    if (ok) gatewayMetrics.messagesSent.inc();
    return ok;
  }

  subscribeTopic(topic: string): void {
    if (!this.closed && this.ws) this.ws.subscribe(topic);
  }

  unsubscribeTopic(topic: string): void {
    if (!this.closed && this.ws) this.ws.unsubscribe(topic);
  }

  /** Closes with an application close code; the reason is the error code (no personal data). */
  end(code: number, reason: string): void {
    if (this.closed || !this.ws) return;
    this.ws.end(code, reason);
  }
}
