import { z } from "zod";
import type { Authorisation } from "../access/authorisations.js";
import type { WithheldCount } from "../access/policy.js";
import { purposeSchema, type roleSchema } from "../config/schema.js";
import type { ErrorCode } from "../errors/index.js";

/**
 * The gateway's wire protocol, version 1 (docs/protocol.md). Every client message is a JSON object with a
 * request `id` (echoed in the reply) and a `type`. Replies carry the same id; pushed messages (alert, gap)
 * carry a per-connection sequence number instead.
 */
export const PROTOCOL = "kestrel.v1";
export const WS_PATH = "/v1/ws";

const id = z.union([z.string().min(1).max(64), z.int()]);
const timeMs = z.int();
const plate = z.string().min(1).max(16);
const caseRef = z.string().trim().min(1).max(64);

export const subscribeSchema = z.strictObject({
  id,
  type: z.literal("subscribe"),
  /** Hot-list names; absent means every list. */
  lists: z.array(z.string().min(1).max(64)).max(64).optional(),
  /** Alerts whose entry priority is at most this (0 is the highest priority); absent means all. */
  maxPriority: z.int().min(0).optional(),
  /** Camera ids; absent means every camera. */
  cameras: z.array(z.string().min(1).max(64)).max(1024).optional(),
});

export const unsubscribeSchema = z.strictObject({
  id,
  type: z.literal("unsubscribe"),
  subscriptionId: z.string(),
});

export const ackSchema = z.strictObject({
  id,
  type: z.literal("ack"),
  alertId: z.string().min(1).max(128),
  decision: z.enum(["accepted", "rejected"]),
  reason: z.string().max(500).optional(),
});

const querySelector = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("plate"), plate }),
  z.strictObject({ kind: z.literal("partial"), pattern: z.string().min(1).max(32) }),
  z.strictObject({ kind: z.literal("camera"), cameraId: z.string().min(1).max(64) }),
  z.strictObject({ kind: z.literal("window") }),
  z.strictObject({
    kind: z.literal("convoy"),
    plate,
    /** How close in time (either side) another vehicle must pass the same camera (default 60). */
    withinSeconds: z.int().min(1).max(3600).optional(),
    /** Distinct target passes a vehicle must share to count (default 2). */
    minOccasions: z.int().min(1).max(100).optional(),
  }),
]);
export type QuerySelector = z.infer<typeof querySelector>;

export const querySchema = z.strictObject({
  id,
  type: z.literal("query"),
  query: querySelector,
  fromMs: timeMs,
  toMs: timeMs,
  purpose: purposeSchema,
  caseRef,
  authorisationId: z.string().optional(),
  limit: z.int().min(1).max(1000).optional(),
  cursor: z.string().max(512).optional(),
});

export const imageSchema = z.strictObject({
  id,
  type: z.literal("image"),
  readId: z.string().min(1).max(64),
  purpose: purposeSchema,
  caseRef,
  authorisationId: z.string().optional(),
});

export const authorisationRequestSchema = z.strictObject({
  id,
  type: z.literal("authorisation.request"),
  purpose: purposeSchema,
  caseRef,
  justification: z.string().trim().min(1).max(2000),
  scope: z.strictObject({
    plates: z.array(plate).max(100).optional(),
    fromMs: timeMs.optional(),
    toMs: timeMs.optional(),
  }),
  expiresAtMs: timeMs,
});

export const authorisationDecideSchema = z.strictObject({
  id,
  type: z.literal("authorisation.decide"),
  authorisationId: z.string(),
  decision: z.enum(["granted", "refused"]),
  reason: z.string().trim().min(1).max(2000),
});

export const authorisationListSchema = z.strictObject({ id, type: z.literal("authorisation.list") });

export const auditReadSchema = z.strictObject({
  id,
  type: z.literal("audit.read"),
  fromSeq: z.int().min(0).optional(),
  limit: z.int().min(1).max(1000).optional(),
});

export const auditVerifySchema = z.strictObject({ id, type: z.literal("audit.verify") });

export const pingSchema = z.strictObject({ id, type: z.literal("ping") });

export const MESSAGE_SCHEMAS = {
  subscribe: subscribeSchema,
  unsubscribe: unsubscribeSchema,
  ack: ackSchema,
  query: querySchema,
  image: imageSchema,
  "authorisation.request": authorisationRequestSchema,
  "authorisation.decide": authorisationDecideSchema,
  "authorisation.list": authorisationListSchema,
  "audit.read": auditReadSchema,
  "audit.verify": auditVerifySchema,
  ping: pingSchema,
} as const;

