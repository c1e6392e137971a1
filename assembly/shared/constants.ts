// Constants shared by the AssemblyScript kernels and the TypeScript host: both compilers import this file,
// so it holds plain integer constants only.

/** Largest frame the kernels accept (1080p). */
export const MAX_FRAME_WIDTH = 1920;
export const MAX_FRAME_HEIGHT = 1080;
/** Wasm page size in bytes. */
export const WASM_PAGE_BYTES = 65536;
