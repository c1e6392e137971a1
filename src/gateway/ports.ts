import type { AuditEntry, AuditInput, AuditVerifyResult } from "../audit/audit-log.js";
import type { QuerySelector } from "./protocol.js";

/**
 * What the gateway needs from the parts it fronts. `readStorePort` (store-port.ts) adapts the real
 * ReadStore; the AuditLog (src/audit) fits AuditPort as it is. The gateway never reaches past these.
 */

/** A stored read as far as the gateway needs it. */
export interface GatewayRead {
  readId: string;
  passId: string;
  cameraId: string;
  plate: string;
  captureTimeMs: number;
  confidence: number;
  direction?: string;
  hasImage?: boolean;
}

/** A vehicle seen with the convoy target, and where and when (each sighting is one read). */
export interface GatewayConvoyCandidate {
  plate: string;
  sightings: {
    readId: string;
    cameraId: string;
    captureTimeMs: number;
    withReadId: string;
    deltaMs: number;
  }[];
}

export interface ReadQueryRequest {
  query: QuerySelector;
  /** Inclusive bounds. */
  fromMs: number;
  toMs: number;
  limit: number;
  cursor?: string;
}

export interface GatewayRef {
  readId: string;
  cameraId: string;
  captureTimeMs: number;
}

export interface ReadQueryPage {
  /** The reads found (empty for a convoy query). */
  reads: GatewayRead[];
  /** Convoy queries only: the target's own reads and the vehicles seen with it. */
  convoy?: { target: GatewayRef[]; candidates: GatewayConvoyCandidate[] };
  cursor?: string;
}

export interface ReadQueryPort {
  query(request: ReadQueryRequest): Promise<ReadQueryPage>;
  /** The read and its plate patch (PNG), or undefined if there is no such read or no image. */
  image(readId: string): Promise<{ read: GatewayRead; png: Uint8Array } | undefined>;
  /** Reasons the store cannot serve now (empty when ready). */
  notReadyReasons?(): string[];
}

/** The audit log as the gateway uses it (src/audit/audit-log.ts AuditLog fits as it is). */
export interface AuditPort {
  /** Resolves once the entry is committed and flushed: the gateway awaits it before replying. */
  append(input: AuditInput): Promise<unknown>;
  list?(options: { fromSeq?: number; limit?: number }): AuditEntry[];
  verify?(): AuditVerifyResult;
}
