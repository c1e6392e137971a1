import type { Role } from "../config/schema.js";
import type { Alert, AlertSink } from "../domain/hotlist.js";
import { gatewayMetrics } from "./metrics.js";
import type { WireAlert } from "./protocol.js";

/** A subscriber's filter: every field that is present must match. */
export interface AlertFilter {
  lists?: readonly string[];
  maxPriority?: number;
  cameras?: readonly string[];
}

/** What the fan-out needs of a connection: kept minimal so it can be driven without a socket in tests. */
export interface AlertSubscriber {
  readonly role: Role;
  /** Bytes waiting in the connection's send buffer. */
  bufferedBytes(): number;
  /** Sends text frames in one corked batch; false if the connection is gone. */
  sendBatch(frames: string[]): boolean;
  /** uWS topic membership. */
  subscribeTopic(topic: string): void;
  unsubscribeTopic(topic: string): void;
  /** Subscriptions (topic ids) this connection holds. */
  readonly topics: Set<string>;
  /** Past the send-buffer bound: unsubscribed from its topics until it drains. */
  suspended: boolean;
  /** Per subscription: alerts dropped while suspended, reported in a gap notice on resumption. */
  readonly gaps: Map<string, { fromSeq: number; toSeq: number; count: number }>;
}

export function filterMatches(f: AlertFilter, a: Alert): boolean {
  if (f.lists && !f.lists.includes(a.hit.entry.list)) return false;
  if (f.maxPriority !== undefined && a.hit.entry.priority > f.maxPriority) return false;
  if (f.cameras && !f.cameras.includes(a.cameraId)) return false;
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

/** One subscription shared by every connection with the same filter and the same view of locations. */
interface Topic {
  id: string;
  filter: AlertFilter;
  withLocation: boolean;
  /** Sequence number of the last alert published on this subscription. */
  seq: number;
  members: Set<AlertSubscriber>;
}

/**
 * Live alert fan-out, as an AlertSink the hot-list service feeds.
 *
 * Connections with the same filter (and the same right to see camera locations) share one subscription,
 * a uWS topic: an alert is serialised once per matching subscription and handed to uWS's C++ pub/sub,
 * which writes it to every member in one pass. Sending from JavaScript one socket at a time costs a
 * system call each and was 100x slower at 1,000 subscribers. Each subscription numbers its alerts, so a
 * subscriber sees any gap in its sequence.
 *
 * A slow subscriber never delays others: before each publish the members' send buffers are checked
 * (uWS getBufferedAmount); one past the bound is taken off its topics, every alert it then misses is
 * counted, and when its buffer drains it receives a gap notice per subscription naming the sequence
 * numbers it missed, and is put back on its topics.
 */
export class AlertFanout implements AlertSink {
  readonly name = "gateway";
  private readonly topics = new Map<string, Topic>();
  private readonly recent = new Map<string, DeliveredAlert>();
  private nextTopic = 1;

  constructor(
    private readonly options: {
      maxBufferedBytes: number;
      locationRoles: ReadonlySet<Role>;
      cameraLocations: ReadonlyMap<string, string>;
      /** uWS app.publish. */
      publish: (topic: string, message: string) => void;
      /** How many delivered alerts are remembered for acknowledgement. */
      recentMax?: number;
    },
  ) {}

  /** Adds a subscription; returns its id and the sequence number its next alert will carry. */
  subscribe(s: AlertSubscriber, filter: AlertFilter): { subscriptionId: string; nextSeq: number } {
    const withLocation = this.options.locationRoles.has(s.role);
    const key = topicKey(filter, withLocation);
    let topic = this.topics.get(key);
    if (!topic) {
      topic = { id: `t${this.nextTopic++}`, filter, withLocation, seq: 0, members: new Set() };
      this.topics.set(key, topic);
    }
    if (!topic.members.has(s)) {
      topic.members.add(s);
      s.topics.add(key);
      if (!s.suspended) s.subscribeTopic(key);
    }
    return { subscriptionId: key, nextSeq: topic.seq + 1 };
  }

  unsubscribe(s: AlertSubscriber, subscriptionId: string): boolean {
    const topic = this.topics.get(subscriptionId);
    if (!topic?.members.delete(s)) return false;
    s.topics.delete(subscriptionId);
    s.gaps.delete(subscriptionId);
    s.unsubscribeTopic(subscriptionId);
    if (topic.members.size === 0) this.topics.delete(subscriptionId);
    return true;
  }

  /** A connection closed: uWS has already dropped its topic memberships. */
  remove(s: AlertSubscriber): void {
    for (const key of s.topics) {
      const topic = this.topics.get(key);
      topic?.members.delete(s);
      if (topic && topic.members.size === 0) this.topics.delete(key);
    }
    s.topics.clear();
  }

  get subscriptionCount(): number {
    return this.topics.size;
  }

  delivered(alertId: string): DeliveredAlert | undefined {
    return this.recent.get(alertId);
  }

  alert(a: Alert): void {
    let plain: string | undefined;
    let located: string | undefined;
    let sent = 0;
    let dropped = 0;
    for (const [key, topic] of this.topics) {
      if (!filterMatches(topic.filter, a)) continue;
      const seq = ++topic.seq;
      for (const s of topic.members) {
        if (!s.suspended && s.bufferedBytes() > this.options.maxBufferedBytes) this.suspend(s);
        if (s.suspended) {
          const g = s.gaps.get(key);
          if (g) {
            g.toSeq = seq;
            g.count++;
          } else s.gaps.set(key, { fromSeq: seq, toSeq: seq, count: 1 });
          dropped++;
        } else sent++;
      }
      let body: string;
      if (topic.withLocation) {
        located ??= this.body(a, true);
        body = located;
      } else {
        plain ??= this.body(a, false);
        body = plain;
      }
      this.options.publish(key, `{"type":"alert","subscriptionId":"${key}","seq":${seq},"alert":${body}}`);
    }
    if (sent > 0) {
      gatewayMetrics.alertsSent.inc(sent);
      gatewayMetrics.messagesSent.inc(sent);
      gatewayMetrics.alertLatency.observe(Math.max(0, Date.now() - a.captureTimeMs) / 1000);
    }
    if (dropped > 0) gatewayMetrics.alertsDropped.inc({ reason: "backpressure" }, dropped);
    this.remember(a);
  }

  private suspend(s: AlertSubscriber): void {
    s.suspended = true;
    for (const key of s.topics) s.unsubscribeTopic(key);
  }

  /** Called when a connection's buffer drains: once under the bound, report its gaps and resume it. */
  drained(s: AlertSubscriber): void {
    if (!s.suspended || s.bufferedBytes() > this.options.maxBufferedBytes) return;
    const frames: string[] = [];
    for (const [key, g] of s.gaps) {
      frames.push(
        `{"type":"gap","subscriptionId":"${key}","fromSeq":${g.fromSeq},"toSeq":${g.toSeq},"count":${g.count}}`,
      );
    }
    if (frames.length > 0 && !s.sendBatch(frames)) return;
    s.gaps.clear();
    s.suspended = false;
    for (const key of s.topics) s.subscribeTopic(key);
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
    if (a.patch) {
      wire.patchBase64 = Buffer.from(a.patch.buffer, a.patch.byteOffset, a.patch.byteLength).toString(
        "base64",
      );
    }
    return JSON.stringify(wire);
  }
}

/** Canonical topic name for a filter: order-free, so equal filters share one subscription. */
function topicKey(f: AlertFilter, withLocation: boolean): string {
  const lists = f.lists ? [...new Set(f.lists)].sort().join(",") : "*";
  const cameras = f.cameras ? [...new Set(f.cameras)].sort().join(",") : "*";
  const prio = f.maxPriority === undefined ? "*" : String(f.maxPriority);
  return `alerts/${withLocation ? "L" : "P"}/${prio}/${lists}/${cameras}`;
}
