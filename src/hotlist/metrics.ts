import { Counter, Gauge } from "prom-client";
import { registry } from "../metrics/registry.js";

/** Hot-list metrics. Labels: list name, match kind, alert kind, reason: never a plate. */

export const hotlistEntries = new Gauge({
  name: "kestrel_hotlist_entries",
  help: "Entries in the hot-list's current revision (wasm table count)",
  labelNames: ["list"],
  registers: [registry],
});

export const hotlistRevision = new Gauge({
  name: "kestrel_hotlist_revision",
  help: "Current revision number of the hot-list",
  labelNames: ["list"],
  registers: [registry],
});

export const hotlistWasmBytes = new Gauge({
  name: "kestrel_hotlist_wasm_bytes",
  help: "WebAssembly memory held by the hot-list's table",
  labelNames: ["list"],
  registers: [registry],
});

export const hotlistLookups = new Counter({
  name: "kestrel_hotlist_lookups_total",
  help: "Plates (read plates and candidates) checked against the hot-list",
  labelNames: ["list"],
  registers: [registry],
});

export const hotlistHits = new Counter({
  name: "kestrel_hotlist_hits_total",
  help: "Confirmed hot-list hits by how they matched (exact, candidate, lookalike)",
  labelNames: ["list", "match_kind"],
  registers: [registry],
});

export const hotlistExpiredSkips = new Counter({
  name: "kestrel_hotlist_expired_skips_total",
  help: "Table hits not reported because the entry's weed date had passed",
  labelNames: ["list"],
  registers: [registry],
});

export const hotlistAlerts = new Counter({
  name: "kestrel_hotlist_alerts_total",
  help: "Alerts raised (live from reads as vehicles pass, past-read when an entry is added)",
  labelNames: ["list", "kind"],
  registers: [registry],
});

export const hotlistAlertSinkErrors = new Counter({
  name: "kestrel_hotlist_alert_sink_errors_total",
  help: "Alerts an alert sink threw on (the alert still went to the other sinks)",
  registers: [registry],
});

export const hotlistImportRejected = new Counter({
  name: "kestrel_hotlist_import_rejected_lines_total",
  help: "Import lines refused and skipped, by reason",
  labelNames: ["list", "reason"],
  registers: [registry],
});

export const hotlistRecentReadsDropped = new Counter({
  name: "kestrel_hotlist_recent_reads_dropped_total",
  help: "Final reads dropped from the past-read recheck ring (reason: window or capacity)",
  labelNames: ["reason"],
  registers: [registry],
});

export const hotlistPassesForgotten = new Counter({
  name: "kestrel_hotlist_alert_passes_evicted_total",
  help: "Vehicle passes evicted from the once-per-pass alert memory (bounded)",
  registers: [registry],
});
