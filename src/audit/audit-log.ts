import { createHash } from "node:crypto";
import type { Database, RootDatabase } from "lmdb";
import { KestrelError } from "../errors/index.js";
import { openEnvironment } from "../store/environment.js";
import { auditEntries, auditWriteFailures } from "../store/metrics.js";

/**
 * The tamper-evident audit log: an append-only named database ("audit") in the store's LMDB environment.
 * Entry n is stored under its sequence number (8-byte big-endian) as `hash ‖ "\n" ‖ body`, where body is
 * the entry's JSON (holding `seq` and the previous entry's hash, `prevHash`) and hash = SHA-256(body) in hex.
 * The head (last seq and hash) is kept in "audit-meta", written in the same transaction, so removing
 * entries from the end is detected too. Read retention never touches either database.
 */

export const GENESIS_HASH = "0".repeat(64);

export interface AuditInput {
  /** User id of who acted (or "system"). */
  actor: string;
  role: string;
  /** What was done: "query.plate", "image.view", "authorisation.grant", "legal-hold.set", ... */
  action: string;
  purpose?: string | null;
  caseRef?: string | null;
  authorisationId?: string | null;
  /** The query's parameters, as asked. */
  params?: Record<string, unknown>;
  /** Records returned (null for actions that return none). */
  resultCount?: number | null;
  /** "ok", "refused", "partial" (some results withheld), "error". */
  outcome: string;
  /** Why it was refused or withheld. */
  reason?: string | null;
  /** Reads disclosed (for image views and small results). */
  readIds?: string[];
  /** When, ms since epoch UTC; default now. */
  timeMs?: number;
}

export interface AuditEntry extends AuditInput {
  seq: number;
  timeMs: number;
  prevHash: string;
  hash: string;
}

export type AuditBreakKind = "altered" | "removed" | "inserted" | "malformed";

export interface AuditBreak {
  /** Sequence number where the chain breaks (the first entry that cannot be trusted, or the missing one). */
  seq: number;
  kind: AuditBreakKind;
  detail: string;
}

export interface AuditVerifyResult {
  ok: boolean;
  /** Entries walked. */
  entries: number;
  headSeq: number;
  headHash: string;
  break?: AuditBreak;
}

interface Head {
  seq: number;
  hash: string;
}

const HEAD_KEY = "head";

export class AuditLog {
  private readonly root: RootDatabase;
  private readonly entries: Database<string, Buffer>;
  private readonly meta: Database<Head, string>;
  private readonly ownsRoot: boolean;
  private pending = new Set<Promise<unknown>>();

  private constructor(root: RootDatabase, ownsRoot: boolean) {
    this.root = root;
    this.ownsRoot = ownsRoot;
    this.entries = root.openDB({ name: "audit", keyEncoding: "binary", encoding: "string" }) as Database<
      string,
      Buffer
    >;
    this.meta = root.openDB({ name: "audit-meta", encoding: "msgpack" }) as Database<Head, string>;
  }

  /** Opens the audit log in an environment, or in its own under `dataDir` (for `kestrel audit verify`). */
  static open(options: { root?: RootDatabase; dataDir?: string; mapSizeGiB?: number }): AuditLog {
    if (options.root) return new AuditLog(options.root, false);
    if (!options.dataDir) throw new KestrelError("KESTREL_E_INTERNAL", "AuditLog.open needs root or dataDir");
    return new AuditLog(
      openEnvironment({ dataDir: options.dataDir, mapSizeGiB: options.mapSizeGiB ?? 64 }),
      true,
    );
  }

  /**
   * Appends an entry and resolves once it is committed and flushed to disk: the gateway awaits this before
   * it returns any result ("written to the audit log first"). Rejects with KESTREL_E_AUDIT_WRITE on failure.
   */
  append(input: AuditInput): Promise<AuditEntry> {
    const p = this.doAppend(input);
    this.pending.add(p);
    p.finally(() => this.pending.delete(p)).catch(() => undefined);
    return p;
  }

  private async doAppend(input: AuditInput): Promise<AuditEntry> {
    if (!input || typeof input.actor !== "string" || typeof input.action !== "string") {
      auditWriteFailures.inc();
      throw new KestrelError("KESTREL_E_AUDIT_WRITE", "entry needs an actor and an action");
    }
    try {
      const entry = await this.root.transaction(() => {
        const head = this.meta.get(HEAD_KEY) ?? { seq: 0, hash: GENESIS_HASH };
        const seq = head.seq + 1;
        const body = JSON.stringify({
          seq,
          timeMs: input.timeMs ?? Date.now(),
          prevHash: head.hash,
          actor: input.actor,
          role: input.role,
          action: input.action,
          purpose: input.purpose ?? null,
          caseRef: input.caseRef ?? null,
          authorisationId: input.authorisationId ?? null,
          params: input.params ?? {},
          resultCount: input.resultCount ?? null,
          outcome: input.outcome,
          reason: input.reason ?? null,
          readIds: input.readIds ?? [],
        });
        const hash = sha256(body);
        this.entries.put(seqKey(seq), `${hash}\n${body}`);
        this.meta.put(HEAD_KEY, { seq, hash });
        return { ...(JSON.parse(body) as Omit<AuditEntry, "hash">), hash };
      });
      await this.root.flushed;
      auditEntries.inc();
      return entry;
    } catch (cause) {
      auditWriteFailures.inc();
      throw new KestrelError("KESTREL_E_AUDIT_WRITE", String((cause as Error)?.message ?? cause), { cause });
    }
  }

