import { Counter, Gauge, Histogram } from "prom-client";
import { registry } from "../metrics/registry.js";

/** Gateway metrics. Labels are tier, purpose and reason only: never a user, a plate or a location. */
export const gatewayMetrics = {
  connections: new Gauge({
    name: "kestrel_gateway_connections",
    help: "Open WebSocket connections",
    registers: [registry],
  }),
  messagesReceived: new Counter({
    name: "kestrel_gateway_messages_received_total",
    help: "WebSocket messages received from clients",
    registers: [registry],
  }),
  messagesSent: new Counter({
    name: "kestrel_gateway_messages_sent_total",
    help: "WebSocket messages sent to clients (replies, alerts, gap notices)",
    registers: [registry],
  }),
  errors: new Counter({
    name: "kestrel_gateway_errors_total",
    help: "Error replies sent, by error code",
    labelNames: ["reason"] as const,
    registers: [registry],
  }),
  authFailures: new Counter({
    name: "kestrel_gateway_auth_failures_total",
    help: "Connections refused or closed for authentication, by error code",
    labelNames: ["reason"] as const,
    registers: [registry],
  }),
  alertsSent: new Counter({
    name: "kestrel_gateway_alerts_sent_total",
    help: "Alert messages sent to subscribers (one per subscriber per alert)",
    registers: [registry],
  }),
  alertsDropped: new Counter({
    name: "kestrel_gateway_alerts_dropped_total",
    help: "Alert messages not sent because the subscriber's send buffer was past the bound",
    labelNames: ["reason"] as const,
    registers: [registry],
  }),
  alertLatency: new Histogram({
    name: "kestrel_gateway_alert_latency_seconds",
    help: "From the read's capture time to the alert's WebSocket send (last subscriber)",
    buckets: [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10],
    registers: [registry],
  }),
  queries: new Counter({
    name: "kestrel_gateway_queries_total",
    help: "Queries answered or refused, by purpose and outcome (ok or error code)",
    labelNames: ["purpose", "reason"] as const,
    registers: [registry],
  }),
  queryRecords: new Counter({
    name: "kestrel_gateway_query_records_total",
    help: "Records met by queries, by tier, purpose and outcome (returned or the reason withheld)",
    labelNames: ["tier", "purpose", "reason"] as const,
    registers: [registry],
  }),
};
