import { randomUUID } from "node:crypto";
import type { AccessStore } from "../access/access-store.js";
import {
  type Authorisation,
  authorisationRefusal,
  decideAuthorisation,
  newAuthorisation,
  type QueryFacts,
} from "../access/authorisations.js";
import { decideRecord, type PolicyContext, WithheldTally } from "../access/policy.js";
import { type Action, actionNeedsTraining, roleAllows } from "../access/roles.js";
import type { AuditInput } from "../audit/audit-log.js";
import type { KestrelConfig, Purpose, Role } from "../config/schema.js";
import { isKestrelError, KestrelError } from "../errors/index.js";
import { logger } from "../log/index.js";
import type { AlertFanout } from "./alerts.js";
import { gatewayMetrics } from "./metrics.js";
import type { AuditPort, GatewayRef, ReadQueryPort } from "./ports.js";
import type {
  AuditEntriesMessage,
  AuditVerifyMessage,
  ClientMessage,
  ErrorMessage,
  QuerySelector,
  RequestId,
  ResultMessage,
  WireConvoy,
  WireRead,
  WireRef,
} from "./protocol.js";
import type { Session } from "./session.js";
import { checkWindow, normalisePattern, normaliseVrm, parseMessage } from "./validate.js";

type Msg<T extends ClientMessage["type"]> = Extract<ClientMessage, { type: T }>;

export interface HandlerDeps {
  config: KestrelConfig;
  access: AccessStore;
  audit: AuditPort;
  store: ReadQueryPort | undefined;
  fanout: AlertFanout;
  nowMs: () => number;
  locationRoles: ReadonlySet<Role>;
  cameraLocations: ReadonlyMap<string, string>;
}

/**
 * Request handlers. Every access decision is made here and audited before the caller hears of it:
 * refusals are appended to the audit log and awaited before the error reply; queries are appended before
 * they run and their result counts before any result is sent.
 */
