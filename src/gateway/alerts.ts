import type { Role } from "../config/schema.js";
import type { Alert, AlertSink } from "../domain/hotlist.js";
import { gatewayMetrics } from "./metrics.js";
import type { WireAlert } from "./protocol.js";

/** A subscriber's filter: every field that is present must match. */
export interface AlertFilter {
  lists?: ReadonlySet<string>;
  maxPriority?: number;
  cameras?: ReadonlySet<string>;
}

/** What the fan-out needs of a connection: kept minimal so it can be driven without a socket in tests. */
export interface AlertSubscriber {
  readonly role: Role;
  /** Bytes waiting in the connection's send buffer. */
  bufferedBytes(): number;
  /** Sends text frames in one corked batch; false if the connection is gone. */
  sendBatch(frames: string[]): boolean;
  readonly subscriptions: ReadonlyMap<string, AlertFilter>;
  /** Next alert sequence number for this connection (starts at 1). */
  nextSeq: number;
  /** Alerts dropped since the last one delivered: reported in a gap notice before the next delivery. */
  gap?: { fromSeq: number; toSeq: number; count: number };
}

export function filterMatches(f: AlertFilter, a: Alert): boolean {
  if (f.lists && !f.lists.has(a.hit.entry.list)) return false;
  if (f.maxPriority !== undefined && a.hit.entry.priority > f.maxPriority) return false;
  if (f.cameras && !f.cameras.has(a.cameraId)) return false;
  return true;
}

/** Recently delivered alerts, kept so acknowledgements can be checked and audited with their facts. */
export interface DeliveredAlert {
  alertId: string;
  passId: string;
  cameraId: string;
  list: string;
  plate: string;
  captureTimeMs: number;
}

/**
 * Live alert fan-out, as an AlertSink the hot-list service feeds. Each matching connection gets the alert
 * with its own next sequence number. A connection whose send buffer is past the bound does not get it:
 * the drop is counted and, as soon as the connection has room again, it receives a gap notice naming the
 * sequence numbers it missed. No connection ever waits for another.
 */
export class AlertFanout implements AlertSink {
  readonly name = "gateway";
  private readonly subscribers = new Set<AlertSubscriber>();
  private readonly recent = new Map<string, DeliveredAlert>();

  constructor(
    private readonly options: {
      maxBufferedBytes: number;
      locationRoles: ReadonlySet<Role>;
      cameraLocations: ReadonlyMap<string, string>;
      /** How many delivered alerts are remembered for acknowledgement. */
      recentMax?: number;
    },
  ) {}

  add(s: AlertSubscriber): void {
    this.subscribers.add(s);
  }

  remove(s: AlertSubscriber): void {
    this.subscribers.delete(s);
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  delivered(alertId: string): DeliveredAlert | undefined {
    return this.recent.get(alertId);
  }

  alert(a: Alert): void {
    let plain: string | undefined;
    let located: string | undefined;
    let sent = 0;
    let dropped = 0;
    for (const s of this.subscribers) {
      if (s.subscriptions.size === 0) continue;
      let match = false;
      for (const f of s.subscriptions.values()) {
        if (filterMatches(f, a)) {
          match = true;
          break;
        }
      }
      if (!match) continue;
      const seq = s.nextSeq++;
      if (s.bufferedBytes() > this.options.maxBufferedBytes) {
        if (s.gap) {
          s.gap.toSeq = seq;
          s.gap.count++;
        } else s.gap = { fromSeq: seq, toSeq: seq, count: 1 };
        dropped++;
        continue;
      }
      const withLocation = this.options.locationRoles.has(s.role);
      let body: string;
      if (withLocation) {
        located ??= this.body(a, true);
        body = located;
      } else {
        plain ??= this.body(a, false);
        body = plain;
      }
      const frames: string[] = [];
      if (s.gap) {
        frames.push(gapFrame(s.gap));
        s.gap = undefined;
      }
      frames.push(`{"type":"alert","seq":${seq},"alert":${body}}`);
      if (s.sendBatch(frames)) sent++;
    }
    if (sent > 0) {
      gatewayMetrics.alertsSent.inc(sent);
      gatewayMetrics.messagesSent.inc(sent);
      gatewayMetrics.alertLatency.observe(Math.max(0, Date.now() - a.captureTimeMs) / 1000);
    }
    if (dropped > 0) gatewayMetrics.alertsDropped.inc({ reason: "backpressure" }, dropped);
    this.remember(a);
  }

  /** Called when a connection's buffer drains: deliver its pending gap notice now rather than later. */
  drained(s: AlertSubscriber): void {
    if (s.gap && s.bufferedBytes() <= this.options.maxBufferedBytes) {
      if (s.sendBatch([gapFrame(s.gap)])) s.gap = undefined;
    }
  }

  private remember(a: Alert): void {
    const max = this.options.recentMax ?? 10_000;
    this.recent.set(a.alertId, {
      alertId: a.alertId,
      passId: a.passId,
      cameraId: a.cameraId,
      list: a.hit.entry.list,
      plate: a.plate,
      captureTimeMs: a.captureTimeMs,
    });
    if (this.recent.size > max) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
  }

  private body(a: Alert, withLocation: boolean): string {
    const e = a.hit.entry;
    const wire: WireAlert = {
      alertId: a.alertId,
      kind: a.kind,
      passId: a.passId,
      cameraId: a.cameraId,
      captureTimeMs: a.captureTimeMs,
      raisedAtMs: a.raisedAtMs,
      plate: a.plate,
      confidence: a.confidence,
      matchKind: a.hit.matchKind,
      matchedPlate: a.hit.matchedPlate,
      entry: {
        list: e.list,
        plate: e.plate,
        category: e.category,
        priority: e.priority,
        reason: e.reason,
        action: e.action,
        warnings: e.warnings,
        sourceRef: e.sourceRef,
        securityMarking: e.securityMarking,
      },
    };
    if (withLocation) {
      const loc = this.options.cameraLocations.get(a.cameraId);
      if (loc !== undefined) wire.cameraLocation = loc;
    }
    if (a.patch)
      wire.patchBase64 = Buffer.from(a.patch.buffer, a.patch.byteOffset, a.patch.byteLength).toString(
        "base64",
      );
    return JSON.stringify(wire);
  }
}

function gapFrame(g: { fromSeq: number; toSeq: number; count: number }): string {
  return `{"type":"gap","fromSeq":${g.fromSeq},"toSeq":${g.toSeq},"count":${g.count}}`;
}
