/** Vehicles of interest and the alerts they raise (DOMAIN.md, "Hot-lists"). */

export interface HotlistEntry {
  list: string;
  plate: string;
  /** stolen, wanted, no-insurance, intelligence, counter-terrorism, ... */
  category: string;
  /** 0 is the highest priority. */
  priority: number;
  reason: string;
  action: string;
  warnings: string[];
  sourceRef: string;
  /** Weed date: the entry stops matching at this instant (ms since epoch UTC); undefined never expires. */
  expiresAtMs?: number;
  securityMarking: string;
}

/** How a read matched: its own plate, one of the recogniser's alternatives, or a look-alike substitution. */
export type MatchKind = "exact" | "candidate" | "lookalike";

export interface HotlistHit {
  entry: HotlistEntry;
  matchKind: MatchKind;
  /** The plate string that was found in the list. */
  matchedPlate: string;
  /** Character substitutions applied for a look-alike match (0 otherwise). */
  substitutions: number;
}

export interface Alert {
  alertId: string;
  /** live: raised from a provisional read as the vehicle passes; past-read: found when an entry was added. */
  kind: "live" | "past-read";
  passId: string;
  cameraId: string;
  captureTimeMs: number;
  /** The plate as read. */
  plate: string;
  confidence: number;
  hit: HotlistHit;
  patch?: Uint8Array;
  raisedAtMs: number;
}

export interface AlertSink {
  readonly name: string;
  alert(alert: Alert): void;
}
