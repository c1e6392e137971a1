import { randomBytes, randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { errors, jwtVerify, SignJWT } from "jose";
import type { KestrelConfig } from "../config/schema.js";
import { KestrelError } from "../errors/index.js";
import type { AccessStore, TokenRecord, User } from "./access-store.js";

/**
 * Bearer tokens: HS256 JWTs signed with a secret kept in a 0600 file, carrying the user name (sub), a
 * token id (jti) and an expiry. A token grants nothing by itself: every check also reads the user (role,
 * training, disabled) and the token's record (revoked) from AccessStore, so changes take effect at once.
 */
const ISSUER = "kestrel";
const AUDIENCE = "kestrel-gateway";

export function secretPath(config: KestrelConfig): string {
  return config.gateway.secretFile ?? join(config.store.dataDir, "token-secret");
}

/** Reads the signing secret, creating a random one (mode 0600) if the file does not exist. */
export function loadOrCreateSecret(path: string): Uint8Array {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, randomBytes(32).toString("base64"), { mode: 0o600, flag: "wx" });
    chmodSync(path, 0o600);
  }
  const text = readFileSync(path, "utf8").trim();
  const secret = Buffer.from(text, "base64");
  if (secret.length < 32) {
    throw new KestrelError(
      "KESTREL_E_CONFIG_INVALID",
      `${path}: token secret must be at least 32 bytes (base64)`,
      {
        details: { file: path },
      },
    );
  }
  return new Uint8Array(secret);
}

/** Parses durations such as 8h, 30m, 45s, 2d, 1500ms. */
export function parseDurationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new KestrelError("KESTREL_E_INPUT_INVALID", `duration "${text}": use e.g. 8h, 30m, 2d`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    m[2] as "ms" | "s" | "m" | "h" | "d"
  ];
  return Math.round(Number(m[1]) * unit);
}

export interface IssuedToken {
  token: string;
  record: TokenRecord;
}

export async function issueToken(
  access: AccessStore,
  secret: Uint8Array,
  userName: string,
  ttlMs: number,
  nowMs = Date.now(),
): Promise<IssuedToken> {
  const user = access.getUser(userName);
  if (!user) throw new KestrelError("KESTREL_E_USER_UNKNOWN", userName, { details: { name: userName } });
  if (user.disabled) throw new KestrelError("KESTREL_E_AUTH_REVOKED", "user is disabled");
  if (!(ttlMs > 0)) throw new KestrelError("KESTREL_E_INPUT_INVALID", "ttl must be positive");
  const jti = randomUUID();
  const iat = Math.floor(nowMs / 1000);
  const exp = Math.floor((nowMs + ttlMs) / 1000);
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(userName)
    .setJti(jti)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(secret);
  const record: TokenRecord = { jti, user: userName, issuedAtMs: iat * 1000, expiresAtMs: exp * 1000 };
  access.recordToken(record);
  return { token, record };
}

export interface Identity {
  user: User;
  jti: string;
  expiresAtMs: number;
}

/**
 * Verifies a token and the state behind it. Throws KESTREL_E_AUTH_INVALID (forged, malformed, expired,
 * unknown) or KESTREL_E_AUTH_REVOKED (token revoked, user disabled). Messages never echo the token.
 */
export async function verifyToken(
  access: AccessStore,
  secret: Uint8Array,
  token: string,
  nowMs = Date.now(),
): Promise<Identity> {
  let sub: string | undefined;
  let jti: string | undefined;
  let exp: number | undefined;
  try {
    const { payload } = await jwtVerify(token, secret, {
      algorithms: ["HS256"],
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: new Date(nowMs),
      clockTolerance: 0,
    });
    sub = payload.sub;
    jti = payload.jti;
    exp = payload.exp;
  } catch (cause) {
    const why = cause instanceof errors.JWTExpired ? "token expired" : "token signature or claims invalid";
    throw new KestrelError("KESTREL_E_AUTH_INVALID", why, { cause });
  }
  if (!sub || !jti || exp === undefined)
    throw new KestrelError("KESTREL_E_AUTH_INVALID", "token lacks claims");
  return checkIdentity(access, sub, jti, exp * 1000, nowMs);
}

/** The state checks alone; the gateway re-runs them on open connections whenever access data changes. */
export function checkIdentity(
  access: AccessStore,
  userName: string,
  jti: string,
  expiresAtMs: number,
  nowMs = Date.now(),
): Identity {
  if (nowMs >= expiresAtMs) throw new KestrelError("KESTREL_E_AUTH_INVALID", "token expired");
  const record = access.getToken(jti);
  if (!record || record.user !== userName)
    throw new KestrelError("KESTREL_E_AUTH_INVALID", "token not issued here");
  if (record.revokedAtMs !== undefined) throw new KestrelError("KESTREL_E_AUTH_REVOKED", "token revoked");
  const user = access.getUser(userName);
  if (!user) throw new KestrelError("KESTREL_E_AUTH_INVALID", "token not issued here");
  if (user.disabled) throw new KestrelError("KESTREL_E_AUTH_REVOKED", "user disabled");
  return { user, jti, expiresAtMs };
}
