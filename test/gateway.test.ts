import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccessStore } from "../src/access/index.js";
import { GatewayError, type KestrelClient } from "../src/client/index.js";
import type { Purpose } from "../src/config/schema.js";
import type { AlertMessage, GapMessage } from "../src/gateway/protocol.js";
import { DAY, type Harness, makeAlert, makeRead, startHarness, T0, until } from "./gateway-harness.js";

const PURPOSES: Purpose[] = ["priority", "volume", "serious", "major", "counter-terrorism", "other"];
const EXTENDED = new Set<Purpose>(["priority", "volume", "serious", "major", "counter-terrorism"]);
const RESTRICTED = new Set<Purpose>(["major", "counter-terrorism"]);

async function refusal(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error("expected the gateway to refuse");
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness([
    ["ana", "analyst", true],
    ["ana2", "analyst", true],
    ["rookie", "analyst", false],
    ["sen", "senior", true],
    ["con", "consumer", false],
    ["con2", "consumer", false],
    ["aud", "auditor", false],
    ["adm", "admin", false],
    ["gone", "consumer", false],
  ]);
});
afterAll(async () => {
  await h.close();
});

describe("HTTP routes", () => {
  it("serves /healthz, /readyz with reasons and /metrics", async () => {
    const health = await fetch(`http://127.0.0.1:${h.gw.port}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${h.gw.port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, reasons: [] });
    const metrics = await (await fetch(`http://127.0.0.1:${h.gw.port}/metrics`)).text();
    expect(metrics).toContain("kestrel_gateway_connections");
    expect(metrics).toContain("kestrel_gateway_alert_latency_seconds_bucket");
    expect((await fetch(`http://127.0.0.1:${h.gw.port}/nope`)).status).toBe(404);
  });
});

describe("tokens on upgrade", () => {
  it("accepts a token in the Authorization header, a subprotocol or the query string", async () => {
    for (const how of ["header", "protocol", "query"] as const) {
      const c = await h.connect("con", how);
      expect(c.welcome).toMatchObject({
        type: "welcome",
        protocol: "kestrel.v1",
        user: "con",
        role: "consumer",
      });
      await c.close();
    }
  });

  it("refuses a missing, forged, expired or revoked token, and a disabled user", async () => {
    const { KestrelClient } = await import("../src/client/index.js");
    const url = h.url;
    expect((await refusal(KestrelClient.connect({ url, token: "" }))).code).toBe("KESTREL_E_AUTH_MISSING");
    const good = await h.token("con");
    const [head, body] = good.split(".");
    const forged = `${head}.${body}.${"A".repeat(43)}`;
    expect((await refusal(KestrelClient.connect({ url, token: forged }))).code).toBe(
      "KESTREL_E_AUTH_INVALID",
    );
    const expired = await h.token("con", 1000, h.clock.nowMs - 2000);
    expect((await refusal(KestrelClient.connect({ url, token: expired }))).code).toBe(
      "KESTREL_E_AUTH_INVALID",
    );
    const revoked = await h.token("con");
    const jti = JSON.parse(Buffer.from(revoked.split(".")[1]!, "base64url").toString()).jti as string;
    h.access.revokeToken(jti);
    expect((await refusal(KestrelClient.connect({ url, token: revoked }))).code).toBe(
      "KESTREL_E_AUTH_REVOKED",
    );
    const refused = h
      .auditEntries()
      .filter((r) => r.action === "connect" && r.outcome === "refused")
      .map((r) => r.reason);
    expect(refused).toEqual([
      "KESTREL_E_AUTH_MISSING",
      "KESTREL_E_AUTH_INVALID",
      "KESTREL_E_AUTH_INVALID",
      "KESTREL_E_AUTH_REVOKED",
    ]);
  });

  it("closes open connections at once when a token is revoked or a user disabled, also from another process", async () => {
    const token = await h.token("con2");
    const { KestrelClient } = await import("../src/client/index.js");
    const c = await KestrelClient.connect({ url: h.url, token });
    const jti = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).jti as string;
    h.access.revokeToken(jti);
    expect(await c.closed()).toEqual({ code: 4403, reason: "KESTREL_E_AUTH_REVOKED" });

    // A second AccessStore on the same LMDB files stands in for `kestrel user disable` in another process:
    // no in-process event, the gateway notices on its next poll.
    const gone = await h.connect("gone");
    const other = new AccessStore(
      (h.access as unknown as { env: ConstructorParameters<typeof AccessStore>[0] }).env,
    );
    other.disableUser("gone");
    expect(await gone.closed()).toEqual({ code: 4403, reason: "KESTREL_E_AUTH_REVOKED" });
  });

  it("closes a connection when its token expires", async () => {
    const { KestrelClient } = await import("../src/client/index.js");
    const c = await KestrelClient.connect({ url: h.url, token: await h.token("con", 60_000) });
    h.clock.nowMs += 61_000;
    try {
      expect(await c.closed()).toEqual({ code: 4401, reason: "KESTREL_E_AUTH_INVALID" });
    } finally {
      h.clock.nowMs = T0;
    }
  });
});

