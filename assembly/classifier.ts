// Stand-alone character classifier module (build/classifier.wasm) for the classifier's own tests,
// benchmark and training checks; the recogniser module re-exports the same kernels from ./classify.
export * from "./classify";
