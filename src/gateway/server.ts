import { readFileSync } from "node:fs";
import type {
  HttpRequest,
  HttpResponse,
  TemplatedApp,
  us_listen_socket,
  WebSocket,
} from "@trufflesuite/uws-js-unofficial";
import { AccessStore } from "../access/access-store.js";
import { checkTiers } from "../access/policy.js";
import { checkIdentity, loadOrCreateSecret, secretPath, verifyToken } from "../access/tokens.js";
import type { KestrelConfig, Role } from "../config/schema.js";
import { isKestrelError, KestrelError } from "../errors/index.js";
import { logger } from "../log/index.js";
import { registry } from "../metrics/registry.js";
import { openEnvironment } from "../store/environment.js";
import { AlertFanout } from "./alerts.js";
import { Handlers } from "./handlers.js";
import { gatewayMetrics } from "./metrics.js";
import type { AuditPort, ReadQueryPort } from "./ports.js";
import { CLOSE, PROTOCOL, type WelcomeMessage, WS_PATH } from "./protocol.js";
import { RateLimiter } from "./rate-limit.js";
import { Session } from "./session.js";
import { uws } from "./uws.js";

export interface GatewayOptions {
  config: KestrelConfig;
  /** The audit log: every query, result count, image view, refusal and authorisation is appended first. */
  audit: AuditPort;
  /** The read store's query side; without it queries and images answer KESTREL_E_GATEWAY_UNAVAILABLE. */
  store?: ReadQueryPort;
  /** Users, tokens and authorisations; opened on the store's LMDB environment when absent. */
  access?: AccessStore;
  /** Token-signing secret; read (or created) from config.gateway.secretFile or <dataDir>/token-secret when absent. */
  secret?: Uint8Array;
  /** Overrides config.gateway.port (0 picks a free port). */
  port?: number;
  /** The clock for token expiry and record ages (tests move it). */
  nowMs?: () => number;
  /** How often open connections are re-checked against changes made by other processes. */
  accessPollMs?: number;
}

export interface Gateway {
  port: number;
  /** Feed this to the hot-list service: live alerts fan out to subscribers. */
  alertSink: AlertFanout;
  access: AccessStore;
  /** Number of open WebSocket connections. */
  connections(): number;
  /** Re-checks every open connection's token and user now (also done on every access change). */
  revalidate(): void;
  close(): Promise<void>;
}

type UserData = { session: Session };

