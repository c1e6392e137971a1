import type { WebSocket } from "@trufflesuite/uws-js-unofficial";
import type { Role } from "../config/schema.js";
import type { AlertFilter, AlertSubscriber } from "./alerts.js";
import { gatewayMetrics } from "./metrics.js";

/** One open WebSocket connection and who is on it. */
export class Session implements AlertSubscriber {
  ws: WebSocket<{ session: Session }> | undefined;
  closed = false;
  nextSeq = 1;
  gap?: { fromSeq: number; toSeq: number; count: number };
  readonly subscriptions = new Map<string, AlertFilter>();
  private nextSubscription = 1;

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

  addSubscription(filter: AlertFilter): string {
    const id = `s${this.nextSubscription++}`;
    this.subscriptions.set(id, filter);
    return id;
  }

  /** Closes with an application close code; the reason is the error code (no personal data). */
  end(code: number, reason: string): void {
    if (this.closed || !this.ws) return;
    this.ws.end(code, reason);
  }
}
