import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import {
  AccessStore,
  authorisationRefusal,
  DAY_MS,
  decideAuthorisation,
  decideRecord,
  issueToken,
  loadOrCreateSecret,
  newAuthorisation,
  parseDurationMs,
  tierIndex,
  verifyToken,
  WithheldTally,
} from "../src/access/index.js";
import { loadConfig } from "../src/config/index.js";
import type { Purpose } from "../src/config/schema.js";
import { KestrelError } from "../src/errors/index.js";
import { openEnvironment } from "../src/store/environment.js";

const tiers = loadConfig({ env: {} }).access.tiers;
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const ALL: Purpose[] = ["priority", "volume", "serious", "major", "counter-terrorism", "other"];

const dir = mkdtempSync(join(tmpdir(), "kestrel-access-"));
const env = openEnvironment({ dataDir: dir, mapSizeGiB: 1 });
const access = new AccessStore(env);
afterAll(() => env.close());

async function failure(p: Promise<unknown> | (() => unknown)): Promise<KestrelError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    if (err instanceof KestrelError) return err;
    throw err;
  }
  throw new Error("expected a KestrelError");
}

function granted(scope: { plates?: string[]; fromMs?: number; toMs?: number }, purpose: Purpose = "major") {
  const a = newAuthorisation(
    "a1",
    "ana",
    { purpose, caseRef: "OP-1", justification: "j", scope, expiresAtMs: NOW + DAY_MS },
    NOW,
  );
  return decideAuthorisation(a, "sen", "granted", "ok", NOW);
}

describe("tiers", () => {
  it("puts a read in the tier for its age, one second either side of each boundary", () => {
    for (const [i, t] of tiers.entries()) {
      const edge = t.maxAgeDays * DAY_MS;
      expect(tierIndex(edge - 1000, tiers)).toBe(i);
      expect(tierIndex(edge + 1000, tiers)).toBe(i + 1 < tiers.length ? i + 1 : -1);
    }
    expect(tierIndex(-5000, tiers)).toBe(0);
  });

  it("shows standard-tier reads for every purpose without an authorisation", () => {
    for (const purpose of ALL) {
      expect(decideRecord("AB12CDE", NOW - 10 * DAY_MS, { nowMs: NOW, tiers, purpose })).toEqual({
        visible: true,
        tier: "standard",
      });
    }
  });

  it("needs the purpose set and an authorisation for the extended tier", () => {
    const t = NOW - 200 * DAY_MS;
    expect(decideRecord("AB12CDE", t, { nowMs: NOW, tiers, purpose: "other" })).toEqual({
      visible: false,
      tier: "extended",
      reason: "purpose-not-permitted",
    });
    for (const purpose of ["priority", "volume", "serious", "major", "counter-terrorism"] as Purpose[]) {
      expect(decideRecord("AB12CDE", t, { nowMs: NOW, tiers, purpose })).toEqual({
        visible: false,
        tier: "extended",
        reason: "authorisation-required",
      });
      const authorisation = granted({ plates: ["AB12CDE"] }, purpose);
      expect(decideRecord("AB12CDE", t, { nowMs: NOW, tiers, purpose, authorisation }).visible).toBe(true);
      expect(decideRecord("XY99ZZZ", t, { nowMs: NOW, tiers, purpose, authorisation })).toEqual({
        visible: false,
        tier: "extended",
        reason: "outside-authorisation-scope",
      });
    }
  });

  it("limits the restricted tier to major and counter-terrorism, and shows nothing beyond it", () => {
    const t = NOW - 500 * DAY_MS;
    for (const purpose of ALL) {
      const authorisation = granted({ plates: ["AB12CDE"] }, purpose);
      const d = decideRecord("AB12CDE", t, { nowMs: NOW, tiers, purpose, authorisation });
      expect(d.visible).toBe(purpose === "major" || purpose === "counter-terrorism");
      const old = decideRecord("AB12CDE", NOW - 731 * DAY_MS, { nowMs: NOW, tiers, purpose, authorisation });
      expect(old).toEqual({ visible: false, tier: "beyond-retention", reason: "beyond-retention" });
    }
  });

  it("tallies withheld records by tier and reason", () => {
    const tally = new WithheldTally();
    const ctx = { nowMs: NOW, tiers, purpose: "volume" as Purpose };
    for (const days of [1, 2, 100, 120, 400, 800])
      tally.add(decideRecord("AB12CDE", NOW - days * DAY_MS, ctx));
    expect(Object.fromEntries(tally.visibleByTier)).toEqual({ standard: 2 });
    expect(tally.list()).toEqual([
      { tier: "extended", reason: "authorisation-required", count: 2 },
      { tier: "restricted", reason: "purpose-not-permitted", count: 1 },
      { tier: "beyond-retention", reason: "beyond-retention", count: 1 },
    ]);
  });
});

