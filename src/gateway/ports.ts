import type { QuerySelector } from "./protocol.js";

/**
 * What the gateway needs from the parts it fronts. The lead wires the real read store, audit log and
 * hot-list service in through these (see startGateway); the gateway never reaches past them.
 */

/** A stored read as far as the gateway needs it. */
export interface GatewayRead {
  passId: string;
  cameraId: string;
  plate: string;
  captureTimeMs: number;
  confidence: number;
  direction?: string;
  hasImage?: boolean;
}

export interface ReadQueryRequest {
  query: QuerySelector;
  fromMs: number;
  toMs: number;
  limit: number;
  cursor?: string;
}

export interface ReadQueryPage {
  reads: GatewayRead[];
  cursor?: string;
}

export interface ReadQueryPort {
  query(request: ReadQueryRequest): Promise<ReadQueryPage>;
  /** The read and its plate patch (PNG), or undefined if there is no such read or no image. */
  image(passId: string): Promise<{ read: GatewayRead; png: Uint8Array } | undefined>;
  /** Reasons the store cannot serve now (empty when ready). */
  notReadyReasons?(): string[];
}

/** One audited action. Written, and awaited, before the caller sees any result. */
export interface AuditRecord {
  atMs: number;
  actor: string;
  role: string;
  action: string;
  outcome: "ok" | "refused";
  /** Error code for refusals. */
  code?: string;
  purpose?: string;
  caseRef?: string;
  authorisationId?: string;
  details?: Record<string, unknown>;
}

export interface AuditPort {
  append(record: AuditRecord): Promise<void>;
  read?(fromSeq: number, limit: number): Promise<{ entries: unknown[]; next?: number }>;
  verify?(): Promise<{ ok: boolean; entries: number; brokenAt?: number }>;
  notReadyReasons?(): string[];
}
