import type { Command } from "commander";
import { issueToken, loadOrCreateSecret, parseDurationMs, secretPath } from "../access/tokens.js";
import { type AccessCliOptions, withAccess } from "./access-env.js";

/** `kestrel token issue|revoke|list`: signed, expiring bearer tokens for the gateway. */
export function registerToken(program: Command): void {
  const token = program.command("token").description("gateway bearer tokens");
  const common = (c: Command) =>
    c
      .option("-c, --config <file>", "configuration file")
      .option("-d, --data-dir <dir>", "data directory (default: store.dataDir)")
      .option("--json", "print JSON");

  common(
    token
      .command("issue")
      .description("issue a token; prints it on stdout")
      .requiredOption("-u, --user <name>", "user")
      .option("--ttl <duration>", "lifetime, e.g. 8h, 30m, 2d", "8h"),
  ).action(async (opts: AccessCliOptions & { user: string; ttl: string }) => {
    const ttlMs = parseDurationMs(opts.ttl);
    await withAccess(opts, async ({ config, access, audit, actor }) => {
      const secret = loadOrCreateSecret(secretPath(config));
      const issued = await issueToken(access, secret, opts.user, ttlMs);
      await audit.append({
        actor,
        role: "admin",
        action: "token.issue",
        outcome: "ok",
        params: { user: opts.user, jti: issued.record.jti, expiresAtMs: issued.record.expiresAtMs },
      });
      process.stdout.write(
        opts.json ? `${JSON.stringify({ token: issued.token, ...issued.record })}\n` : `${issued.token}\n`,
      );
    });
  });

  common(
    token.command("revoke <jti>").description("revoke a token by its id: open connections using it close"),
  ).action(async (jti: string, opts: AccessCliOptions) => {
    await withAccess(opts, async ({ access, audit, actor }) => {
      const t = access.revokeToken(jti);
      await audit.append({
        actor,
        role: "admin",
        action: "token.revoke",
        outcome: "ok",
        params: { user: t.user, jti },
      });
      process.stdout.write(opts.json ? `${JSON.stringify(t)}\n` : `revoked ${jti} (${t.user})\n`);
    });
  });

  common(
    token
      .command("list")
      .description("list issued tokens (ids, never the tokens)")
      .option("-u, --user <name>", "only this user"),
  ).action(async (opts: AccessCliOptions & { user?: string }) => {
    await withAccess(opts, ({ access }) => {
      const tokens = access.listTokens(opts.user);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(tokens)}\n`);
        return;
      }
      for (const t of tokens) {
        const state =
          t.revokedAtMs !== undefined ? "revoked" : t.expiresAtMs <= Date.now() ? "expired" : "valid";
        process.stdout.write(
          `${t.jti} ${t.user.padEnd(20)} ${new Date(t.expiresAtMs).toISOString()} ${state}\n`,
        );
      }
    });
  });
}
