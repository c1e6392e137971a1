import { Counter, Gauge, Histogram } from "prom-client";
import { registry } from "../metrics/registry.js";

/** The store's metrics. Labels: `reason` only (never a plate, a user or a camera location). */

export const storeWriteLatency = new Histogram({
  name: "kestrel_store_write_latency_seconds",
  help: "Time from a read entering the store's write queue to its transaction being committed and flushed",
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const storeBatchReads = new Histogram({
  name: "kestrel_store_batch_reads",
  help: "Reads committed per write transaction",
  buckets: [1, 10, 100, 500, 1000, 2500, 5000, 10000],
  registers: [registry],
});

export const storeQueueDepth = new Gauge({
  name: "kestrel_store_queue_depth",
  help: "Reads waiting in the store's write queue or in the transaction being committed",
  registers: [registry],
});

export const storeReadsStored = new Counter({
  name: "kestrel_store_reads_stored_total",
  help: "Reads committed to the store",
  registers: [registry],
});

export const storeReadsRefused = new Counter({
  name: "kestrel_store_reads_refused_total",
  help: "Reads the store refused, by reason (backpressure, full, closed, invalid, commit_failed)",
  labelNames: ["reason"],
  registers: [registry],
});

export const storeFull = new Gauge({
  name: "kestrel_store_full",
  help: "1 while intake is stopped because the map size limit or the disk is (nearly) full",
  registers: [registry],
});

export const storeDatabaseBytes = new Gauge({
  name: "kestrel_store_database_bytes",
  help: "High-water size of the LMDB environment (pages in use or on the free list)",
  registers: [registry],
});

export const storeMapLimitBytes = new Gauge({
  name: "kestrel_store_map_limit_bytes",
  help: "Configured size limit of the LMDB environment (store.mapSizeGiB)",
  registers: [registry],
});

export const storePurgedReads = new Counter({
  name: "kestrel_store_purged_reads_total",
  help: "Reads deleted by the retention purge",
  registers: [registry],
});

export const storePurgedImages = new Counter({
  name: "kestrel_store_purged_images_total",
  help: "Plate patch images deleted by the retention purge",
  registers: [registry],
});

export const storePurgeHeld = new Gauge({
  name: "kestrel_store_purge_held_reads",
  help: "Reads past retention kept by a legal hold, as of the last purge",
  registers: [registry],
});

export const auditEntries = new Counter({
  name: "kestrel_audit_entries_total",
  help: "Entries appended to the audit log",
  registers: [registry],
});

export const auditWriteFailures = new Counter({
  name: "kestrel_audit_write_failures_total",
  help: "Audit appends that failed (the action they record must then be refused)",
  registers: [registry],
});
