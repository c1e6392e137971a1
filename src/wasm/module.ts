import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KestrelError } from "../errors/index.js";
import { BUILD_DIR } from "../paths.js";

/** Compiled kernel modules in build/ (see scripts/build-wasm.mjs). */
export type KernelName = string;

const compiled = new Map<string, WebAssembly.Module>();

/** True when this Node.js validates a module that uses a v128 instruction. */
export function hostSupportsSimd(): boolean {
  // (module (func (result v128) v128.const i32x4 0 0 0 0))
  const bytes = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
  ]);
  return WebAssembly.validate(bytes);
}

export function kernelPath(name: KernelName, simd = hostSupportsSimd()): string {
  return join(BUILD_DIR, simd ? `${name}.wasm` : `${name}.scalar.wasm`);
}

/**
 * The compiled module for a kernel, cached per process. Worker threads receive the Module itself
 * (structured-clonable) so each compiles nothing and instantiates its own memory.
 */
export function kernelModule(name: KernelName, simd = hostSupportsSimd()): WebAssembly.Module {
  const path = kernelPath(name, simd);
  let mod = compiled.get(path);
  if (!mod) {
    try {
      mod = new WebAssembly.Module(readFileSync(path));
    } catch (cause) {
      throw new KestrelError("KESTREL_E_WASM_LOAD", `${path} (run \`npm run build:wasm\`)`, { cause });
    }
    compiled.set(path, mod);
  }
  return mod;
}

/** AssemblyScript's abort import, reported as a JS error with the kernel's message and location. */
export function asImports(memory?: WebAssembly.Memory): WebAssembly.Imports {
  const env: Record<string, WebAssembly.ImportValue> = {
    abort(_msg: number, _file: number, line: number, col: number) {
      throw new Error(`wasm abort at ${line}:${col}`);
    },
    seed: () => Date.now(),
  };
  if (memory) env.memory = memory;
  return { env };
}
