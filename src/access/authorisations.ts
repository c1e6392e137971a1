import type { Purpose } from "../config/schema.js";
import { KestrelError } from "../errors/index.js";

/**
 * Authorisations: a senior officer's permission for one analyst to search older reads for one purpose and
 * case, limited to a scope (plates and/or a capture-time window) and an expiry. Pure functions here; the
 * records live in AccessStore.
 */
export interface AuthorisationScope {
  /** VRMs the authorisation covers; absent means any plate (then a window is required). */
  plates?: string[];
  /** Capture-time window the authorisation covers, both ends inclusive (as store queries are). */
  fromMs?: number;
  toMs?: number;
}

export type AuthorisationStatus = "pending" | "granted" | "refused";

export interface Authorisation {
  id: string;
  requestedBy: string;
  requestedAtMs: number;
  purpose: Purpose;
  caseRef: string;
  justification: string;
  scope: AuthorisationScope;
  expiresAtMs: number;
  status: AuthorisationStatus;
  decidedBy?: string;
  decidedAtMs?: number;
  decisionReason?: string;
}

export interface AuthorisationRequest {
  purpose: Purpose;
  caseRef: string;
  justification: string;
  scope: AuthorisationScope;
  expiresAtMs: number;
}

/** Longest an authorisation may run before it must be renewed. */
export const MAX_AUTHORISATION_MS = 90 * 86_400_000;

export function normalisePlate(plate: string): string {
  return plate.replace(/\s+/g, "").toUpperCase();
}

const VRM = /^[A-Z0-9]{1,10}$/;

/** Validates and normalises a request; throws KESTREL_E_PROTO_FIELD naming the field at fault. */
export function newAuthorisation(
  id: string,
  requestedBy: string,
  req: AuthorisationRequest,
  nowMs: number,
): Authorisation {
  const plates = req.scope.plates?.map(normalisePlate);
  if (plates && (plates.length === 0 || plates.some((p) => !VRM.test(p)))) {
    throw field("scope.plates", "each plate 1-10 letters or digits, at least one");
  }
  const { fromMs, toMs } = req.scope;
  if ((fromMs === undefined) !== (toMs === undefined)) throw field("scope", "give both fromMs and toMs");
  if (fromMs !== undefined && toMs !== undefined && !(fromMs < toMs)) throw field("scope", "fromMs < toMs");
  if (!plates && fromMs === undefined) throw field("scope", "give plates, a window or both");
  if (!(req.expiresAtMs > nowMs)) throw field("expiresAtMs", "must be in the future");
  if (req.expiresAtMs - nowMs > MAX_AUTHORISATION_MS) throw field("expiresAtMs", "at most 90 days ahead");
  const scope: AuthorisationScope = {};
  if (plates) scope.plates = [...new Set(plates)].sort();
  if (fromMs !== undefined && toMs !== undefined) {
    scope.fromMs = fromMs;
    scope.toMs = toMs;
  }
  return {
    id,
    requestedBy,
    requestedAtMs: nowMs,
    purpose: req.purpose,
    caseRef: req.caseRef,
    justification: req.justification,
    scope,
    expiresAtMs: req.expiresAtMs,
    status: "pending",
  };
}

/** A senior officer's decision. Nobody decides their own request, and a decision is final. */
export function decideAuthorisation(
  auth: Authorisation,
  decidedBy: string,
  decision: "granted" | "refused",
  reason: string,
  nowMs: number,
): Authorisation {
  if (auth.requestedBy === decidedBy) {
    throw new KestrelError("KESTREL_E_ACCESS_DENIED", "an officer cannot decide their own request");
  }
  if (auth.status !== "pending") {
    throw new KestrelError("KESTREL_E_ACCESS_AUTHORISATION", `already ${auth.status}`);
  }
  if (nowMs >= auth.expiresAtMs) throw new KestrelError("KESTREL_E_ACCESS_AUTHORISATION", "request expired");
  return { ...auth, status: decision, decidedBy, decidedAtMs: nowMs, decisionReason: reason };
}

export interface QueryFacts {
  user: string;
  purpose: Purpose;
  caseRef: string;
  /** The one plate a plate query names. */
  plate?: string;
  fromMs: number;
  toMs: number;
}

/**
 * Checks that an authorisation may be quoted by this query at all: granted, unexpired, the caller's own,
 * same purpose and case, and overlapping the query (a plate query for a plate outside the scope, or a
 * window that misses the scope's window, is a use outside scope). Returns the reason when it may not.
 */
export function authorisationRefusal(auth: Authorisation, q: QueryFacts, nowMs: number): string | undefined {
  if (auth.status !== "granted") return `authorisation is ${auth.status}`;
  if (nowMs >= auth.expiresAtMs) return "authorisation has expired";
  if (auth.requestedBy !== q.user) return "authorisation was issued to another user";
  if (auth.purpose !== q.purpose) return "query purpose differs from the authorisation's";
  if (auth.caseRef !== q.caseRef) return "query case reference differs from the authorisation's";
  const { plates, fromMs, toMs } = auth.scope;
  if (q.plate !== undefined && plates && !plates.includes(q.plate))
    return "plate is outside the authorisation's scope";
  if (fromMs !== undefined && toMs !== undefined && (q.toMs < fromMs || q.fromMs > toMs)) {
    return "time window is outside the authorisation's scope";
  }
  return undefined;
}

/** Whether one record lies inside the authorisation's scope. */
export function authorisationCovers(auth: Authorisation, plate: string, captureTimeMs: number): boolean {
  const { plates, fromMs, toMs } = auth.scope;
  if (plates && !plates.includes(plate)) return false;
  if (fromMs !== undefined && toMs !== undefined && (captureTimeMs < fromMs || captureTimeMs > toMs))
    return false;
  return true;
}

function field(path: string, why: string): KestrelError {
  return new KestrelError("KESTREL_E_PROTO_FIELD", `${path}: ${why}`, { details: { field: path } });
}