describe("authorisations", () => {
  it("normalises and validates a request", () => {
    const a = newAuthorisation(
      "x",
      "ana",
      {
        purpose: "major",
        caseRef: "OP-1",
        justification: "j",
        scope: { plates: ["ab12 cde", "AB12CDE"] },
        expiresAtMs: NOW + 1000,
      },
      NOW,
    );
    expect(a.scope).toEqual({ plates: ["AB12CDE"] });
    expect(a.status).toBe("pending");
    const req = { purpose: "major" as Purpose, caseRef: "c", justification: "j" };
    expect(() => newAuthorisation("x", "a", { ...req, scope: {}, expiresAtMs: NOW + 1 }, NOW)).toThrow(
      /scope/,
    );
    expect(() =>
      newAuthorisation("x", "a", { ...req, scope: { fromMs: 5, toMs: 5 }, expiresAtMs: NOW + 1 }, NOW),
    ).toThrow(/fromMs < toMs/);
    expect(() =>
      newAuthorisation("x", "a", { ...req, scope: { plates: ["A-1"] }, expiresAtMs: NOW + 1 }, NOW),
    ).toThrow(/plates/);
    expect(() =>
      newAuthorisation("x", "a", { ...req, scope: { plates: ["A1"] }, expiresAtMs: NOW }, NOW),
    ).toThrow(/future/);
    expect(() =>
      newAuthorisation("x", "a", { ...req, scope: { plates: ["A1"] }, expiresAtMs: NOW + 91 * DAY_MS }, NOW),
    ).toThrow(/90 days/);
  });

  it("is decided once, never by the requester", async () => {
    const a = newAuthorisation(
      "x",
      "ana",
      {
        purpose: "major",
        caseRef: "c",
        justification: "j",
        scope: { plates: ["A1"] },
        expiresAtMs: NOW + 1000,
      },
      NOW,
    );
    expect((await failure(() => decideAuthorisation(a, "ana", "granted", "me", NOW))).code).toBe(
      "KESTREL_E_ACCESS_DENIED",
    );
    const g = decideAuthorisation(a, "sen", "refused", "no", NOW);
    expect(g).toMatchObject({ status: "refused", decidedBy: "sen", decisionReason: "no", decidedAtMs: NOW });
    expect((await failure(() => decideAuthorisation(g, "sen2", "granted", "x", NOW))).code).toBe(
      "KESTREL_E_ACCESS_AUTHORISATION",
    );
  });

  it("cannot be used outside its scope, after expiry, by someone else or for another purpose or case", () => {
    const a = granted({ plates: ["AB12CDE"], fromMs: NOW - 300 * DAY_MS, toMs: NOW - 100 * DAY_MS });
    const q = {
      user: "ana",
      purpose: "major" as Purpose,
      caseRef: "OP-1",
      plate: "AB12CDE",
      fromMs: NOW - 200 * DAY_MS,
      toMs: NOW,
    };
    expect(authorisationRefusal(a, q, NOW)).toBeUndefined();
    expect(authorisationRefusal(a, { ...q, plate: "ZZ99ZZZ" }, NOW)).toMatch(/plate is outside/);
    expect(authorisationRefusal(a, { ...q, fromMs: NOW - 50 * DAY_MS }, NOW)).toMatch(/window is outside/);
    expect(authorisationRefusal(a, { ...q, user: "bob" }, NOW)).toMatch(/another user/);
    expect(authorisationRefusal(a, { ...q, purpose: "counter-terrorism" }, NOW)).toMatch(/purpose/);
    expect(authorisationRefusal(a, { ...q, caseRef: "OP-2" }, NOW)).toMatch(/case reference/);
    expect(authorisationRefusal(a, q, NOW + DAY_MS)).toMatch(/expired/);
    const ctx = { nowMs: NOW, tiers, purpose: "major" as Purpose, authorisation: a };
    // Inside the plate scope but outside the scope's window: withheld.
    expect(decideRecord("AB12CDE", NOW - 350 * DAY_MS, ctx)).toMatchObject({
      visible: false,
      reason: "outside-authorisation-scope",
    });
    expect(decideRecord("AB12CDE", NOW - 150 * DAY_MS, ctx)).toMatchObject({
      visible: true,
      tier: "extended",
    });
  });
});

