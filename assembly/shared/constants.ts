// Constants shared by the AssemblyScript kernels and the TypeScript host: both compilers import this file,
// so it holds plain integer constants only.

/** Largest frame the kernels accept (1080p). */
export const MAX_FRAME_WIDTH = 1920;
export const MAX_FRAME_HEIGHT = 1080;
/** Wasm page size in bytes. */
export const WASM_PAGE_BYTES = 65536;

/** Character classes of the classifier, in output order: digits then A–Z (index = class id). */
export const CHAR_CLASSES = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Number of character classes (CHAR_CLASSES.length); `classifyBox` writes this many f32 scores. */
export const CHAR_CLASS_COUNT = 36;
