// Loading the character classifier: the committed weights file and, for callers that want the
// classifier on its own (tests, benchmark, training checks), a small host around build/classifier.wasm.
// The recogniser module exports the same kernels (classifierInit, classifyBox) from its own instance.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CHAR_CLASS_COUNT } from "../../assembly/shared/constants.js";
import { KestrelError } from "../errors/index.js";
import { PACKAGE_ROOT } from "../paths.js";
import { asImports, hostSupportsSimd, kernelModule } from "../wasm/module.js";

/** Where the trained weights live (written by scripts/train-classifier.ts). */
export const CLASSIFIER_WEIGHTS_PATH = join(PACKAGE_ROOT, "assets", "classifier.bin");

/** The committed classifier weights file, to copy into wasm memory and pass to classifierInit. */
export function loadClassifierWeights(path = CLASSIFIER_WEIGHTS_PATH): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (cause) {
    throw new KestrelError("KESTREL_E_WASM_LOAD", `classifier weights ${path}`, { cause });
  }
}

/** A kernel on box (x, y, w, h) of an 8-bit grey image (`stride` bytes a row) that writes f32 at `out`. */
type BoxKernel = (
  img: number,
  stride: number,
  x: number,
  y: number,
  w: number,
  h: number,
  inverted: number,
  out: number,
) => void;

/** The classifier's kernel exports (a subset of the recogniser module's). */
export interface ClassifierExports {
  memory: WebAssembly.Memory;
  classifierAlloc(bytes: number): number;
  classifierInit(weightsPtr: number, weightsBytes: number): number;
  classifierInputLength(): number;
  classifyBox: BoxKernel;
  classifyNormalise: BoxKernel;
  classifyVector(input: number, out: number): void;
}

/** What the kernel's classifierInit status codes mean (assembly/classify/classifier.ts, CLASSIFIER_ERR_*). */
const INIT_ERRORS: Record<number, string> = {
  [-1]: "not a classifier weights file",
  [-2]: "unsupported weights version (or an ensemble inside an ensemble)",
  [-3]: "truncated, or bytes after the end",
  [-4]: "a model geometry the kernel cannot run",
};

/** Copies `weights` into the instance and initialises the classifier; throws on a bad weights file. */
export function initClassifier(exports: ClassifierExports, weights: Uint8Array): void {
  const ptr = exports.classifierAlloc(weights.byteLength);
  new Uint8Array(exports.memory.buffer, ptr, weights.byteLength).set(weights);
  const status = exports.classifierInit(ptr, weights.byteLength);
  if (status !== 0) {
    throw new KestrelError(
      "KESTREL_E_WASM_LOAD",
      `classifier weights rejected (${status}): ${INIT_ERRORS[status] ?? "unknown status"}`,
    );
  }
}

export interface GlyphBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The classifier alone in its own wasm instance, with an image area of `maxImageBytes`. */
export class WasmClassifier {
  readonly exports: ClassifierExports;
  private readonly imagePtr: number;
  private readonly outPtr: number;
  readonly simd: boolean;

  constructor(
    weights: Uint8Array = loadClassifierWeights(),
    readonly maxImageBytes = 1 << 20,
    simd = hostSupportsSimd(),
  ) {
    this.simd = simd;
    const instance = new WebAssembly.Instance(kernelModule("classifier", simd), asImports());
    this.exports = instance.exports as unknown as ClassifierExports;
    initClassifier(this.exports, weights);
    // Allocated once; memory does not grow after this, so views taken per call stay valid for the call.
    this.imagePtr = this.exports.classifierAlloc(maxImageBytes);
    this.outPtr = this.exports.classifierAlloc(2048 * 4);
  }

  /** Copies a grey image into wasm memory (once per image). */
  setImage(grey: Uint8Array): void {
    if (grey.byteLength > this.maxImageBytes) throw new RangeError("image larger than the classifier's area");
    new Uint8Array(this.exports.memory.buffer, this.imagePtr, grey.byteLength).set(grey);
  }

  /** Scores one box of the image last given to setImage; returns 36 probabilities (a copy). */
  classify(stride: number, box: GlyphBox, inverted = false): Float32Array {
    this.exports.classifyBox(
      this.imagePtr,
      stride,
      box.x,
      box.y,
      box.w,
      box.h,
      inverted ? 1 : 0,
      this.outPtr,
    );
    return new Float32Array(this.exports.memory.buffer, this.outPtr, CHAR_CLASS_COUNT).slice();
  }

  /** The kernel's box only (no copy out): for timing. */
  classifyInPlace(stride: number, box: GlyphBox, inverted = false): void {
    this.exports.classifyBox(
      this.imagePtr,
      stride,
      box.x,
      box.y,
      box.w,
      box.h,
      inverted ? 1 : 0,
      this.outPtr,
    );
  }

  /** The model input the kernel builds for a box (for comparing with the JS reference). */
  normalise(stride: number, box: GlyphBox, inverted = false): Float32Array {
    const n = this.exports.classifierInputLength();
    const ptr = this.outPtr; // 2048 f32: the kernel's largest input
    this.exports.classifyNormalise(this.imagePtr, stride, box.x, box.y, box.w, box.h, inverted ? 1 : 0, ptr);
    return new Float32Array(this.exports.memory.buffer, ptr, n).slice();
  }
}