/**
 * Starts the gateway: the versioned WebSocket endpoint (/v1/ws), /healthz, /readyz and /metrics on one
 * uWS app (SSLApp when config.gateway.tls is set). Tokens are checked on upgrade; disabled users and
 * revoked or expired tokens are cut off on open connections too.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config } = options;
  const log = logger("gateway");
  const nowMs = options.nowMs ?? Date.now;
  const tierProblem = checkTiers(config.access.tiers);
  if (tierProblem) throw new KestrelError("KESTREL_E_CONFIG_INVALID", tierProblem);

  let env: ReturnType<typeof openEnvironment> | undefined;
  let access = options.access;
  if (!access) {
    env = openEnvironment({ dataDir: config.store.dataDir, mapSizeGiB: config.store.mapSizeGiB });
    access = new AccessStore(env);
  }
  const accessStore = access;
  const secret = options.secret ?? loadOrCreateSecret(secretPath(config));
  const gw = config.gateway;

  const cameraLocations = new Map<string, string>();
  for (const c of config.cameras) if (c.location !== undefined) cameraLocations.set(c.id, c.location);
  const locationRoles = new Set<Role>(config.access.locationRoles);
  const fanout = new AlertFanout({
    maxBufferedBytes: gw.maxBackpressureBytes,
    locationRoles,
    cameraLocations,
  });
  const sessions = new Set<Session>();
  const limiter = new RateLimiter(gw.rateLimitPerMinute);
  const handlers = new Handlers({
    config,
    access: accessStore,
    audit: options.audit,
    store: options.store,
    fanout,
    nowMs,
    locationRoles,
    cameraLocations,
  });
  let nextConnId = 1;
  let shuttingDown = false;

  const mod = uws();
  const app: TemplatedApp = gw.tls
    ? mod.SSLApp({ key_file_name: gw.tls.keyFile, cert_file_name: gw.tls.certFile })
    : mod.App();

  if (gw.tls) {
    // uWS does not report unreadable key files; check up front so start-up names the file.
    for (const f of [gw.tls.keyFile, gw.tls.certFile]) {
      try {
        readFileSync(f);
      } catch (cause) {
        throw new KestrelError("KESTREL_E_CONFIG_INVALID", `gateway.tls: cannot read ${f}`, {
          cause,
          details: { file: f },
        });
      }
    }
  }

  app.ws<UserData>(WS_PATH, {
    // uWS closes a connection that sends more than maxPayloadLength; the protocol limit is checked in the
    // handler instead, so an oversize message gets an error reply and the connection stays usable.
    maxPayloadLength: Math.max(gw.maxMessageBytes * 4, 1024 * 1024),
    maxBackpressure: gw.maxBackpressureBytes * 4,
    closeOnBackpressureLimit: 0,
    idleTimeout: 120,
    sendPingsAutomatically: true,

    upgrade: (res, req, context) => {
      const key = req.getHeader("sec-websocket-key");
      const protocols = req.getHeader("sec-websocket-protocol");
      const extensions = req.getHeader("sec-websocket-extensions");
      const token = extractToken(req, protocols);
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      const refuse = async (err: KestrelError) => {
        gatewayMetrics.authFailures.inc({ reason: err.code });
        // Refused before anyone is known: the claimed identity is not trusted, so none is recorded.
        await options.audit
          .append({
            timeMs: nowMs(),
            actor: "(unauthenticated)",
            role: "-",
            action: "connect",
            outcome: "refused",
            reason: err.code,
          })
          .catch((e: unknown) => log.error({ err: e }, "audit append failed"));
        if (aborted) return;
        res.cork(() => {
          res
            .writeStatus(
              err.code === "KESTREL_E_AUTH_MISSING" || err.code === "KESTREL_E_AUTH_INVALID"
                ? "401 Unauthorized"
                : "403 Forbidden",
            )
            .writeHeader("content-type", "application/json")
            .end(JSON.stringify({ error: err.toJSON() }));
        });
      };
      if (shuttingDown) {
        res.cork(() => res.writeStatus("503 Service Unavailable").end());
        return;
      }
      if (!token) {
        void refuse(new KestrelError("KESTREL_E_AUTH_MISSING"));
        return;
      }
      verifyToken(accessStore, secret, token, nowMs()).then(
        (identity) => {
          if (aborted) return;
          const session = new Session(
            nextConnId++,
            identity.user.name,
            identity.user.role,
            identity.user.trained,
            identity.jti,
            identity.expiresAtMs,
          );
          const offered = protocols.split(",").map((p) => p.trim());
          res.cork(() => {
            res.upgrade<UserData>(
              { session },
              key,
              offered.includes(PROTOCOL) ? PROTOCOL : "",
              extensions,
              context,
            );
          });
        },
        (err: unknown) => void refuse(isKestrelError(err) ? err : new KestrelError("KESTREL_E_AUTH_INVALID")),
      );
    },

    open: (ws: WebSocket<UserData>) => {
      const { session } = ws.getUserData();
      session.ws = ws;
      sessions.add(session);
      fanout.add(session);
      gatewayMetrics.connections.inc();
      const welcome: WelcomeMessage = {
        type: "welcome",
        protocol: PROTOCOL,
        user: session.user,
        role: session.role,
        trained: session.trained,
        limits: { maxMessageBytes: gw.maxMessageBytes, rateLimitPerMinute: gw.rateLimitPerMinute },
      };
      session.send(welcome);
      // The user may have been disabled between the token check and now.
      revalidateSession(session);
    },

    message: (ws: WebSocket<UserData>, message: ArrayBuffer) => {
      const { session } = ws.getUserData();
      gatewayMetrics.messagesReceived.inc();
      const byteLength = message.byteLength;
      // The ArrayBuffer is only valid during this callback: decode now (or not at all if oversize).
      const text = byteLength > gw.maxMessageBytes ? "" : Buffer.from(message).toString("utf8");
      if (!limiter.take(session.user, Date.now())) {
        handlers.replyError(
          session,
          undefined,
          new KestrelError("KESTREL_E_PROTO_RATE", `${gw.rateLimitPerMinute} a minute`),
        );
        return;
      }
      handlers.dispatch(session, text, byteLength);
    },

    drain: (ws: WebSocket<UserData>) => {
      fanout.drained(ws.getUserData().session);
    },

    close: (ws: WebSocket<UserData>) => {
      const { session } = ws.getUserData();
      session.closed = true;
      sessions.delete(session);
      fanout.remove(session);
      gatewayMetrics.connections.dec();
    },
  });

  app.get("/healthz", (res) => {
    res.writeHeader("content-type", "application/json").end(JSON.stringify({ ok: true }));
  });

  app.get("/readyz", (res) => {
    const reasons: string[] = [];
    if (shuttingDown) reasons.push("shutting down");
    if (!options.store) reasons.push("read store not attached");
    reasons.push(...(options.store?.notReadyReasons?.() ?? []));
    res
      .writeStatus(reasons.length === 0 ? "200 OK" : "503 Service Unavailable")
      .writeHeader("content-type", "application/json")
      .end(JSON.stringify({ ready: reasons.length === 0, reasons }));
  });

  app.get("/metrics", (res) => serveMetrics(res));

  app.any("/*", (res) => {
    res.writeStatus("404 Not Found").end();
  });

  const listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
    app.listen(gw.host, options.port ?? gw.port, (s) => {
      if (s) resolve(s);
      else
        reject(
          new KestrelError(
            "KESTREL_E_CONFIG_INVALID",
            `gateway cannot listen on ${gw.host}:${options.port ?? gw.port}`,
            {
              details: { host: gw.host, port: options.port ?? gw.port },
            },
          ),
        );
    });
  });
  const port = mod.us_socket_local_port(
    listenSocket as unknown as Parameters<typeof mod.us_socket_local_port>[0],
  );

  function revalidateSession(s: Session): void {
    try {
      const identity = checkIdentity(accessStore, s.user, s.jti, s.tokenExpiresAtMs, nowMs());
      s.role = identity.user.role;
      s.trained = identity.user.trained;
    } catch (err) {
      const code = isKestrelError(err) ? err.code : "KESTREL_E_AUTH_INVALID";
      gatewayMetrics.authFailures.inc({ reason: code });
      s.end(code === "KESTREL_E_AUTH_REVOKED" ? CLOSE.revoked : CLOSE.expired, code);
    }
  }

  const revalidate = () => {
    for (const s of [...sessions]) revalidateSession(s);
  };
  accessStore.on("change", revalidate);
  let lastRevision = accessStore.revision();
  const poll = setInterval(() => {
    const rev = accessStore.revision();
    const expiring = [...sessions].some((s) => nowMs() >= s.tokenExpiresAtMs);
    if (rev !== lastRevision || expiring) {
      lastRevision = rev;
      revalidate();
    }
  }, options.accessPollMs ?? 500);
  poll.unref();

  log.info({ host: gw.host, port, tls: Boolean(gw.tls), path: WS_PATH }, "gateway listening");

  return {
    port,
    alertSink: fanout,
    access: accessStore,
    connections: () => sessions.size,
    revalidate,
    close: async () => {
      if (shuttingDown) return;
      shuttingDown = true;
      clearInterval(poll);
      accessStore.off("change", revalidate);
      mod.us_listen_socket_close(listenSocket);
      for (const s of [...sessions]) s.end(CLOSE.shutdown, "shutting down");
      await handlers.idle();
      if (env) await env.close();
    },
  };
}

/** Bearer token from the Authorization header, a `bearer.<token>` subprotocol, or `?token=`. */
function extractToken(req: HttpRequest, protocols: string): string | undefined {
  const auth = req.getHeader("authorization");
  const m = /^Bearer\s+(\S+)$/i.exec(auth);
  if (m) return m[1];
  for (const p of protocols.split(",")) {
    const t = p.trim();
    if (t.startsWith("bearer.")) return t.slice("bearer.".length);
  }
  const q = req.getQuery("token");
  return q ? q : undefined;
}

function serveMetrics(res: HttpResponse): void {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  registry.metrics().then(
    (text) => {
      if (aborted) return;
      res.cork(() => res.writeHeader("content-type", registry.contentType).end(text));
    },
    () => {
      if (aborted) return;
      res.cork(() => res.writeStatus("500 Internal Server Error").end());
    },
  );
}
