import type { Command } from "commander";
import { roleSchema } from "../config/schema.js";
import { KestrelError } from "../errors/index.js";
import { type AccessCliOptions, withAccess } from "./access-env.js";

/** `kestrel user add|disable|list`: who may connect to the gateway, with which role. */
export function registerUser(program: Command): void {
  const user = program.command("user").description("gateway users and their roles");
  const common = (c: Command) =>
    c
      .option("-c, --config <file>", "configuration file")
      .option("-d, --data-dir <dir>", "data directory (default: store.dataDir)")
      .option("--json", "print JSON");

  common(
    user
      .command("add <name>")
      .description(`add a user; roles: ${roleSchema.options.join(", ")}`)
      .requiredOption("-r, --role <role>", "role")
      .option("--trained", "trained in ANPR searching (needed for queries)"),
  ).action(async (name: string, opts: AccessCliOptions & { role: string; trained?: boolean }) => {
    const role = roleSchema.safeParse(opts.role);
    if (!role.success) {
      throw new KestrelError(
        "KESTREL_E_INPUT_INVALID",
        `role must be one of ${roleSchema.options.join(", ")}`,
      );
    }
    await withAccess(opts, async ({ access, audit, actor }) => {
      const u = access.addUser(name, role.data, Boolean(opts.trained));
      await audit.append({
        actor,
        role: "admin",
        action: "user.add",
        outcome: "ok",
        params: { name, role: u.role, trained: u.trained },
      });
      process.stdout.write(
        opts.json ? `${JSON.stringify(u)}\n` : `added ${u.name} (${u.role}${u.trained ? ", trained" : ""})\n`,
      );
    });
  });

  common(
    user
      .command("disable <name>")
      .description("disable a user: their tokens stop working and connections close"),
  ).action(async (name: string, opts: AccessCliOptions) => {
    await withAccess(opts, async ({ access, audit, actor }) => {
      const u = access.disableUser(name);
      await audit.append({ actor, role: "admin", action: "user.disable", outcome: "ok", params: { name } });
      process.stdout.write(opts.json ? `${JSON.stringify(u)}\n` : `disabled ${u.name}\n`);
    });
  });

  common(user.command("list").description("list users")).action(async (opts: AccessCliOptions) => {
    await withAccess(opts, ({ access }) => {
      const users = access.listUsers();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(users)}\n`);
        return;
      }
      for (const u of users) {
        process.stdout.write(
          `${u.name.padEnd(20)} ${u.role.padEnd(9)} ${u.trained ? "trained  " : "untrained"} ${u.disabled ? "DISABLED" : "active"}\n`,
        );
      }
    });
  });
}
