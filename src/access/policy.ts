import type { AccessTier, Purpose } from "../config/schema.js";
import { type Authorisation, authorisationCovers } from "./authorisations.js";

/**
 * The tiered access policy (DOMAIN.md, "Access policy"), as pure functions. A record's tier comes from its
 * age at query time: tier i holds reads younger than tiers[i].maxAgeDays and at least as old as the tier
 * before it. Reads older than the last tier are beyond retention and shown to nobody.
 */
export const DAY_MS = 86_400_000;
export const BEYOND_RETENTION = "beyond-retention";

export type WithheldReason =
  /** Older than every tier: nobody may see it. */
  | "beyond-retention"
  /** The query's purpose is not in the tier's permitted set. */
  | "purpose-not-permitted"
  /** The tier needs an authorisation and the query quoted none. */
  | "authorisation-required"
  /** The quoted authorisation does not cover this record's plate or time. */
  | "outside-authorisation-scope"
  /** Convoy sightings: the target read it accompanies was withheld, so the pairing is too. */
  | "target-withheld";

export type RecordDecision =
  | { visible: true; tier: string }
  | { visible: false; tier: string; reason: WithheldReason };

export interface PolicyContext {
  nowMs: number;
  /** Tiers in order of increasing maxAgeDays (configuration order is checked at start). */
  tiers: readonly AccessTier[];
  purpose: Purpose;
  /** An authorisation already checked usable for this query (authorisationRefusal returned nothing). */
  authorisation?: Authorisation;
}

/** Index of the tier a read of this age falls in, or -1 beyond retention. Future reads count as age 0. */
export function tierIndex(ageMs: number, tiers: readonly AccessTier[]): number {
  const age = Math.max(0, ageMs);
  for (let i = 0; i < tiers.length; i++) if (age < tiers[i]!.maxAgeDays * DAY_MS) return i;
  return -1;
}

export function tierName(captureTimeMs: number, nowMs: number, tiers: readonly AccessTier[]): string {
  const i = tierIndex(nowMs - captureTimeMs, tiers);
  return i < 0 ? BEYOND_RETENTION : tiers[i]!.name;
}

/** Decides one record. The caller's role and training are checked before any record is looked at. */
export function decideRecord(plate: string, captureTimeMs: number, ctx: PolicyContext): RecordDecision {
  const i = tierIndex(ctx.nowMs - captureTimeMs, ctx.tiers);
  if (i < 0) return { visible: false, tier: BEYOND_RETENTION, reason: "beyond-retention" };
  const tier = ctx.tiers[i]!;
  if (!tier.purposes.includes(ctx.purpose))
    return { visible: false, tier: tier.name, reason: "purpose-not-permitted" };
  if (tier.requiresAuthorisation) {
    if (!ctx.authorisation) return { visible: false, tier: tier.name, reason: "authorisation-required" };
    if (!authorisationCovers(ctx.authorisation, plate, captureTimeMs)) {
      return { visible: false, tier: tier.name, reason: "outside-authorisation-scope" };
    }
  }
  return { visible: true, tier: tier.name };
}

export interface WithheldCount {
  tier: string;
  reason: WithheldReason;
  count: number;
}

/** Tallies withheld records by tier and reason, for the "what was withheld and why" part of a result. */
export class WithheldTally {
  private readonly counts = new Map<string, WithheldCount>();
  readonly visibleByTier = new Map<string, number>();

  add(d: RecordDecision): void {
    if (d.visible) {
      this.visibleByTier.set(d.tier, (this.visibleByTier.get(d.tier) ?? 0) + 1);
      return;
    }
    const key = `${d.tier}\u0000${d.reason}`;
    const c = this.counts.get(key);
    if (c) c.count++;
    else this.counts.set(key, { tier: d.tier, reason: d.reason, count: 1 });
  }

  list(): WithheldCount[] {
    return [...this.counts.values()];
  }
}

/** Tiers must widen with age; a misordered list would make a tier unreachable. */
export function checkTiers(tiers: readonly AccessTier[]): string | undefined {
  for (let i = 1; i < tiers.length; i++) {
    if (!(tiers[i]!.maxAgeDays > tiers[i - 1]!.maxAgeDays))
      return `access.tiers[${i}].maxAgeDays must exceed the tier before`;
  }
  return undefined;
}
