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
/** Character classes of the classifier, in output order: digits then A–Z (index = class id). */
export const CHAR_CLASSES = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Number of character classes (CHAR_CLASSES.length); `classifyBox` writes this many f32 scores. */
export const CHAR_CLASS_COUNT = 36;
/**
 * A classifier ensemble (weights file version 4) runs its further members only on a character whose
 * first member's top score is under this (‰): the others then average in.
 */
export const ENSEMBLE_SURE_PERMILLE = 970;

// Recogniser (assembly/recognise.ts). The module imports a shared memory of exactly this many pages
// (scripts/build-wasm.mjs passes the same number), so views on it never detach.
export const RECOGNISE_MEMORY_PAGES = 768;
/** Plate candidates the localiser passes to segmentation per frame. */
export const MAX_PLATE_CANDIDATES = 24;
/** Plates (segmented candidates with characters) reported per frame. */
export const MAX_PLATE_RESULTS = 16;
/** Characters per plate (both lines of a two-line plate). */
export const MAX_PLATE_CHARS = 10;
/** Grey plate patch made per result. */
export const PATCH_WIDTH_PX = 120;
export const PATCH_HEIGHT_PX = 60;
/** i32 fields per result record (see RESULT_* offsets). */
export const RESULT_FIELDS = 16;
export const RESULT_X = 0;
export const RESULT_Y = 1;
export const RESULT_W = 2;
export const RESULT_H = 3;
export const RESULT_CHARS = 4;
export const RESULT_LINES = 5;
/** Skew angle in milliradians. */
export const RESULT_ANGLE_MRAD = 6;
/** Localiser score (edge cells). */
export const RESULT_SCORE = 7;
/** Median character height in frame pixels. */
export const RESULT_CHAR_HEIGHT_PX = 8;
// Plate-likeness evidence per result (assembly/localise/plate-check.ts), for the host's read decision.
/** Tallest minus shortest character, ‰ of the median character height. */
export const RESULT_HEIGHT_SPREAD_PERMILLE = 9;
/** Largest top/bottom misalignment of neighbouring characters, ‰ of the median height. */
export const RESULT_BASELINE_PERMILLE = 10;
/** Widest gap between neighbouring characters on a line, ‰ of the median height. */
export const RESULT_MAX_GAP_PERMILLE = 11;
/** Ink between neighbouring characters, ‰ of the gap area. */
export const RESULT_GAP_INK_PERMILLE = 12;
/** Ground minus ink grey level over the ground's standard deviation, × 100. */
export const RESULT_CONTRAST_PCT = 13;
/**
 * Ink between neighbouring characters leaving out the widest gap, ‰ of the other gaps' area: European
 * plates print a dash, a coat of arms or seals between their groups.
 */
export const RESULT_INNER_GAP_INK_PERMILLE = 14;
/** i32 fields per character box of a result (resultBoxesPtr): x, y, w, h (crop px), ink pixels, ink and ground mean grey, spare. */
export const BOX_FIELDS = 8;
