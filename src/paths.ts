import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package root: the nearest folder above this module with a package.json (works from src/ and dist/). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("package.json not found above Kestrel's modules");
    dir = up;
  }
  return dir;
}

export const PACKAGE_ROOT = findRoot();
export const BUILD_DIR = join(PACKAGE_ROOT, "build");
