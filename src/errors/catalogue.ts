/**
 * The one catalogue of Kestrel errors. Every error the product raises or sends over the wire carries a
 * stable code from here, a human message and, where there is one, the underlying cause.
 * Codes never change meaning once published; add new ones at the end of their area.
 */
export const ERRORS = {
  // configuration
  KESTREL_E_CONFIG_NOT_FOUND: "configuration file not found",
  KESTREL_E_CONFIG_PARSE: "configuration file is not valid YAML or JSON",
  KESTREL_E_CONFIG_INVALID: "configuration failed validation",
  KESTREL_E_CONFIG_ENV: "environment override is invalid",
  // toolchain and environment
  KESTREL_E_FFMPEG_NOT_FOUND: "no ffmpeg binary could be found",
  KESTREL_E_FFMPEG_FAILED: "ffmpeg failed",
  KESTREL_E_UWS_FALLBACK: "uWebSockets.js fell back to its JavaScript implementation",
  KESTREL_E_WASM_LOAD: "WebAssembly module could not be loaded",
  // input
  KESTREL_E_INPUT_UNREADABLE: "input file cannot be read",
  KESTREL_E_INPUT_NOT_IMAGE: "input is not a decodable image or video",
  KESTREL_E_INPUT_EMPTY: "input file is empty",
  KESTREL_E_INPUT_INVALID: "input is invalid",
  // hot-lists
  KESTREL_E_HOTLIST_LINE: "hot-list line is invalid",
  KESTREL_E_HOTLIST_UNKNOWN: "hot-list does not exist",
  KESTREL_E_HOTLIST_FULL: "hot-list capacity exceeded",
  // store
  KESTREL_E_STORE_FULL: "store is full: intake stopped",
  KESTREL_E_STORE_CLOSED: "store is closed",
  KESTREL_E_STORE_BACKPRESSURE: "store write queue is full",
  KESTREL_E_STORE_QUERY: "store query is invalid",
  KESTREL_E_STORE_FORMAT: "store data directory holds an older, unreadable record format",
  KESTREL_E_AUDIT_BROKEN: "audit chain is broken",
  KESTREL_E_AUDIT_WRITE: "audit entry could not be written",
  // access and gateway
  KESTREL_E_AUTH_MISSING: "no bearer token presented",
  KESTREL_E_AUTH_INVALID: "token is invalid, forged or expired",
  KESTREL_E_AUTH_REVOKED: "token has been revoked or the user disabled",
  KESTREL_E_ACCESS_DENIED: "role does not permit this action",
  KESTREL_E_ACCESS_PURPOSE: "purpose or case reference missing or not permitted",
  KESTREL_E_ACCESS_AUTHORISATION: "authorisation missing, invalid, expired or out of scope",
  KESTREL_E_PROTO_JSON: "message is not valid JSON",
  KESTREL_E_PROTO_TYPE: "unknown message type",
  KESTREL_E_PROTO_FIELD: "message field is missing or invalid",
  KESTREL_E_PROTO_OVERSIZE: "message exceeds the size limit",
  KESTREL_E_PROTO_RATE: "rate limit exceeded",
  // synthetic material
  KESTREL_E_SYNTH_OPTION: "synth option is invalid",
  KESTREL_E_PROTO_NOT_FOUND: "no such subscription, alert, authorisation or record",
  KESTREL_E_PROTO_RANGE: "time window is out of range",
  KESTREL_E_PROTO_WILDCARD: "partial plate pattern is invalid",
  KESTREL_E_USER_INVALID: "user name is invalid",
  KESTREL_E_USER_EXISTS: "user already exists",
  KESTREL_E_USER_UNKNOWN: "no such user",
  KESTREL_E_AUTH_UNKNOWN_TOKEN: "no such token",
  KESTREL_E_GATEWAY_UNAVAILABLE: "the gateway cannot serve this request now",
  KESTREL_E_INTERNAL: "internal error",
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class KestrelError extends Error {
  readonly code: ErrorCode;
  /** Extra structured facts (file, field path, line number) safe to show the caller. */
  readonly details: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    detail?: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(detail ? `${ERRORS[code]}: ${detail}` : ERRORS[code], { cause: options?.cause });
    this.name = "KestrelError";
    this.code = code;
    this.details = options?.details ?? {};
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return Object.keys(this.details).length > 0
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

export function isKestrelError(e: unknown, code?: ErrorCode): e is KestrelError {
  return e instanceof KestrelError && (code === undefined || e.code === code);
}
