import { z } from "zod";

/**
 * The configuration schema. Every object is strict: an unknown field is an error, so a typo in a field
 * name stops start-up instead of being silently ignored. Defaults run the demo with no file at all.
 */

const roi = z.tuple([z.int().min(0), z.int().min(0), z.int().positive(), z.int().positive()]);

export const cameraSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "camera id: 1-64 letters, digits, '_' or '-'"),
  url: z
    .string()
    .min(1)
    .refine((u) => /^(rtsps?|https?|tcp|udp|file):\/\//.test(u) || !/^[a-z]+:\/\//i.test(u), {
      message: "url scheme must be file, rtsp, rtsps, http, https, tcp or udp",
    }),
  fps: z.number().positive().max(120).optional(),
  roi: roi.optional(),
  direction: z.enum(["towards", "away"]).default("towards"),
  /** Confidential: shown only to roles that need it, never in logs, metrics or alerts to consumers. */
  location: z.string().optional(),
  enabled: z.boolean().default(true),
  /** Input loops (demo files only). */
  loop: z.boolean().default(false),
});

export const hotlistSourceSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  file: z.string().optional(),
  lookalike: z.boolean().default(false),
  maxSubstitutions: z.int().min(1).max(2).default(1),
});

export const purposeSchema = z.enum(["priority", "volume", "serious", "major", "counter-terrorism", "other"]);
export type Purpose = z.infer<typeof purposeSchema>;

export const roleSchema = z.enum(["consumer", "analyst", "senior", "auditor", "admin"]);
export type Role = z.infer<typeof roleSchema>;

const tierSchema = z.strictObject({
  name: z.string(),
  /** The tier covers reads younger than this many days (and older than the previous tier). */
  maxAgeDays: z.number().positive(),
  purposes: z.array(purposeSchema).min(1),
  requiresAuthorisation: z.boolean(),
});

export const configSchema = z.strictObject({
  cameras: z.array(cameraSchema).default([]),
  /** When no cameras are configured, generate and serve synthetic demo cameras. */
  demo: z
    .strictObject({
      enabled: z.boolean().default(true),
      cameras: z.int().min(1).max(16).default(3),
      cacheDir: z.string().default(".cache/demo"),
      seed: z.int().min(0).default(7001),
    })
    .prefault({}),
  recognition: z
    .strictObject({
      region: z.enum(["gb", "any"]).default("gb"),
      topCandidates: z.int().min(1).max(20).default(5),
      workers: z.int().min(0).max(64).default(0),
      minConfidence: z.number().min(0).max(1).default(0.6),
      provisionalConfidence: z.number().min(0).max(1).default(0.8),
      stallTimeoutMs: z.int().positive().default(10_000),
      queueFramesPerCamera: z.int().min(1).max(64).default(2),
    })
    .prefault({}),
  hotlists: z
    .strictObject({
      lists: z.array(hotlistSourceSchema).default([]),
      /** Lists larger than this have look-alike matching forced off. */
      lookalikeMaxEntries: z.int().positive().default(1_000_000),
      recheckWindowMinutes: z.int().min(0).default(60),
      capacity: z.int().positive().default(1_000_000),
    })
    .prefault({}),
  store: z
    .strictObject({
      dataDir: z.string().default("./data"),
      retentionDays: z.number().positive().max(3650).default(730),
      mapSizeGiB: z.number().positive().default(64),
      writeQueueMax: z.int().positive().default(50_000),
      batchMaxReads: z.int().positive().default(5_000),
      batchMaxDelayMs: z.int().min(0).default(20),
      purgeIntervalMs: z.int().positive().default(60_000),
    })
    .prefault({}),
  access: z
    .strictObject({
      tiers: z
        .array(tierSchema)
        .min(1)
        .default([
          { name: "standard", maxAgeDays: 90, purposes: purposeSchema.options, requiresAuthorisation: false },
          {
            name: "extended",
            maxAgeDays: 365,
            purposes: ["priority", "volume", "serious", "major", "counter-terrorism"],
            requiresAuthorisation: true,
          },
          {
            name: "restricted",
            maxAgeDays: 730,
            purposes: ["major", "counter-terrorism"],
            requiresAuthorisation: true,
          },
        ]),
      /** Roles that may see camera locations. */
      locationRoles: z.array(roleSchema).default(["analyst", "senior", "auditor", "admin"]),
    })
    .prefault({}),
  gateway: z
    .strictObject({
      host: z.string().default("127.0.0.1"),
      port: z.int().min(0).max(65535).default(8080),
      tls: z.strictObject({ keyFile: z.string(), certFile: z.string() }).optional(),
      /** File holding the token-signing secret; created with a random secret if absent. */
      secretFile: z.string().optional(),
      maxMessageBytes: z
        .int()
        .positive()
        .default(64 * 1024),
      maxBackpressureBytes: z
        .int()
        .positive()
        .default(1024 * 1024),
      rateLimitPerMinute: z.int().positive().default(600),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      enabled: z.boolean().default(true),
      host: z.string().default("127.0.0.1"),
      port: z.int().min(0).max(65535).default(9464),
    })
    .prefault({}),
  log: z
    .strictObject({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info") })
    .prefault({}),
});

export type KestrelConfig = z.infer<typeof configSchema>;
export type CameraConfig = z.infer<typeof cameraSchema>;
export type HotlistSourceConfig = z.infer<typeof hotlistSourceSchema>;
export type AccessTier = z.infer<typeof tierSchema>;
