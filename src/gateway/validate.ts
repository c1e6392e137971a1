import type { z } from "zod";
import { KestrelError } from "../errors/index.js";
import { type ClientMessage, MESSAGE_SCHEMAS, type RequestId } from "./protocol.js";

/**
 * Turns a frame into a checked client message or a KestrelError with a stable code. Error messages name
 * fields and rules only, never the values sent (which may be plates).
 */
export interface Parsed {
  id?: RequestId;
  message?: ClientMessage;
  error?: KestrelError;
}

export function parseMessage(text: string, maxBytes: number, byteLength: number): Parsed {
  if (byteLength > maxBytes) {
    return { error: new KestrelError("KESTREL_E_PROTO_OVERSIZE", `${byteLength} bytes, limit ${maxBytes}`) };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: new KestrelError("KESTREL_E_PROTO_JSON") };
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    return { error: new KestrelError("KESTREL_E_PROTO_FIELD", "message must be a JSON object") };
  }
  const obj = value as Record<string, unknown>;
  const id =
    (typeof obj.id === "string" && obj.id.length > 0 && obj.id.length <= 64) || Number.isInteger(obj.id)
      ? (obj.id as RequestId)
      : undefined;
  const type = obj.type;
  if (typeof type !== "string" || !Object.hasOwn(MESSAGE_SCHEMAS, type)) {
    return {
      id,
      error: new KestrelError(
        "KESTREL_E_PROTO_TYPE",
        typeof type === "string" ? "see docs/protocol.md" : "type missing",
      ),
    };
  }
  const schema = MESSAGE_SCHEMAS[type as keyof typeof MESSAGE_SCHEMAS] as z.ZodType;
  const parsed = schema.safeParse(obj);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String).join(".") || "(message)";
    return {
      id,
      error: new KestrelError("KESTREL_E_PROTO_FIELD", `${path}: ${describe(issue)}`, {
        details: { field: path },
      }),
    };
  }
  return { id, message: parsed.data as ClientMessage };
}

function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "unrecognized_keys":
      return `unknown field ${issue.keys.join(", ")}`;
    case "invalid_type":
      return `expected ${issue.expected}`;
    case "too_small":
      return "too small or too short";
    case "too_big":
      return "too large or too long";
    case "invalid_value":
      return "not one of the permitted values";
    case "invalid_union":
      return "does not match any permitted form";
    default:
      return "invalid";
  }
}

/** Earliest capture time a query may name: nothing Kestrel stores is older. */
export const EARLIEST_MS = Date.UTC(2000, 0, 1);
/** How far past now a window may reach (clock skew between cameras and the gateway). */
export const FUTURE_SLACK_MS = 86_400_000;

export function checkWindow(fromMs: number, toMs: number, nowMs: number): KestrelError | undefined {
  if (!(fromMs <= toMs)) return new KestrelError("KESTREL_E_PROTO_RANGE", "fromMs must not be after toMs");
  if (fromMs < EARLIEST_MS) return new KestrelError("KESTREL_E_PROTO_RANGE", "fromMs before 2000-01-01");
  if (toMs > nowMs + FUTURE_SLACK_MS)
    return new KestrelError("KESTREL_E_PROTO_RANGE", "toMs more than a day ahead");
  return undefined;
}

/**
 * Partial plates as witnesses give them: letters and digits, `?` for exactly one unknown character and
 * `*` for any run (possibly empty); spaces ignored. At least two known characters, at most 10 characters
 * besides `*`, and no `**`.
 */
export function normalisePattern(pattern: string): string | KestrelError {
  const p = pattern.replace(/\s+/g, "").toUpperCase();
  const bad = (why: string) => new KestrelError("KESTREL_E_PROTO_WILDCARD", why);
  if (!/^[A-Z0-9?*]+$/.test(p)) return bad("only letters, digits, ? and * are allowed");
  if (p.includes("**")) return bad("** is redundant");
  const known = p.replace(/[?*]/g, "").length;
  if (known < 2) return bad("at least two known characters");
  if (p.replace(/\*/g, "").length > 10) return bad("at most 10 characters besides *");
  return p;
}

export function normaliseVrm(plate: string): string | KestrelError {
  const p = plate.replace(/\s+/g, "").toUpperCase();
  if (!/^[A-Z0-9]{1,10}$/.test(p)) {
    return new KestrelError("KESTREL_E_PROTO_FIELD", "plate: 1-10 letters or digits", {
      details: { field: "plate" },
    });
  }
  return p;
}
