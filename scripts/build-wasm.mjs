// Compiles each WebAssembly kernel module with AssemblyScript: build/<name>.wasm (release, SIMD) and
// build/<name>.scalar.wasm (no SIMD: the same source, for hosts without SIMD and for comparison).
// Each module lists the extra compiler flags it needs (memory layout, shared memory) here.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";

const MODULES = {
  probe: ["--initialMemory", "1"],
  // One imported memory per table revision, sized by the host once and never grown (views stay valid).
  hotlist: ["--importMemory", "--initialMemory", "2"],
  classifier: ["--initialMemory", "16"],
  // RECOGNISE_MEMORY_PAGES in assembly/shared/constants.ts: a fixed shared memory the host imports
  recognise: [
    "--importMemory",
    "--sharedMemory",
    "--initialMemory",
    "768",
    "--maximumMemory",
    "768",
    "--enable",
    "threads",
  ],
};

const targets = process.argv.includes("--debug") ? ["debug"] : ["release", "scalar"];
mkdirSync("build", { recursive: true });
for (const [name, flags] of Object.entries(MODULES)) {
  for (const target of targets) {
    const suffix = target === "release" ? "" : `.${target}`;
    const out = `build/${name}${suffix}.wasm`;
    execFileSync("npx", ["asc", `assembly/${name}.ts`, "--target", target, "-o", out, ...flags], {
      stdio: "inherit",
    });
  }
}