  /** Resolves when every append started so far has finished. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  head(): Head {
    return this.meta.get(HEAD_KEY) ?? { seq: 0, hash: GENESIS_HASH };
  }

  count(): number {
    return (this.entries.getStats() as { entryCount: number }).entryCount;
  }

  /** Entries in order from `fromSeq` (default 1), at most `limit` (default 100, max 1000). */
  list(options: { fromSeq?: number; limit?: number } = {}): AuditEntry[] {
    const limit = Math.min(Math.max(1, options.limit ?? 100), 1000);
    const out: AuditEntry[] = [];
    for (const { value } of this.entries.getRange({
      start: seqKey(Math.max(1, options.fromSeq ?? 1)),
      limit,
    })) {
      const parsed = parseStored(value);
      if (parsed) out.push({ ...(parsed.entry as unknown as AuditEntry), hash: parsed.hash });
    }
    return out;
  }

  /**
   * Walks the whole chain and reports the first place it breaks: an entry whose content no longer matches
   * its hash or whose predecessor was replaced ("altered"), a gap or a missing tail ("removed"), an entry
   * that was not appended through the log ("inserted"), or one that cannot be parsed ("malformed").
   */
  verify(): AuditVerifyResult {
    const head = this.head();
    let prevHash = GENESIS_HASH;
    let prevPrevHash: string | undefined;
    let expected = 1;
    let walked = 0;
    const fail = (b: AuditBreak): AuditVerifyResult => ({
      ok: false,
      entries: walked,
      headSeq: head.seq,
      headHash: head.hash,
      break: b,
    });
    for (const { key, value } of this.entries.getRange({})) {
      walked++;
      const k = Buffer.from(key);
      if (k.length !== 8) {
        return fail({
          seq: expected,
          kind: "inserted",
          detail: `a foreign entry sits after entry ${expected - 1}`,
        });
      }
      const seq = k.readUInt32BE(0) * 2 ** 32 + k.readUInt32BE(4);
      const parsed = parseStored(value);
      if (!parsed) return fail({ seq, kind: "malformed", detail: `entry ${seq} cannot be parsed` });
      const { hash, body, entry } = parsed;
      if (sha256(body) !== hash) {
        return fail({ seq, kind: "altered", detail: `entry ${seq} does not match its hash` });
      }
      if (seq > expected) {
        return fail({
          seq: expected,
          kind: "removed",
          detail:
            seq === expected + 1
              ? `entry ${expected} is missing`
              : `entries ${expected}-${seq - 1} are missing`,
        });
      }
      if (entry.prevHash !== prevHash) {
        if (entry.prevHash === prevPrevHash) {
          return fail({
            seq: seq - 1,
            kind: "inserted",
            detail: `entry ${seq - 1} was inserted: entry ${seq} chains to the entry before it`,
          });
        }
        if (entry.seq !== seq) {
          return fail({ seq, kind: "removed", detail: `entries were removed and renumbered before ${seq}` });
        }
        return fail({
          seq: seq - 1,
          kind: "altered",
          detail: `entry ${seq - 1} was replaced: entry ${seq} does not chain to it`,
        });
      }
      if (entry.seq !== seq) {
        return fail({ seq, kind: "altered", detail: `entry ${seq} claims to be entry ${String(entry.seq)}` });
      }
      prevPrevHash = prevHash;
      prevHash = hash;
      expected = seq + 1;
    }
    const last = expected - 1;
    if (last < head.seq) {
      return fail({
        seq: last + 1,
        kind: "removed",
        detail: `the log ends at ${last} but its head is ${head.seq}: entries ${last + 1}-${head.seq} are missing`,
      });
    }
    if (last > head.seq) {
      return fail({
        seq: head.seq + 1,
        kind: "inserted",
        detail: `entries after the head ${head.seq} were added`,
      });
    }
    if (last > 0 && prevHash !== head.hash) {
      return fail({ seq: last, kind: "altered", detail: `entry ${last} does not match the recorded head` });
    }
    return { ok: true, entries: walked, headSeq: head.seq, headHash: head.hash };
  }

  /** Closes the environment if this log opened its own. */
  async close(): Promise<void> {
    await this.settled();
    if (this.ownsRoot) await this.root.close();
  }
}

export function seqKey(seq: number): Buffer {
  const key = Buffer.allocUnsafe(8);
  key.writeUInt32BE(Math.floor(seq / 2 ** 32), 0);
  key.writeUInt32BE(seq >>> 0, 4);
  return key;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function parseStored(
  value: unknown,
):
  | { hash: string; body: string; entry: Record<string, unknown> & { seq?: unknown; prevHash?: unknown } }
  | undefined {
  if (typeof value !== "string") return undefined;
  const nl = value.indexOf("\n");
  if (nl !== 64) return undefined;
  const body = value.slice(nl + 1);
  try {
    const entry = JSON.parse(body) as Record<string, unknown>;
    if (!entry || typeof entry !== "object") return undefined;
    return { hash: value.slice(0, nl), body, entry };
  } catch {
    return undefined;
  }
}