describe("live alerts", () => {
  it("delivers by list, priority and camera with consecutive sequence numbers; locations only to location roles", async () => {
    const con = await h.connect("con");
    const ana = await h.connect("ana");
    const got = { con: [] as AlertMessage[], ana: [] as AlertMessage[] };
    con.onAlert((m) => got.con.push(m));
    ana.onAlert((m) => got.ana.push(m));
    await con.subscribe({ lists: ["stolen"], maxPriority: 1, cameras: ["cam-1"] });
    await ana.subscribe({});
    const alerts = [
      makeAlert({ list: "stolen", priority: 1, cameraId: "cam-1" }),
      makeAlert({ list: "wanted", priority: 0, cameraId: "cam-1" }),
      makeAlert({ list: "stolen", priority: 2, cameraId: "cam-1" }),
      makeAlert({ list: "stolen", priority: 0, cameraId: "cam-2" }),
      makeAlert({ list: "stolen", priority: 0, cameraId: "cam-1", patchBytes: 300 }),
    ];
    for (const a of alerts) h.gw.alertSink.alert(a);
    await until(() => got.ana.length === 5 && got.con.length === 2, "alerts");
    expect(got.con.map((m) => [m.seq, m.alert.alertId])).toEqual([
      [1, alerts[0]!.alertId],
      [2, alerts[4]!.alertId],
    ]);
    expect(got.ana.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(got.con.every((m) => m.alert.cameraLocation === undefined)).toBe(true);
    expect(got.ana[0]!.alert.cameraLocation).toBe("SECRET-SITE-ONE");
    expect(got.ana[3]!.alert.cameraLocation).toBe("SECRET-SITE-TWO");
    expect(Buffer.from(got.con[1]!.alert.patchBase64!, "base64")).toEqual(Buffer.from(alerts[4]!.patch!));
    expect(got.con[0]!.alert.entry).toMatchObject({
      list: "stolen",
      action: "stop and check",
      warnings: ["violent"],
    });

    // Acknowledge: accepted, rejected with a reason; rejected without one is bad input; unknown alert refused.
    await con.ack(alerts[0]!.alertId, "accepted");
    await ana.ack(alerts[1]!.alertId, "rejected", "misread: 8 for B");
    expect((await refusal(ana.ack(alerts[2]!.alertId, "rejected"))).code).toBe("KESTREL_E_PROTO_FIELD");
    expect((await refusal(con.ack("no-such-alert", "accepted"))).code).toBe("KESTREL_E_PROTO_NOT_FOUND");
    const acks = h.auditEntries().filter((r) => r.action === "alert.ack");
    expect(acks.map((r) => [r.actor, r.params?.alertId, r.params?.decision, r.reason])).toEqual([
      ["con", alerts[0]!.alertId, "accepted", null],
      ["ana", alerts[1]!.alertId, "rejected", "misread: 8 for B"],
    ]);
    expect(acks.every((r) => r.timeMs === h.clock.nowMs)).toBe(true);
    await con.close();
    await ana.close();
  });

  it("an auditor may not subscribe to alerts", async () => {
    const aud = await h.connect("aud");
    expect((await refusal(aud.subscribe())).code).toBe("KESTREL_E_ACCESS_DENIED");
    await aud.close();
  });

  it("drops alerts for a stalled subscriber with a counted gap notice while others keep receiving", async () => {
    const small = await startHarness(
      [
        ["c1", "consumer", false],
        ["c2", "consumer", false],
      ],
      {
        gateway: { maxBackpressureBytes: 64 * 1024 },
      },
    );
    try {
      const fast = await small.connect("c1");
      const slow = await small.connect("c2");
      const fastGot: AlertMessage[] = [];
      const slowGot: AlertMessage[] = [];
      const gaps: GapMessage[] = [];
      fast.onAlert((m) => fastGot.push(m));
      slow.onAlert((m) => slowGot.push(m));
      slow.onGap((g) => gaps.push(g));
      await fast.subscribe();
      await slow.subscribe();
      slow.socket.pause();
      const { gatewayMetrics } = await import("../src/gateway/metrics.js");
      const droppedBefore = (await gatewayMetrics.alertsDropped.get()).values.reduce(
        (a, v) => a + v.value,
        0,
      );
      let published = 0;
      let dropped = 0;
      // Publish big alerts until the stalled connection's buffer passes the bound and drops begin.
      while (dropped < 5 && published < 5000) {
        small.gw.alertSink.alert(makeAlert({ patchBytes: 32 * 1024 }));
        published++;
        await until(() => fastGot.length === published, "fast subscriber");
        dropped =
          (await gatewayMetrics.alertsDropped.get()).values.reduce((a, v) => a + v.value, 0) - droppedBefore;
      }
      expect(dropped).toBe(5);
      // The healthy subscriber got every alert, in order, with no gap.
      expect(fastGot.map((m) => m.seq)).toEqual(Array.from({ length: published }, (_, i) => i + 1));
      slow.socket.resume();
      // Once the stalled connection has drained below the bound it is told what it missed...
      await until(() => gaps.length === 1, "gap notice");
      // ...and receives the next alert again.
      small.gw.alertSink.alert(makeAlert());
      published++;
      await until(() => slowGot.at(-1)?.seq === published, "slow subscriber catches up");
      expect(gaps).toHaveLength(1);
      const gap = gaps[0]!;
      expect(gap.count).toBe(5);
      expect(gap.toSeq - gap.fromSeq + 1).toBe(5);
      const seqs = slowGot.map((m) => m.seq);
      expect(seqs.length).toBe(published - 5);
      for (let s = gap.fromSeq; s <= gap.toSeq; s++) expect(seqs).not.toContain(s);
      expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
      await fast.close();
      await slow.close();
    } finally {
      await small.close();
    }
  });
});

describe("queries and the access tiers", () => {
  const plate = "AB12CDE";
  const ages: [string, number][] = [];
  beforeAll(async () => {
    // Reads one second either side of each tier boundary (90, 365, 730 days).
    for (const days of [90, 365, 730]) {
      ages.push([`${days}d-1s`, days * DAY - 1000], [`${days}d+1s`, days * DAY + 1000]);
    }
    const png = (tag: string) => new Uint8Array([0x89, 0x50, 0x4e, 0x47, ...Buffer.from(tag)]);
    const reads = ages.map(([label, age]) => makeRead(`p-${label}`, plate, "cam-1", T0 - age, png(label)));
    reads.push(makeRead("p-other", "XY99ZZZ", "cam-2", T0 - 50 * DAY));
    reads.push(makeRead("p-in-scope", "CD34EFG", "cam-2", T0 - 150 * DAY));
    // A convoy: CV22BBB passes camera 3 twenty seconds after CV11AAA, twice recently and once long ago.
    for (const [i, days] of [10, 11, 250].entries()) {
      reads.push(makeRead(`cv-a-${i}`, "CV11AAA", "cam-3", T0 - days * DAY));
      reads.push(makeRead(`cv-b-${i}`, "CV22BBB", "cam-3", T0 - days * DAY + 20_000));
    }
    for (const r of reads) await h.store.write(r);
  });
  const window = { fromMs: T0 - 800 * DAY, toMs: T0 + 1000 };

  function expectedVisible(purpose: Purpose, withAuth: boolean): string[] {
    return ages
      .filter(([label]) => {
        if (label === "90d-1s") return true;
        if (!withAuth) return false;
        if (label === "90d+1s" || label === "365d-1s") return EXTENDED.has(purpose);
        if (label === "365d+1s" || label === "730d-1s") return RESTRICTED.has(purpose);
        return false;
      })
      .map(([label]) => `p-${label}`);
  }

  it("without an authorisation returns only the standard tier, for every purpose, and says what was withheld", async () => {
    const ana = await h.connect("ana");
    for (const purpose of PURPOSES) {
      const r = await ana.query(
        { kind: "plate", plate: "ab12 cde" },
        { ...window, purpose, caseRef: "CASE-1" },
      );
      expect(r.reads.map((x) => x.passId)).toEqual(expectedVisible(purpose, false));
      expect(r.reads[0]).toMatchObject({ tier: "standard", cameraLocation: "SECRET-SITE-ONE" });
      const ext = EXTENDED.has(purpose) ? "authorisation-required" : "purpose-not-permitted";
      const res = RESTRICTED.has(purpose) ? "authorisation-required" : "purpose-not-permitted";
      const byTier = (a: { tier: string }, b: { tier: string }) => a.tier.localeCompare(b.tier);
      expect([...r.withheld].sort(byTier)).toEqual([
        { tier: "beyond-retention", reason: "beyond-retention", count: 1 },
        { tier: "extended", reason: ext, count: 2 },
        { tier: "restricted", reason: res, count: 2 },
      ]);
    }
    await ana.close();
  });

  it("with a granted authorisation shows each tier one second either side of its boundary, per purpose", async () => {
    const ana = await h.connect("ana");
    const sen = await h.connect("sen");
    for (const purpose of PURPOSES) {
      const caseRef = `OP-${purpose}`;
      const req = await ana.requestAuthorisation({
        purpose,
        caseRef,
        justification: "suspect vehicle in series of burglaries",
        scope: { plates: [plate] },
        expiresAtMs: T0 + 7 * DAY,
      });
      expect(req.status).toBe("pending");
      const granted = await sen.decideAuthorisation(req.id, "granted", "proportionate");
      expect(granted).toMatchObject({ status: "granted", decidedBy: "sen" });
      const r = await ana.query(
        { kind: "plate", plate },
        { ...window, purpose, caseRef, authorisationId: req.id },
      );
      expect(r.reads.map((x) => x.passId).sort()).toEqual(expectedVisible(purpose, true).sort());
      const beyond = r.withheld.find((w) => w.tier === "beyond-retention");
      expect(beyond).toEqual({ tier: "beyond-retention", reason: "beyond-retention", count: 1 });
      const shown = r.withheld.reduce((a, w) => a + w.count, 0) + r.reads.length;
      expect(shown).toBe(ages.length);
    }
    await ana.close();
    await sen.close();
  });

  it("refuses an authorisation used outside its scope, by another user, or not yet granted", async () => {
    const ana = await h.connect("ana");
    const ana2 = await h.connect("ana2");
    const sen = await h.connect("sen");
    const auth = await ana.requestAuthorisation({
      purpose: "serious",
      caseRef: "OP-SCOPE",
      justification: "j",
      scope: { plates: [plate, "CD34EFG"], fromMs: T0 - 200 * DAY, toMs: T0 - 100 * DAY },
      expiresAtMs: T0 + DAY,
    });
    const q = { ...window, purpose: "serious" as Purpose, caseRef: "OP-SCOPE", authorisationId: auth.id };
    const pending = await refusal(ana.query({ kind: "plate", plate }, q));
    expect(pending.code).toBe("KESTREL_E_ACCESS_AUTHORISATION");
    expect((await refusal(ana.decideAuthorisation(auth.id, "granted", "self"))).code).toBe(
      "KESTREL_E_ACCESS_DENIED",
    );
    expect((await refusal(ana2.decideAuthorisation(auth.id, "granted", "x"))).code).toBe(
      "KESTREL_E_ACCESS_DENIED",
    );
    await sen.decideAuthorisation(auth.id, "granted", "ok");
    const outside = await refusal(ana.query({ kind: "plate", plate: "XY99ZZZ" }, q));
    expect(outside.code).toBe("KESTREL_E_ACCESS_AUTHORISATION");
    expect(outside.message).not.toContain("XY99ZZZ");
    expect((await refusal(ana.query({ kind: "plate", plate }, { ...q, fromMs: T0 - 50 * DAY }))).code).toBe(
      "KESTREL_E_ACCESS_AUTHORISATION",
    );
    expect((await refusal(ana2.query({ kind: "plate", plate }, q))).code).toBe(
      "KESTREL_E_ACCESS_AUTHORISATION",
    );
    expect((await refusal(ana.query({ kind: "plate", plate }, { ...q, caseRef: "OP-OTHER" }))).code).toBe(
      "KESTREL_E_ACCESS_AUTHORISATION",
    );
    // Inside the scope's plates and window: shown. The same plate outside the window: withheld.
    const r = await ana.query({ kind: "camera", cameraId: "cam-1" }, q);
    expect(r.reads.map((x) => x.passId)).toEqual(["p-90d-1s"]);
    expect(r.withheld).toContainEqual({ tier: "extended", reason: "outside-authorisation-scope", count: 2 });
    const inScope = await ana.query({ kind: "plate", plate: "cd34 efg" }, q);
    expect(inScope.reads.map((x) => [x.passId, x.tier])).toEqual([["p-in-scope", "extended"]]);
    await ana.close();
    await ana2.close();
    await sen.close();
  });

  it("refuses queries from consumers and untrained analysts, and audits the refusals", async () => {
    const con = await h.connect("con");
    const rookie = await h.connect("rookie");
    const q = { ...window, purpose: "volume" as Purpose, caseRef: "C-9" };
    expect((await refusal(con.query({ kind: "plate", plate }, q))).code).toBe("KESTREL_E_ACCESS_DENIED");
    expect((await refusal(rookie.query({ kind: "plate", plate }, q))).code).toBe("KESTREL_E_ACCESS_DENIED");
    const refusals = h
      .auditEntries()
      .filter((r) => r.action === "query.plate" && r.outcome === "refused" && r.caseRef === "C-9");
    expect(refusals.map((r) => r.actor)).toEqual(["con", "rookie"]);
    await con.close();
    await rookie.close();
  });

  it("serves each query kind and pages with cursors", async () => {
    const ana = await h.connect("ana");
    const q = { ...window, purpose: "other" as Purpose, caseRef: "C-10" };
    const partial = await ana.query({ kind: "partial", pattern: "AB1? C*" }, q);
    expect(partial.reads.map((r) => r.passId)).toEqual(["p-90d-1s"]);
    const cam = await ana.query({ kind: "camera", cameraId: "cam-2" }, q);
    expect(cam.reads.map((r) => r.plate)).toEqual(["XY99ZZZ"]);
    expect(cam.withheld).toEqual([{ tier: "extended", reason: "purpose-not-permitted", count: 1 }]);
    const win = await ana.query({ kind: "window" }, { ...q, fromMs: T0 - 12 * DAY, toMs: T0 - 9 * DAY });
    expect(win.reads.map((r) => r.passId).sort()).toEqual(["cv-a-0", "cv-a-1", "cv-b-0", "cv-b-1"]);
    const pages = await ana.queryAll({ kind: "camera", cameraId: "cam-1" }, { ...q, limit: 2 });
    expect(pages.length).toBe(3);
    expect(pages.flatMap((p) => p.reads.map((r) => r.passId))).toEqual(["p-90d-1s"]);
    expect(pages.slice(0, -1).every((p) => p.cursor !== undefined)).toBe(true);
    expect(pages.at(-1)!.cursor).toBeUndefined();
    await ana.close();
  });

  it("finds convoys and withholds the sightings of older passes", async () => {
    const ana = await h.connect("ana");
    const r = await ana.query(
      { kind: "convoy", plate: "CV11AAA", withinSeconds: 60, minOccasions: 2 },
      { ...window, purpose: "volume", caseRef: "C-13" },
    );
    expect(r.reads).toEqual([]);
    expect(r.convoy!.target.map((t) => t.tier)).toEqual(["standard", "standard"]);
    expect(r.convoy!.candidates.map((c) => [c.plate, c.occasions, c.sightings.length])).toEqual([
      ["CV22BBB", 2, 2],
    ]);
    expect(
      r.convoy!.candidates[0]!.sightings.every((x) => x.deltaMs === 20_000 && x.cameraLocation === undefined),
    ).toBe(true);
    // The old pass (250 days) and the sighting with it are both withheld: the extended tier needs an authorisation.
    expect(r.withheld).toEqual([{ tier: "extended", reason: "authorisation-required", count: 2 }]);
    await ana.close();
  });

  it("shows an image only within the caller's tier and audits the view before sending it", async () => {
    const ana = await h.connect("ana");
    const ids = Object.fromEntries(
      h.store
        .byPlate({ plate, fromMs: window.fromMs, toMs: window.toMs })
        .items.map((r) => [r.passId, r.readId]),
    );
    const img = await ana.image(ids["p-90d-1s"]!, { purpose: "volume", caseRef: "C-11" });
    expect(Buffer.from(img.dataBase64, "base64")).toEqual(Buffer.from(h.store.image(ids["p-90d-1s"]!)!));
    expect(img.tier).toBe("standard");
    const old = await refusal(ana.image(ids["p-365d-1s"]!, { purpose: "volume", caseRef: "C-11" }));
    expect(old.code).toBe("KESTREL_E_ACCESS_AUTHORISATION");
    const views = h.auditEntries().filter((r) => r.action === "image.view" && r.caseRef === "C-11");
    expect(views.map((r) => [r.outcome, r.readIds])).toEqual([
      ["ok", [ids["p-90d-1s"]]],
      ["refused", [ids["p-365d-1s"]]],
    ]);
    await ana.close();
  });

  it("writes every query and its result count to the audit log before the result arrives", async () => {
    const ana = await h.connect("ana");
    const before = h.auditEntries().length;
    const r = await ana.query({ kind: "plate", plate }, { ...window, purpose: "major", caseRef: "C-12" });
    // By the time the reply is here both records are in the log.
    const mine = h.auditEntries().slice(before);
    expect(mine.map((x) => x.action)).toEqual(["query.plate", "query.result"]);
    expect(mine[0]).toMatchObject({
      actor: "ana",
      role: "analyst",
      purpose: "major",
      caseRef: "C-12",
      outcome: "ok",
      params: { query: { kind: "plate", plate } },
    });
    expect(mine[1]).toMatchObject({ resultCount: 1, outcome: "partial", readIds: [r.reads[0]!.readId] });
    expect(mine[1]!.params).toMatchObject({ queryId: r.queryId, withheld: r.withheld });
    expect(h.store.audit.verify().ok).toBe(true);
    await ana.close();
  });

  it("lets an auditor read and verify the audit log, and nobody else", async () => {
    const aud = await h.connect("aud");
    const ana = await h.connect("ana");
    const page = await aud.auditRead(1, 5);
    expect(page.entries).toHaveLength(5);
    expect(page.next).toBe(6);
    expect((page.entries as { seq: number }[]).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect((await aud.auditVerify()).ok).toBe(true);
    expect((await refusal(ana.auditRead())).code).toBe("KESTREL_E_ACCESS_DENIED");
    const all = await aud.listAuthorisations();
    expect(all.length).toBeGreaterThan(0);
    const own = await ana.listAuthorisations();
    expect(own.every((a) => a.requestedBy === "ana")).toBe(true);
    await aud.close();
    await ana.close();
  });
});

describe("bad input", () => {
  let c: KestrelClient;
  beforeAll(async () => {
    c = await h.connect("ana");
  });
  afterAll(async () => {
    await c.close();
  });
  const q = { fromMs: T0 - DAY, toMs: T0, purpose: "volume" as Purpose, caseRef: "C-1" };

  it("answers each kind with its code and the connection stays usable", async () => {
    expect((await c.sendExpectingUnsolicitedError("{not json")).code).toBe("KESTREL_E_PROTO_JSON");
    expect((await c.sendExpectingUnsolicitedError("[1,2]")).code).toBe("KESTREL_E_PROTO_FIELD");
    expect((await refusal(c.request({ type: "teleport" }))).code).toBe("KESTREL_E_PROTO_TYPE");
    const big = JSON.stringify({
      id: "big",
      type: "ping",
      pad: "x".repeat(h.config.gateway.maxMessageBytes),
    });
    expect((await c.sendExpectingUnsolicitedError(big)).code).toBe("KESTREL_E_PROTO_OVERSIZE");
    for (const pattern of ["A", "AB$1", "AB**1", "??", "ABCDEFGHIJK"]) {
      const e = await refusal(c.query({ kind: "partial", pattern }, q));
      expect(e.code).toBe("KESTREL_E_PROTO_WILDCARD");
    }
    expect(
      (await refusal(c.query({ kind: "plate", plate: "AB12CDE" }, { ...q, fromMs: T0, toMs: T0 - 1 }))).code,
    ).toBe("KESTREL_E_PROTO_RANGE");
    expect((await refusal(c.query({ kind: "plate", plate: "AB12CDE" }, { ...q, fromMs: 0 }))).code).toBe(
      "KESTREL_E_PROTO_RANGE",
    );
    expect(
      (await refusal(c.query({ kind: "plate", plate: "AB12CDE" }, { ...q, toMs: T0 + 2 * DAY }))).code,
    ).toBe("KESTREL_E_PROTO_RANGE");
    const noPurpose = await refusal(
      c.request({ type: "query", query: { kind: "window" }, fromMs: q.fromMs, toMs: q.toMs, caseRef: "C" }),
    );
    expect(noPurpose).toMatchObject({ code: "KESTREL_E_PROTO_FIELD", details: { field: "purpose" } });
    const noCase = await refusal(
      c.request({
        type: "query",
        query: { kind: "window" },
        fromMs: q.fromMs,
        toMs: q.toMs,
        purpose: "volume",
      }),
    );
    expect(noCase).toMatchObject({ code: "KESTREL_E_PROTO_FIELD", details: { field: "caseRef" } });
    const badPlate = await refusal(c.query({ kind: "plate", plate: "AB-12-CDE" }, q));
    expect(badPlate.code).toBe("KESTREL_E_PROTO_FIELD");
    expect(badPlate.message).not.toContain("AB-12-CDE");
    expect((await c.ping()).type).toBe("pong");
  });

  it("applies a per-user rate limit across connections", async () => {
    const limited = await startHarness([["u", "consumer", false]], { gateway: { rateLimitPerMinute: 5 } });
    try {
      const a = await limited.connect("u");
      const b = await limited.connect("u");
      for (let i = 0; i < 3; i++) await a.ping();
      for (let i = 0; i < 2; i++) await b.ping();
      expect(await a.sendExpectingUnsolicitedError(JSON.stringify({ id: "x", type: "ping" }))).toMatchObject({
        code: "KESTREL_E_PROTO_RATE",
      });
      await a.close();
      await b.close();
    } finally {
      await limited.close();
    }
  });
});
