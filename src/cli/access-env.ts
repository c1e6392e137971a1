import { userInfo } from "node:os";
import { resolve } from "node:path";
import { AccessStore } from "../access/access-store.js";
import { AuditLog } from "../audit/audit-log.js";
import { loadConfig } from "../config/index.js";
import type { KestrelConfig } from "../config/schema.js";
import { openEnvironment } from "../store/environment.js";

export interface AccessCliOptions {
  config?: string;
  dataDir?: string;
  json?: boolean;
}

/**
 * Opens users, tokens and the audit log for the `kestrel user` and `kestrel token` commands. They share
 * the LMDB environment with a running gateway, which notices changes within its poll interval.
 */
export async function withAccess<T>(
  opts: AccessCliOptions,
  fn: (ctx: { config: KestrelConfig; access: AccessStore; audit: AuditLog; actor: string }) => Promise<T> | T,
): Promise<T> {
  const config = loadConfig({ file: opts.config });
  if (opts.dataDir) config.store.dataDir = opts.dataDir;
  config.store.dataDir = resolve(config.store.dataDir);
  const env = openEnvironment({ dataDir: config.store.dataDir, mapSizeGiB: config.store.mapSizeGiB });
  const audit = AuditLog.open({ root: env });
  try {
    return await fn({ config, access: new AccessStore(env), audit, actor: `os:${userInfo().username}` });
  } finally {
    await audit.settled();
    await env.close();
  }
}
