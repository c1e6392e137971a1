import type { HotlistEntry } from "../domain/index.js";
import { isPackablePlate, normalisePlate } from "./plate-key.js";

/** Highest (least urgent) priority number accepted; 0 is the most urgent. */
export const MAX_PRIORITY = 9;
export const DEFAULT_SECURITY_MARKING = "OFFICIAL";
const MAX_TEXT_CHARS = 2000;
const LIST_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** The fields an import line or an API caller may give; anything else is an error. */
export const ENTRY_FIELDS = [
  "plate",
  "category",
  "priority",
  "reason",
  "action",
  "warnings",
  "sourceRef",
  "expiresAt",
  "expiresAtMs",
  "securityMarking",
] as const;
const KNOWN = new Set<string>(ENTRY_FIELDS);

/** Why a line or entry was refused: a short code (a metric label) and a sentence for the operator. */
export interface EntryProblem {
  code: "plate" | "category" | "priority" | "text" | "warnings" | "expiry" | "field" | "syntax" | "duplicate";
  reason: string;
}

export type EntryResult = { ok: true; entry: HotlistEntry } | { ok: false; problem: EntryProblem };

export function isListName(name: string): boolean {
  return LIST_NAME.test(name);
}

const fail = (code: EntryProblem["code"], reason: string): EntryResult => ({
  ok: false,
  problem: { code, reason },
});

/**
 * Parses a weed date: an ISO 8601 date-time with a zone, or a date alone meaning the start of that day UTC.
 * Returns NaN when it is neither.
 */
export function parseExpiry(text: string): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return Date.parse(`${text}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text)) return Number.NaN;
  return Date.parse(text);
}

function text(value: unknown, field: string): string | EntryResult {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") return fail("text", `${field} must be a string`);
  if (value.length > MAX_TEXT_CHARS)
    return fail("text", `${field} is longer than ${MAX_TEXT_CHARS} characters`);
  return value;
}

/**
 * Validates one entry for `list` from loosely typed fields (a JSON object, or CSV columns as strings):
 * the plate is normalised (upper case, no spaces) and must be 1-10 of 0-9/A-Z; category is required;
 * priority is an integer 0..9; warnings an array of strings or a string split on ';' or '|'.
 */
export function validateEntry(list: string, raw: Record<string, unknown>): EntryResult {
  for (const key of Object.keys(raw)) {
    if (!KNOWN.has(key)) return fail("field", `unknown field "${key}"`);
  }
  if (typeof raw.plate !== "string" || raw.plate.trim() === "") return fail("plate", "plate is missing");
  const plate = normalisePlate(raw.plate);
  if (!isPackablePlate(plate)) {
    return fail("plate", `plate "${raw.plate}" is not 1-10 letters A-Z and digits 0-9`);
  }
  if (typeof raw.category !== "string" || raw.category.trim() === "") {
    return fail("category", "category is missing");
  }
  const priority =
    typeof raw.priority === "string" && raw.priority.trim() !== "" ? Number(raw.priority) : raw.priority;
  if (
    typeof priority !== "number" ||
    !Number.isInteger(priority) ||
    priority < 0 ||
    priority > MAX_PRIORITY
  ) {
    return fail("priority", `priority must be an integer 0..${MAX_PRIORITY} (0 is the highest)`);
  }
  const fields: Record<string, string> = {};
  for (const f of ["reason", "action", "sourceRef", "securityMarking"] as const) {
    const t = text(raw[f], f);
    if (typeof t !== "string") return t;
    fields[f] = t.trim();
  }
  let warnings: string[];
  if (raw.warnings === undefined || raw.warnings === null || raw.warnings === "") warnings = [];
  else if (typeof raw.warnings === "string") warnings = raw.warnings.split(/[;|]/);
  else if (Array.isArray(raw.warnings) && raw.warnings.every((w) => typeof w === "string")) {
    warnings = raw.warnings as string[];
  } else return fail("warnings", "warnings must be a list of strings");
  warnings = warnings.map((w) => w.trim()).filter((w) => w !== "");
  let expiresAtMs: number | undefined;
  if (raw.expiresAt !== undefined && raw.expiresAt !== null && raw.expiresAt !== "") {
    if (raw.expiresAtMs !== undefined) return fail("expiry", "give expiresAt or expiresAtMs, not both");
    const ms = typeof raw.expiresAt === "string" ? parseExpiry(raw.expiresAt.trim()) : Number.NaN;
    if (Number.isNaN(ms)) {
      return fail(
        "expiry",
        `expiresAt "${String(raw.expiresAt)}" is not an ISO 8601 date or date-time with zone`,
      );
    }
    expiresAtMs = ms;
  } else if (raw.expiresAtMs !== undefined && raw.expiresAtMs !== null && raw.expiresAtMs !== "") {
    const ms = typeof raw.expiresAtMs === "string" ? Number(raw.expiresAtMs) : raw.expiresAtMs;
    if (typeof ms !== "number" || !Number.isInteger(ms) || ms < 0) {
      return fail("expiry", "expiresAtMs must be milliseconds since the epoch");
    }
    expiresAtMs = ms;
  }
  const entry: HotlistEntry = {
    list,
    plate,
    category: raw.category.trim(),
    priority,
    reason: fields.reason!,
    action: fields.action!,
    warnings,
    sourceRef: fields.sourceRef!,
    securityMarking: fields.securityMarking || DEFAULT_SECURITY_MARKING,
  };
  if (expiresAtMs !== undefined) entry.expiresAtMs = expiresAtMs;
  return { ok: true, entry };
}

/** True when the entry's weed date has passed at `atMs`. */
export function isExpired(entry: HotlistEntry, atMs: number): boolean {
  return entry.expiresAtMs !== undefined && atMs >= entry.expiresAtMs;
}
