// Constants shared by the AssemblyScript kernels and the TypeScript host: both compilers import this file,
// so it holds plain integer constants only.

/** Largest frame the kernels accept (1080p). */
export const MAX_FRAME_WIDTH = 1920;
export const MAX_FRAME_HEIGHT = 1080;
/** Wasm page size in bytes. */
export const WASM_PAGE_BYTES = 65536;

// Hot-list tables (assembly/hotlist, src/hotlist): a plate packs into a 64-bit key, 6 bits per character.
/** Longest plate a key holds (6 bits x 10 characters = 60 bits). */
export const HOTLIST_MAX_PLATE_CHARS = 10;
/** Bits per packed character: 0 is "no character", 1..10 are digits 0-9, 11..36 are letters A-Z. */
export const HOTLIST_CHAR_BITS = 6;
/** Where the host lays out a table in its wasm memory (below this: AssemblyScript's own data). */
export const HOTLIST_BASE_OFFSET = 65536;
/** Table header: u32 bloomPtr, nBlocks, normPtr, nNormBlocks, setPtr, nSlots, count, staleBloom; u64 scratch. */
export const HOTLIST_HEADER_BYTES = 64;
/** One bloom block: a 64-byte cache line of eight u64 words, one bit set per word per key. */
export const HOTLIST_BLOCK_BYTES = 64;
/** One look-alike/read-check hit record: u64 key found, u32 index of the input key, u32 substitutions. */
export const HOTLIST_HIT_BYTES = 16;
