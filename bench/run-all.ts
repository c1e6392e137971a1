// `npm run bench`: runs every bench/*.bench.ts in turn, each in its own process so one benchmark's memory
// and JIT state cannot colour the next. Pass names to run a subset: `npm run bench -- hotlist store`.
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();
for (const file of benches) {
  process.stdout.write(`\n== ${file} ==\n`);
  execFileSync(process.execPath, ["--import", "tsx", join(here, file)], { stdio: "inherit" });
}
