import WebSocket from "ws";
import type { Authorisation } from "../access/authorisations.js";
import type { Purpose } from "../config/schema.js";
import { type ErrorCode, KestrelError } from "../errors/index.js";
import type {
  AlertMessage,
  AuditEntriesMessage,
  AuditVerifyMessage,
  ErrorMessage,
  GapMessage,
  ImageMessage,
  QuerySelector,
  ReplyMessage,
  RequestId,
  ResultMessage,
  ServerMessage,
  WelcomeMessage,
} from "../gateway/protocol.js";
import { PROTOCOL, WS_PATH } from "../gateway/protocol.js";

/** An error reply from the gateway, with its stable code (a KestrelError, so the CLI prints it as one). */
export class GatewayError extends KestrelError {
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, undefined, details ? { details } : {});
    this.name = "GatewayError";
    // The gateway's message already starts with the catalogue text.
    this.message = message;
  }
}

export interface ConnectOptions {
  /** Base URL, e.g. ws://127.0.0.1:8080 (the /v1/ws path is added). */
  url: string;
  token: string;
  /** How to present the token: Authorization header (default), subprotocol or query string. */
  tokenIn?: "header" | "protocol" | "query";
  /** Extra CA certificate (PEM) for TLS to a gateway with a private certificate. */
  ca?: string | Buffer;
  /** How long a request may wait for its reply. */
  requestTimeoutMs?: number;
}

export interface QueryOptions {
  fromMs: number;
  toMs: number;
  purpose: Purpose;
  caseRef: string;
  authorisationId?: string;
  limit?: number;
  cursor?: string;
}

