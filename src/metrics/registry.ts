import { collectDefaultMetrics, Registry } from "prom-client";

/**
 * The one Prometheus registry. Each part of Kestrel defines its own metrics next to its code (for example
 * src/store/metrics.ts) and registers them here; src/metrics serves the exposition.
 * Labels: camera id, list name, reason, tier, purpose only. Never a plate, a user or a camera location.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: "kestrel_" });