export type ClientMessageType = keyof typeof MESSAGE_SCHEMAS;
export type ClientMessage = {
  [K in ClientMessageType]: z.infer<(typeof MESSAGE_SCHEMAS)[K]>;
}[ClientMessageType];
export type RequestId = z.infer<typeof id>;

// ---- server → client

export interface WelcomeMessage {
  type: "welcome";
  protocol: typeof PROTOCOL;
  user: string;
  role: z.infer<typeof roleSchema>;
  trained: boolean;
  limits: { maxMessageBytes: number; rateLimitPerMinute: number };
}

export interface ErrorMessage {
  type: "error";
  id?: RequestId;
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** The alert as sent to a subscriber. cameraLocation only for roles in access.locationRoles. */
export interface WireAlert {
  alertId: string;
  kind: "live" | "past-read";
  passId: string;
  cameraId: string;
  cameraLocation?: string;
  captureTimeMs: number;
  raisedAtMs: number;
  plate: string;
  confidence: number;
  matchKind: string;
  matchedPlate: string;
  entry: {
    list: string;
    plate: string;
    category: string;
    priority: number;
    reason: string;
    action: string;
    warnings: string[];
    sourceRef: string;
    securityMarking: string;
  };
  /** Plate patch image, PNG, base64. */
  patchBase64?: string;
}

export interface AlertMessage {
  type: "alert";
  /** Per-connection sequence number: consecutive alerts for this connection differ by one. */
  seq: number;
  alert: WireAlert;
}

/** Alerts fromSeq..toSeq (inclusive) were dropped because this connection could not keep up. */
export interface GapMessage {
  type: "gap";
  fromSeq: number;
  toSeq: number;
  count: number;
}

/** A read as returned by a query. cameraLocation only for roles in access.locationRoles. */
export interface WireRead {
  /** The store's id for the read: quote it to fetch the image. */
  readId: string;
  passId: string;
  cameraId: string;
  cameraLocation?: string;
  plate: string;
  captureTimeMs: number;
  confidence: number;
  direction?: string;
  /** The access tier the read fell in when the query ran. */
  tier: string;
  hasImage?: boolean;
}

/** A read named only by where and when (convoy targets and sightings). */
export interface WireRef {
  readId: string;
  cameraId: string;
  cameraLocation?: string;
  captureTimeMs: number;
  tier: string;
}

export interface WireConvoy {
  /** The target vehicle's reads in the window that the caller may see. */
  target: WireRef[];
  /** Vehicles seen with the target, most shared passes first; only sightings the caller may see. */
  candidates: {
    plate: string;
    occasions: number;
    sightings: (WireRef & { withReadId: string; deltaMs: number })[];
  }[];
}

export interface ResultMessage {
  type: "result";
  id: RequestId;
  queryId: string;
  /** Reads found (empty for convoy queries, which fill `convoy`). */
  reads: WireRead[];
  convoy?: WireConvoy;
  /** What was withheld from this page, per tier and reason. */
  withheld: WithheldCount[];
  /** Present when more pages follow: send the same query with this cursor. */
  cursor?: string;
}

export interface ImageMessage {
  type: "image";
  id: RequestId;
  readId: string;
  tier: string;
  mediaType: "image/png";
  dataBase64: string;
}

export interface SubscribedMessage {
  type: "subscribed";
  id: RequestId;
  subscriptionId: string;
}

export interface OkMessage {
  type: "ok";
  id: RequestId;
}

export interface AuthorisationMessage {
  type: "authorisation";
  id: RequestId;
  authorisation: Authorisation;
}

export interface AuthorisationListMessage {
  type: "authorisations";
  id: RequestId;
  authorisations: Authorisation[];
}

export interface AuditEntriesMessage {
  type: "audit";
  id: RequestId;
  entries: unknown[];
  next?: number;
}

export interface AuditVerifyMessage {
  type: "audit.verified";
  id: RequestId;
  ok: boolean;
  entries: number;
  brokenAt?: number;
}

export interface PongMessage {
  type: "pong";
  id: RequestId;
  nowMs: number;
}

export type ReplyMessage =
  | ErrorMessage
  | ResultMessage
  | ImageMessage
  | SubscribedMessage
  | OkMessage
  | AuthorisationMessage
  | AuthorisationListMessage
  | AuditEntriesMessage
  | AuditVerifyMessage
  | PongMessage;

export type ServerMessage = WelcomeMessage | AlertMessage | GapMessage | ReplyMessage;

/** WebSocket close codes the gateway uses (4000-4999 is the application range). */
export const CLOSE = {
  /** Token expired while the connection was open. */
  expired: 4401,
  /** Token revoked or user disabled. */
  revoked: 4403,
  /** Gateway shutting down. */
  shutdown: 1001,
} as const;