type Pending = { resolve: (m: ReplyMessage) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/**
 * A small typed client for the Kestrel gateway (docs/protocol.md). One WebSocket; requests are matched to
 * replies by id; alerts and gap notices go to the listeners given to onAlert / onGap.
 */
export class KestrelClient {
  readonly welcome: WelcomeMessage;
  private nextId = 1;
  private readonly pending = new Map<RequestId, Pending>();
  private readonly alertListeners: ((m: AlertMessage) => void)[] = [];
  private readonly gapListeners: ((m: GapMessage) => void)[] = [];
  private readonly closeListeners: ((code: number, reason: string) => void)[] = [];
  /** Errors the gateway sent without a request id (for example a message that was not JSON). */
  readonly unsolicitedErrors: ErrorMessage[] = [];
  closeCode: number | undefined;
  closeReason: string | undefined;

  private constructor(
    readonly socket: WebSocket,
    welcome: WelcomeMessage,
    private readonly timeoutMs: number,
  ) {
    this.welcome = welcome;
    socket.on("message", (data) => this.onMessage(String(data)));
    socket.on("close", (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(
          new GatewayError(
            "KESTREL_E_GATEWAY_UNAVAILABLE",
            `connection closed (${code} ${this.closeReason})`,
          ),
        );
      }
      this.pending.clear();
      for (const l of this.closeListeners) l(code, this.closeReason);
    });
  }

  /** Connects and waits for the gateway's welcome. Refusals reject with the gateway's error code. */
  static connect(options: ConnectOptions): Promise<KestrelClient> {
    const base = options.url.replace(/\/+$/, "");
    const how = options.tokenIn ?? "header";
    const url = `${base}${WS_PATH}${how === "query" ? `?token=${encodeURIComponent(options.token)}` : ""}`;
    const protocols = how === "protocol" ? [PROTOCOL, `bearer.${options.token}`] : [PROTOCOL];
    const socket = new WebSocket(url, protocols, {
      headers: how === "header" ? { authorization: `Bearer ${options.token}` } : {},
      ...(options.ca ? { ca: options.ca } : {}),
      maxPayload: 64 * 1024 * 1024,
    });
    return new Promise((resolve, reject) => {
      socket.once("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (c: Buffer) => {
          body += c.toString();
        });
        res.on("end", () => {
          socket.terminate();
          try {
            const e = (JSON.parse(body) as { error: { code: ErrorCode; message: string } }).error;
            reject(new GatewayError(e.code, e.message));
          } catch {
            reject(new GatewayError("KESTREL_E_GATEWAY_UNAVAILABLE", `HTTP ${res.statusCode}`));
          }
        });
      });
      socket.once("error", (err) =>
        reject(new GatewayError("KESTREL_E_GATEWAY_UNAVAILABLE", `gateway unreachable: ${err.message}`)),
      );
      socket.once("message", (data) => {
        const m = JSON.parse(String(data)) as ServerMessage;
        if (m.type !== "welcome") {
          reject(new GatewayError("KESTREL_E_INTERNAL", `expected welcome, got ${m.type}`));
          return;
        }
        socket.removeAllListeners("error");
        socket.on("error", () => {});
        resolve(new KestrelClient(socket, m, options.requestTimeoutMs ?? 30_000));
      });
    });
  }

  onAlert(listener: (m: AlertMessage) => void): void {
    this.alertListeners.push(listener);
  }

  onGap(listener: (m: GapMessage) => void): void {
    this.gapListeners.push(listener);
  }

  onClose(listener: (code: number, reason: string) => void): void {
    this.closeListeners.push(listener);
  }

  private onMessage(text: string): void {
    const m = JSON.parse(text) as ServerMessage;
    if (m.type === "alert") {
      for (const l of this.alertListeners) l(m);
      return;
    }
    if (m.type === "gap") {
      for (const l of this.gapListeners) l(m);
      return;
    }
    if (m.type === "welcome") return;
    const id = (m as { id?: RequestId }).id;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (!p) {
      if (m.type === "error") this.unsolicitedErrors.push(m);
      return;
    }
    this.pending.delete(id!);
    clearTimeout(p.timer);
    if (m.type === "error") p.reject(new GatewayError(m.code, m.message, m.details));
    else p.resolve(m);
  }

  /** Sends a message (an id is added when missing) and resolves with its reply; error replies reject. */
  request<T extends ReplyMessage = ReplyMessage>(
    message: Record<string, unknown> & { type: string },
  ): Promise<T> {
    const id = (message.id as RequestId | undefined) ?? `r${this.nextId++}`;
    return this.requestRaw(JSON.stringify({ ...message, id }), id) as Promise<T>;
  }

  /** Sends text as it is and waits for the reply carrying `id` (for testing malformed input). */
  requestRaw(text: string, id: RequestId): Promise<ReplyMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new GatewayError("KESTREL_E_GATEWAY_UNAVAILABLE", "request timed out"));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.send(text);
    });
  }

  /** Sends text with no id and resolves with the next error the gateway sends without one. */
  sendExpectingUnsolicitedError(text: string): Promise<ErrorMessage> {
    const before = this.unsolicitedErrors.length;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no error reply")), this.timeoutMs);
      const check = (data: WebSocket.RawData) => {
        if (this.unsolicitedErrors.length > before) {
          clearTimeout(timer);
          this.socket.off("message", check);
          resolve(this.unsolicitedErrors[before]!);
        } else void data;
      };
      this.socket.on("message", check);
      this.socket.send(text);
    });
  }

  ping(): Promise<ReplyMessage> {
    return this.request({ type: "ping" });
  }

  async subscribe(
    filter: { lists?: string[]; maxPriority?: number; cameras?: string[] } = {},
  ): Promise<string> {
    const r = await this.request<Extract<ReplyMessage, { type: "subscribed" }>>({
      type: "subscribe",
      ...filter,
    });
    return r.subscriptionId;
  }

  async unsubscribe(subscriptionId: string): Promise<void> {
    await this.request({ type: "unsubscribe", subscriptionId });
  }

  async ack(alertId: string, decision: "accepted" | "rejected", reason?: string): Promise<void> {
    await this.request({ type: "ack", alertId, decision, ...(reason !== undefined ? { reason } : {}) });
  }

  query(query: QuerySelector, options: QueryOptions): Promise<ResultMessage> {
    return this.request<ResultMessage>({ type: "query", query, ...options });
  }

  /** Every page of a query, following cursors. */
  async queryAll(query: QuerySelector, options: QueryOptions): Promise<ResultMessage[]> {
    const pages: ResultMessage[] = [];
    let cursor = options.cursor;
    do {
      const page = await this.query(query, { ...options, ...(cursor !== undefined ? { cursor } : {}) });
      pages.push(page);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return pages;
  }

  image(
    readId: string,
    options: { purpose: Purpose; caseRef: string; authorisationId?: string },
  ): Promise<ImageMessage> {
    return this.request<ImageMessage>({ type: "image", readId, ...options });
  }

  async requestAuthorisation(request: {
    purpose: Purpose;
    caseRef: string;
    justification: string;
    scope: { plates?: string[]; fromMs?: number; toMs?: number };
    expiresAtMs: number;
  }): Promise<Authorisation> {
    const r = await this.request<Extract<ReplyMessage, { type: "authorisation" }>>({
      type: "authorisation.request",
      ...request,
    });
    return r.authorisation;
  }

  async decideAuthorisation(
    authorisationId: string,
    decision: "granted" | "refused",
    reason: string,
  ): Promise<Authorisation> {
    const r = await this.request<Extract<ReplyMessage, { type: "authorisation" }>>({
      type: "authorisation.decide",
      authorisationId,
      decision,
      reason,
    });
    return r.authorisation;
  }

  async listAuthorisations(): Promise<Authorisation[]> {
    const r = await this.request<Extract<ReplyMessage, { type: "authorisations" }>>({
      type: "authorisation.list",
    });
    return r.authorisations;
  }

  auditRead(fromSeq = 0, limit = 100): Promise<AuditEntriesMessage> {
    return this.request<AuditEntriesMessage>({ type: "audit.read", fromSeq, limit });
  }

  auditVerify(): Promise<AuditVerifyMessage> {
    return this.request<AuditVerifyMessage>({ type: "audit.verify" });
  }

  /** Resolves once the connection is closed (by either side). */
  closed(): Promise<{ code: number; reason: string }> {
    if (this.closeCode !== undefined)
      return Promise.resolve({ code: this.closeCode, reason: this.closeReason ?? "" });
    return new Promise((resolve) => this.onClose((code, reason) => resolve({ code, reason })));
  }

  close(): Promise<void> {
    const done = this.closed();
    this.socket.close(1000);
    return done.then(() => undefined);
  }
}
