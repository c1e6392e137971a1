import { asImports, hostSupportsSimd, kernelModule } from "./module.js";

export interface WasmFeatures {
  hostSimd: boolean;
  buildSimd: boolean;
  /** A byte sum computed in wasm matched the same sum computed in JS. */
  memoryCheck: boolean;
}

interface ProbeExports {
  memory: WebAssembly.Memory;
  simdEnabled(): number;
  byteSum(ptr: number, length: number): number;
}

/** Loads the probe kernel and checks the build's features and memory access end to end. */
export function probeWasm(): WasmFeatures {
  const instance = new WebAssembly.Instance(kernelModule("probe"), asImports());
  const probe = instance.exports as unknown as ProbeExports;
  const length = 1000;
  const bytes = new Uint8Array(probe.memory.buffer, 1024, length);
  let expected = 0;
  for (let i = 0; i < length; i++) {
    bytes[i] = (i * 37) & 255;
    expected += bytes[i]!;
  }
  return {
    hostSimd: hostSupportsSimd(),
    buildSimd: probe.simdEnabled() === 1,
    memoryCheck: probe.byteSum(1024, length) === expected,
  };
}