describe("users and tokens", () => {
  const secret = loadOrCreateSecret(join(dir, "token-secret"));

  it("creates the token secret with mode 0600 and reuses it", () => {
    expect(statSync(join(dir, "token-secret")).mode & 0o777).toBe(0o600);
    expect(Buffer.from(loadOrCreateSecret(join(dir, "token-secret"))).equals(Buffer.from(secret))).toBe(true);
    writeFileSync(join(dir, "short"), "c2hvcnQ=");
    expect(() => loadOrCreateSecret(join(dir, "short"))).toThrow(/at least 32 bytes/);
  });

  it("adds, lists and disables users; rejects duplicates and bad names", async () => {
    access.addUser("ana", "analyst", true, NOW);
    access.addUser("con", "consumer", false, NOW);
    expect((await failure(() => access.addUser("ana", "admin", false))).code).toBe("KESTREL_E_USER_EXISTS");
    expect((await failure(() => access.addUser("no spaces", "admin", false))).code).toBe(
      "KESTREL_E_USER_INVALID",
    );
    expect(access.listUsers().map((u) => [u.name, u.role, u.trained])).toEqual([
      ["ana", "analyst", true],
      ["con", "consumer", false],
    ]);
    expect((await failure(() => access.disableUser("ghost"))).code).toBe("KESTREL_E_USER_UNKNOWN");
  });

  it("issues tokens that verify, and refuses expired, forged, revoked and disabled", async () => {
    const rev0 = access.revision();
    const { token, record } = await issueToken(access, secret, "ana", parseDurationMs("8h"), NOW);
    expect(access.revision()).toBeGreaterThan(rev0);
    expect(record.expiresAtMs - record.issuedAtMs).toBe(8 * 3_600_000);
    const id = await verifyToken(access, secret, token, NOW + 1000);
    expect(id.user.name).toBe("ana");
    expect((await failure(verifyToken(access, secret, token, NOW + 8 * 3_600_000))).code).toBe(
      "KESTREL_E_AUTH_INVALID",
    );
    const other = new Uint8Array(32).fill(7);
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("ana")
      .setJti(record.jti)
      .setIssuer("kestrel")
      .setAudience("kestrel-gateway")
      .setExpirationTime(Math.floor(NOW / 1000) + 3600)
      .sign(other);
    expect((await failure(verifyToken(access, secret, forged, NOW))).code).toBe("KESTREL_E_AUTH_INVALID");
    expect((await failure(verifyToken(access, secret, `${token}x`, NOW))).code).toBe(
      "KESTREL_E_AUTH_INVALID",
    );
    access.revokeToken(record.jti, NOW);
    expect((await failure(verifyToken(access, secret, token, NOW))).code).toBe("KESTREL_E_AUTH_REVOKED");
    const t2 = await issueToken(access, secret, "con", 60_000, NOW);
    access.disableUser("con", NOW);
    expect((await failure(verifyToken(access, secret, t2.token, NOW))).code).toBe("KESTREL_E_AUTH_REVOKED");
    expect((await failure(issueToken(access, secret, "con", 60_000, NOW))).code).toBe(
      "KESTREL_E_AUTH_REVOKED",
    );
  });

  it("parses durations", async () => {
    expect(parseDurationMs("8h")).toBe(28_800_000);
    expect(parseDurationMs("30m")).toBe(1_800_000);
    expect(parseDurationMs("2d")).toBe(172_800_000);
    expect((await failure(() => parseDurationMs("8 hours"))).code).toBe("KESTREL_E_INPUT_INVALID");
  });
});
