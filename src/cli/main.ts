#!/usr/bin/env node
import { Command } from "commander";
import { isKestrelError } from "../errors/index.js";
import { registerAudit } from "./audit.js";
import { registerDoctor } from "./doctor.js";
import { registerHotlist } from "./hotlist.js";
import { registerQuery } from "./query.js";
import { registerRead } from "./read.js";
import { registerRun } from "./run.js";
import { registerStore } from "./store.js";
import { registerSynth } from "./synth.js";
import { registerToken } from "./token.js";
import { registerUser } from "./user.js";
import { registerWatch } from "./watch.js";

/** The `kestrel` command. Each subcommand lives in its own module and registers itself here. */
const program = new Command("kestrel")
  .description("Kestrel ANPR back end: read plates, check hot-lists, store reads, serve tiered access")
  .showHelpAfterError();

registerDoctor(program);
registerAudit(program);
registerStore(program);
registerHotlist(program);
registerRead(program);
registerSynth(program);
registerUser(program);
registerToken(program);
registerQuery(program);
registerRun(program);
registerWatch(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (isKestrelError(err)) {
    process.stderr.write(`${JSON.stringify({ error: err.toJSON() })}\n`);
  } else {
    process.stderr.write(
      `${JSON.stringify({ error: { code: "KESTREL_E_INTERNAL", message: String(err) } })}\n`,
    );
  }
  process.exitCode = 1;
});