export class Handlers {
  private readonly log = logger("gateway");
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly d: HandlerDeps) {}

  /** Resolves when no request is in flight (used at shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  dispatch(s: Session, text: string, byteLength: number): void {
    const parsed = parseMessage(text, this.d.config.gateway.maxMessageBytes, byteLength);
    if (parsed.error || !parsed.message) {
      this.replyError(s, parsed.id, parsed.error ?? new KestrelError("KESTREL_E_PROTO_FIELD"));
      return;
    }
    const msg = parsed.message;
    const p = this.handle(s, msg)
      .catch((err: unknown) => {
        if (isKestrelError(err)) this.replyError(s, msg.id, err);
        else {
          this.log.error({ err, type: msg.type }, "request failed");
          this.replyError(s, msg.id, new KestrelError("KESTREL_E_INTERNAL"));
        }
      })
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  replyError(s: Session, id: RequestId | undefined, err: KestrelError): void {
    gatewayMetrics.errors.inc({ reason: err.code });
    const reply: ErrorMessage = { type: "error", code: err.code, message: err.message };
    if (id !== undefined) reply.id = id;
    if (Object.keys(err.details).length > 0) reply.details = err.details;
    s.send(reply);
  }

  private async handle(s: Session, msg: ClientMessage): Promise<void> {
    switch (msg.type) {
      case "ping":
        s.send({ type: "pong", id: msg.id, nowMs: this.d.nowMs() });
        return;
      case "subscribe":
        return this.subscribe(s, msg);
      case "unsubscribe":
        if (!s.subscriptions.delete(msg.subscriptionId))
          throw new KestrelError("KESTREL_E_PROTO_NOT_FOUND", "subscription");
        s.send({ type: "ok", id: msg.id });
        return;
      case "ack":
        return this.ack(s, msg);
      case "query":
        return this.query(s, msg);
      case "image":
        return this.image(s, msg);
      case "authorisation.request":
        return this.requestAuthorisation(s, msg);
      case "authorisation.decide":
        return this.decideAuthorisation(s, msg);
      case "authorisation.list":
        return this.listAuthorisations(s, msg);
      case "audit.read":
        return this.auditRead(s, msg);
      case "audit.verify":
        return this.auditVerify(s, msg);
    }
  }

  // ---- helpers

  private base(s: Session, action: string, extra: Partial<AuditInput> = {}): AuditInput {
    return { timeMs: this.d.nowMs(), actor: s.user, role: s.role, action, outcome: "ok", ...extra };
  }

  /** Audits a refusal, then throws it (the caller's catch sends the error reply after the audit landed). */
  private async refuse(
    s: Session,
    action: string,
    err: KestrelError,
    extra: Partial<AuditInput> = {},
  ): Promise<never> {
    await this.d.audit.append({
      ...this.base(s, action, extra),
      outcome: "refused",
      reason: `${err.code}: ${err.message}`,
    });
    throw err;
  }

  private async permit(
    s: Session,
    action: Action,
    auditAction: string,
    extra: Partial<AuditInput> = {},
  ): Promise<void> {
    if (!roleAllows(s.role, action)) {
      await this.refuse(
        s,
        auditAction,
        new KestrelError("KESTREL_E_ACCESS_DENIED", `role ${s.role} may not ${action}`),
        extra,
      );
    }
    if (actionNeedsTraining(action) && !s.trained) {
      await this.refuse(
        s,
        auditAction,
        new KestrelError("KESTREL_E_ACCESS_DENIED", "user is not trained for searches"),
        extra,
      );
    }
  }

  private location(s: Session, cameraId: string): string | undefined {
    return this.d.locationRoles.has(s.role) ? this.d.cameraLocations.get(cameraId) : undefined;
  }

  /** Looks up and checks a quoted authorisation; refuses (audited) when it may not be used here. */
  private async usableAuthorisation(
    s: Session,
    action: string,
    id: string | undefined,
    facts: QueryFacts,
    extra: Partial<AuditInput>,
  ): Promise<Authorisation | undefined> {
    if (id === undefined) return undefined;
    const auth = this.d.access.getAuthorisation(id);
    if (!auth) {
      return this.refuse(
        s,
        action,
        new KestrelError("KESTREL_E_ACCESS_AUTHORISATION", "no such authorisation"),
        extra,
      );
    }
    const why = authorisationRefusal(auth, facts, this.d.nowMs());
    if (why) return this.refuse(s, action, new KestrelError("KESTREL_E_ACCESS_AUTHORISATION", why), extra);
    return auth;
  }

  // ---- alerts

  private async subscribe(s: Session, msg: Msg<"subscribe">): Promise<void> {
    await this.permit(s, "alerts.subscribe", "alerts.subscribe");
    const filter: { lists?: Set<string>; maxPriority?: number; cameras?: Set<string> } = {};
    if (msg.lists) filter.lists = new Set(msg.lists);
    if (msg.maxPriority !== undefined) filter.maxPriority = msg.maxPriority;
    if (msg.cameras) filter.cameras = new Set(msg.cameras);
    const subscriptionId = s.addSubscription(filter);
    s.send({ type: "subscribed", id: msg.id, subscriptionId });
  }

  private async ack(s: Session, msg: Msg<"ack">): Promise<void> {
    const extra = { params: { alertId: msg.alertId, decision: msg.decision } };
    await this.permit(s, "alerts.ack", "alert.ack", extra);
    if (msg.decision === "rejected" && !msg.reason?.trim()) {
      throw new KestrelError("KESTREL_E_PROTO_FIELD", "reason: required when rejecting", {
        details: { field: "reason" },
      });
    }
    const delivered = this.d.fanout.delivered(msg.alertId);
    if (!delivered)
      throw new KestrelError("KESTREL_E_PROTO_NOT_FOUND", "alert unknown or too old to acknowledge");
    await this.d.audit.append(
      this.base(s, "alert.ack", {
        params: {
          alertId: msg.alertId,
          passId: delivered.passId,
          cameraId: delivered.cameraId,
          list: delivered.list,
          plate: delivered.plate,
          captureTimeMs: delivered.captureTimeMs,
          decision: msg.decision,
        },
        reason: msg.reason ?? null,
      }),
    );
    s.send({ type: "ok", id: msg.id });
  }

  // ---- queries

  private async query(s: Session, msg: Msg<"query">): Promise<void> {
    const purpose: Purpose = msg.purpose;
    const queryId = randomUUID();
    const action = `query.${msg.query.kind}`;
    const extra: Partial<AuditInput> = {
      purpose,
      caseRef: msg.caseRef,
      authorisationId: msg.authorisationId ?? null,
      params: { queryId, query: msg.query, fromMs: msg.fromMs, toMs: msg.toMs },
    };
    const count = (reason: string) => gatewayMetrics.queries.inc({ purpose, reason });
    try {
      await this.permit(s, "query", action, extra);
    } catch (err) {
      count((err as KestrelError).code);
      throw err;
    }
    const now = this.d.nowMs();
    const rangeErr = checkWindow(msg.fromMs, msg.toMs, now);
    if (rangeErr) throw rangeErr;
    const selector = normaliseSelector(msg.query);
    extra.params = {
      queryId,
      query: selector,
      fromMs: msg.fromMs,
      toMs: msg.toMs,
      cursor: msg.cursor ?? null,
    };
    const facts: QueryFacts = {
      user: s.user,
      purpose,
      caseRef: msg.caseRef,
      fromMs: msg.fromMs,
      toMs: msg.toMs,
    };
    if (selector.kind === "plate" || selector.kind === "convoy") facts.plate = selector.plate;
    let auth: Authorisation | undefined;
    try {
      auth = await this.usableAuthorisation(s, action, msg.authorisationId, facts, extra);
    } catch (err) {
      count((err as KestrelError).code);
      throw err;
    }
    const store = this.d.store;
    if (!store) {
      count("KESTREL_E_GATEWAY_UNAVAILABLE");
      throw new KestrelError("KESTREL_E_GATEWAY_UNAVAILABLE", "read store not attached");
    }

    // The query itself is on record before it runs.
    await this.d.audit.append(this.base(s, action, extra));
    let page: Awaited<ReturnType<ReadQueryPort["query"]>>;
    try {
      page = await store.query({
        query: selector,
        fromMs: msg.fromMs,
        toMs: msg.toMs,
        limit: msg.limit ?? 100,
        ...(msg.cursor !== undefined ? { cursor: msg.cursor } : {}),
      });
    } catch (err) {
      const code = isKestrelError(err) ? err.code : "KESTREL_E_INTERNAL";
      await this.d.audit.append(
        this.base(s, "query.result", { ...extra, outcome: "error", reason: code, resultCount: 0 }),
      );
      count(code);
      throw isKestrelError(err) && err.code === "KESTREL_E_STORE_QUERY"
        ? new KestrelError("KESTREL_E_PROTO_FIELD", "query rejected by the store", {
            details: { field: "query" },
          })
        : err;
    }
    const ctx: PolicyContext = { nowMs: now, tiers: this.d.config.access.tiers, purpose };
    if (auth) ctx.authorisation = auth;
    const tally = new WithheldTally();
    const reads: WireRead[] = [];
    for (const r of page.reads) {
      const d = decideRecord(r.plate, r.captureTimeMs, ctx);
      tally.add(d);
      if (!d.visible) continue;
      const w: WireRead = {
        readId: r.readId,
        passId: r.passId,
        cameraId: r.cameraId,
        plate: r.plate,
        captureTimeMs: r.captureTimeMs,
        confidence: r.confidence,
        tier: d.tier,
      };
      const loc = this.location(s, r.cameraId);
      if (loc !== undefined) w.cameraLocation = loc;
      if (r.direction !== undefined) w.direction = r.direction;
      if (r.hasImage !== undefined) w.hasImage = r.hasImage;
      reads.push(w);
    }
    let convoy: WireConvoy | undefined;
    const disclosed = reads.map((r) => r.readId);
    if (page.convoy && selector.kind === "convoy") {
      const ref = (r: GatewayRef, plate: string): WireRef | undefined => {
        const d = decideRecord(plate, r.captureTimeMs, ctx);
        tally.add(d);
        if (!d.visible) return undefined;
        const w: WireRef = {
          readId: r.readId,
          cameraId: r.cameraId,
          captureTimeMs: r.captureTimeMs,
          tier: d.tier,
        };
        const loc = this.location(s, r.cameraId);
        if (loc !== undefined) w.cameraLocation = loc;
        disclosed.push(r.readId);
        return w;
      };
      const target = page.convoy.target.map((t) => ref(t, selector.plate)).filter((t) => t !== undefined);
      const shownTargets = new Set(target.map((t) => t.readId));
      const candidates: WireConvoy["candidates"] = [];
      for (const c of page.convoy.candidates) {
        const sightings: WireConvoy["candidates"][number]["sightings"] = [];
        for (const sg of c.sightings) {
          // A sighting is shown only with the target read it accompanies: the pairing is itself a disclosure.
          if (!shownTargets.has(sg.withReadId)) {
            const d = decideRecord(c.plate, sg.captureTimeMs, ctx);
            tally.add(d.visible ? { visible: false, tier: d.tier, reason: "target-withheld" } : d);
            continue;
          }
          const w = ref(sg, c.plate);
          if (w) sightings.push({ ...w, withReadId: sg.withReadId, deltaMs: sg.deltaMs });
        }
        if (sightings.length > 0) {
          candidates.push({
            plate: c.plate,
            occasions: new Set(sightings.map((x) => x.withReadId)).size,
            sightings,
          });
        }
      }
      convoy = { target, candidates };
    }
    const withheld = tally.list();
    const returned =
      reads.length +
      (convoy ? convoy.target.length + convoy.candidates.reduce((a, c) => a + c.sightings.length, 0) : 0);
    // The result count and what was withheld are on record before any result leaves.
    await this.d.audit.append(
      this.base(s, "query.result", {
        ...extra,
        authorisationId: auth?.id ?? null,
        params: {
          queryId,
          returnedByTier: Object.fromEntries(tally.visibleByTier),
          withheld,
        },
        resultCount: returned,
        outcome: withheld.length > 0 ? "partial" : "ok",
        reason:
          withheld.length > 0 ? withheld.map((w) => `${w.count} ${w.tier}: ${w.reason}`).join("; ") : null,
        readIds: disclosed,
      }),
    );
    count("ok");
    for (const [tier, n] of tally.visibleByTier)
      gatewayMetrics.queryRecords.inc({ tier, purpose, reason: "returned" }, n);
    for (const w of withheld)
      gatewayMetrics.queryRecords.inc({ tier: w.tier, purpose, reason: w.reason }, w.count);
    const result: ResultMessage = { type: "result", id: msg.id, queryId, reads, withheld };
    if (convoy) result.convoy = convoy;
    if (page.cursor !== undefined) result.cursor = page.cursor;
    s.send(result);
  }

  private async image(s: Session, msg: Msg<"image">): Promise<void> {
    const extra: Partial<AuditInput> = {
      purpose: msg.purpose,
      caseRef: msg.caseRef,
      authorisationId: msg.authorisationId ?? null,
      params: { readId: msg.readId },
      readIds: [msg.readId],
    };
    await this.permit(s, "image", "image.view", extra);
    if (!this.d.store) throw new KestrelError("KESTREL_E_GATEWAY_UNAVAILABLE", "read store not attached");
    const found = await this.d.store.image(msg.readId);
    if (!found) {
      return this.refuse(
        s,
        "image.view",
        new KestrelError("KESTREL_E_PROTO_NOT_FOUND", "no image for that read"),
        extra,
      );
    }
    const { read, png } = found;
    const facts: QueryFacts = {
      user: s.user,
      purpose: msg.purpose,
      caseRef: msg.caseRef,
      plate: read.plate,
      fromMs: read.captureTimeMs,
      toMs: read.captureTimeMs,
    };
    const auth = await this.usableAuthorisation(s, "image.view", msg.authorisationId, facts, extra);
    const ctx: PolicyContext = {
      nowMs: this.d.nowMs(),
      tiers: this.d.config.access.tiers,
      purpose: msg.purpose,
    };
    if (auth) ctx.authorisation = auth;
    const d = decideRecord(read.plate, read.captureTimeMs, ctx);
    if (!d.visible) {
      const code =
        d.reason === "authorisation-required" || d.reason === "outside-authorisation-scope"
          ? "KESTREL_E_ACCESS_AUTHORISATION"
          : "KESTREL_E_ACCESS_PURPOSE";
      const err = new KestrelError(code, `${d.tier}: ${d.reason}`, {
        details: { tier: d.tier, reason: d.reason },
      });
      return this.refuse(s, "image.view", err, extra);
    }
    await this.d.audit.append(
      this.base(s, "image.view", { ...extra, params: { readId: msg.readId, tier: d.tier }, resultCount: 1 }),
    );
    s.send({
      type: "image",
      id: msg.id,
      readId: msg.readId,
      tier: d.tier,
      mediaType: "image/png",
      dataBase64: Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString("base64"),
    });
  }

  // ---- authorisations

  private async requestAuthorisation(s: Session, msg: Msg<"authorisation.request">): Promise<void> {
    const extra: Partial<AuditInput> = { purpose: msg.purpose, caseRef: msg.caseRef };
    await this.permit(s, "authorisation.request", "authorisation.request", extra);
    const scope: { plates?: string[]; fromMs?: number; toMs?: number } = {};
    if (msg.scope.plates) scope.plates = msg.scope.plates;
    if (msg.scope.fromMs !== undefined) scope.fromMs = msg.scope.fromMs;
    if (msg.scope.toMs !== undefined) scope.toMs = msg.scope.toMs;
    const auth = newAuthorisation(
      this.d.access.newId(),
      s.user,
      {
        purpose: msg.purpose,
        caseRef: msg.caseRef,
        justification: msg.justification,
        scope,
        expiresAtMs: msg.expiresAtMs,
      },
      this.d.nowMs(),
    );
    await this.d.audit.append(
      this.base(s, "authorisation.request", {
        ...extra,
        authorisationId: auth.id,
        params: { scope: auth.scope, expiresAtMs: auth.expiresAtMs, justification: auth.justification },
      }),
    );
    this.d.access.putAuthorisation(auth);
    s.send({ type: "authorisation", id: msg.id, authorisation: auth });
  }

  private async decideAuthorisation(s: Session, msg: Msg<"authorisation.decide">): Promise<void> {
    const action = msg.decision === "granted" ? "authorisation.grant" : "authorisation.refuse";
    const extra: Partial<AuditInput> = { authorisationId: msg.authorisationId, reason: msg.reason };
    await this.permit(s, "authorisation.decide", action, extra);
    const auth = this.d.access.getAuthorisation(msg.authorisationId);
    if (!auth)
      return this.refuse(s, action, new KestrelError("KESTREL_E_PROTO_NOT_FOUND", "authorisation"), extra);
    extra.purpose = auth.purpose;
    extra.caseRef = auth.caseRef;
    let decided: Authorisation;
    try {
      decided = decideAuthorisation(auth, s.user, msg.decision, msg.reason, this.d.nowMs());
    } catch (err) {
      return this.refuse(s, action, err as KestrelError, extra);
    }
    await this.d.audit.append(
      this.base(s, action, { ...extra, params: { requestedBy: auth.requestedBy, scope: auth.scope } }),
    );
    this.d.access.putAuthorisation(decided);
    s.send({ type: "authorisation", id: msg.id, authorisation: decided });
  }

  private async listAuthorisations(s: Session, msg: Msg<"authorisation.list">): Promise<void> {
    const all = roleAllows(s.role, "authorisation.list-all");
    if (!all && !roleAllows(s.role, "authorisation.request")) {
      await this.refuse(
        s,
        "authorisation.list",
        new KestrelError("KESTREL_E_ACCESS_DENIED", `role ${s.role} has no authorisations`),
      );
    }
    const list = this.d.access.listAuthorisations().filter((a) => all || a.requestedBy === s.user);
    s.send({ type: "authorisations", id: msg.id, authorisations: list });
  }

  // ---- audit

  private async auditRead(s: Session, msg: Msg<"audit.read">): Promise<void> {
    await this.permit(s, "audit.read", "audit.read");
    if (!this.d.audit.list)
      throw new KestrelError("KESTREL_E_GATEWAY_UNAVAILABLE", "audit log cannot be read here");
    const fromSeq = msg.fromSeq ?? 1;
    const limit = msg.limit ?? 100;
    // Reading the audit log is itself audited (after the page is taken, so it is not in its own page).
    const entries = this.d.audit.list({ fromSeq, limit });
    await this.d.audit.append(
      this.base(s, "audit.read", { params: { fromSeq, limit }, resultCount: entries.length }),
    );
    const last = entries.at(-1) as { seq?: number } | undefined;
    const reply: AuditEntriesMessage = { type: "audit", id: msg.id, entries };
    if (entries.length === limit && last?.seq !== undefined) reply.next = last.seq + 1;
    s.send(reply);
  }

  private async auditVerify(s: Session, msg: Msg<"audit.verify">): Promise<void> {
    await this.permit(s, "audit.read", "audit.verify");
    if (!this.d.audit.verify)
      throw new KestrelError("KESTREL_E_GATEWAY_UNAVAILABLE", "audit log cannot be verified here");
    const v = this.d.audit.verify();
    await this.d.audit.append(this.base(s, "audit.verify", { params: { ok: v.ok, entries: v.entries } }));
    const reply: AuditVerifyMessage = { type: "audit.verified", id: msg.id, ok: v.ok, entries: v.entries };
    if (v.break) reply.brokenAt = v.break.seq;
    s.send(reply);
  }
}

function normaliseSelector(q: QuerySelector): QuerySelector {
  switch (q.kind) {
    case "plate":
    case "convoy": {
      const p = normaliseVrm(q.plate);
      if (p instanceof KestrelError) throw p;
      return { ...q, plate: p };
    }
    case "partial": {
      const p = normalisePattern(q.pattern);
      if (p instanceof KestrelError) throw p;
      return { kind: "partial", pattern: p };
    }
    default:
      return q;
  }
}
