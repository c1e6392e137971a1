import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Database, RootDatabase } from "lmdb";
import type { Role } from "../config/schema.js";
import { KestrelError } from "../errors/index.js";
import type { Authorisation } from "./authorisations.js";

/** A person who may connect to the gateway. Names are opaque identifiers (collar numbers, staff ids). */
export interface User {
  name: string;
  role: Role;
  /** Trained in ANPR searching: required for queries, images and authorisation requests. */
  trained: boolean;
  disabled: boolean;
  createdAtMs: number;
  disabledAtMs?: number;
}

/** A token issued to a user; kept so it can be listed and revoked before it expires. */
export interface TokenRecord {
  jti: string;
  user: string;
  issuedAtMs: number;
  expiresAtMs: number;
  revokedAtMs?: number;
}

export const USER_NAME = /^[A-Za-z0-9._@-]{1,64}$/;

/**
 * Users, issued tokens and authorisations, in named databases of Kestrel's one LMDB environment.
 * Every change bumps a revision counter: the gateway polls it so that a user disabled or a token revoked
 * from another process (the `kestrel` CLI) closes open connections within one poll, and listens to the
 * `change` event for changes made in its own process, which apply at once.
 */
export class AccessStore extends EventEmitter<{ change: [] }> {
  private readonly users: Database<User, string>;
  private readonly tokens: Database<TokenRecord, string>;
  private readonly auths: Database<Authorisation, string>;
  private readonly meta: Database<number, string>;

  constructor(private readonly env: RootDatabase) {
    super();
    this.users = env.openDB<User, string>({ name: "access-users" });
    this.tokens = env.openDB<TokenRecord, string>({ name: "access-tokens" });
    this.auths = env.openDB<Authorisation, string>({ name: "access-authorisations" });
    this.meta = env.openDB<number, string>({ name: "access-meta" });
  }

  /** Revision of the access data; changes whenever a user, token or authorisation changes. */
  revision(): number {
    this.env.resetReadTxn();
    return this.meta.get("rev") ?? 0;
  }

  private bump(): void {
    this.meta.putSync("rev", (this.meta.get("rev") ?? 0) + 1);
  }

  private write<T>(fn: () => T): T {
    const out = this.env.transactionSync(() => {
      const r = fn();
      this.bump();
      return r;
    });
    this.emit("change");
    return out;
  }

  addUser(name: string, role: Role, trained: boolean, nowMs = Date.now()): User {
    if (!USER_NAME.test(name)) {
      throw new KestrelError("KESTREL_E_USER_INVALID", "1-64 letters, digits, '.', '_', '@' or '-'");
    }
    return this.write(() => {
      if (this.users.get(name)) throw new KestrelError("KESTREL_E_USER_EXISTS", name, { details: { name } });
      const user: User = { name, role, trained, disabled: false, createdAtMs: nowMs };
      this.users.putSync(name, user);
      return user;
    });
  }

  getUser(name: string): User | undefined {
    return this.users.get(name);
  }

  listUsers(): User[] {
    return [...this.users.getRange({})].map((e) => e.value);
  }

  /** Disables a user: every token of theirs stops working and their open connections are closed. */
  disableUser(name: string, nowMs = Date.now()): User {
    return this.write(() => {
      const user = this.users.get(name);
      if (!user) throw new KestrelError("KESTREL_E_USER_UNKNOWN", name, { details: { name } });
      const next: User = { ...user, disabled: true, disabledAtMs: user.disabledAtMs ?? nowMs };
      this.users.putSync(name, next);
      return next;
    });
  }

  recordToken(record: TokenRecord): void {
    this.write(() => this.tokens.putSync(record.jti, record));
  }

  getToken(jti: string): TokenRecord | undefined {
    return this.tokens.get(jti);
  }

  listTokens(user?: string): TokenRecord[] {
    return [...this.tokens.getRange({})].map((e) => e.value).filter((t) => !user || t.user === user);
  }

  revokeToken(jti: string, nowMs = Date.now()): TokenRecord {
    return this.write(() => {
      const token = this.tokens.get(jti);
      if (!token) throw new KestrelError("KESTREL_E_AUTH_UNKNOWN_TOKEN", "no token with that id");
      const next = { ...token, revokedAtMs: token.revokedAtMs ?? nowMs };
      this.tokens.putSync(jti, next);
      return next;
    });
  }

  putAuthorisation(auth: Authorisation): void {
    this.write(() => this.auths.putSync(auth.id, auth));
  }

  getAuthorisation(id: string): Authorisation | undefined {
    return this.auths.get(id);
  }

  listAuthorisations(): Authorisation[] {
    return [...this.auths.getRange({})].map((e) => e.value);
  }

  newId(): string {
    return randomUUID();
  }
}
