import type { Database, RootDatabase } from "lmdb";

/** The read store's named databases in its LMDB environment (see docs/store.md, "Key layout"). */
export interface StoreDatabases {
  reads: Database<Buffer, Buffer>;
  plateIndex: Database<Buffer, Buffer>;
  cameraIndex: Database<Buffer, Buffer>;
  patches: Database<Buffer, Buffer>;
  plates: Database<Buffer, Buffer>;
  /** The plates of the open gram epoch (key: plate, no value): its grams are not indexed until it is sealed. */
  openPlates: Database<Buffer, Buffer>;
  /** Each sealed epoch's posting lists, keyed epoch ‖ gram. */
  grams: Database<Buffer, Buffer>;
  meta: Database<Buffer, Buffer>;
}

/** store-meta keys: the on-disk format, the current gram epoch and the plates generation. */
export const FORMAT_KEY = Buffer.from("format", "latin1");
export const EPOCH_KEY = Buffer.from("gram-epoch", "latin1");
/**
 * Bumped (uint32 big-endian, absent = 0) by every transaction that unlists a plate, in any process: the
 * intake writer's cache of listed plates is valid only while it is unchanged (see plate-cache.ts).
 */
export const PLATES_GENERATION_KEY = Buffer.from("plates-generation", "latin1");

/** Opens (creating if needed) every database of the store: on the caller's thread and in the writer thread alike. */
export function openStoreDatabases(root: RootDatabase): StoreDatabases {
  const binary = { keyEncoding: "binary", encoding: "binary" } as const;
  const db = (name: string) => root.openDB({ name, ...binary }) as Database<Buffer, Buffer>;
  return {
    reads: db("reads"),
    plateIndex: db("reads-by-plate"),
    cameraIndex: db("reads-by-camera"),
    patches: db("patches"),
    plates: db("plates"),
    openPlates: db("open-epoch-plates"),
    grams: db("plate-grams"),
    meta: db("store-meta"),
  };
}

/** The plates generation as of the current transaction. */
export function platesGeneration(meta: Database<Buffer, Buffer>): number {
  const bytes = meta.getBinary(PLATES_GENERATION_KEY);
  return bytes ? bytes.readUInt32BE(0) : 0;
}

/** Inside a write transaction that unlisted a plate: moves the plates generation on. */
export function bumpPlatesGeneration(meta: Database<Buffer, Buffer>): void {
  const value = Buffer.allocUnsafe(4);
  value.writeUInt32BE((platesGeneration(meta) + 1) >>> 0, 0);
  meta.putSync(PLATES_GENERATION_KEY, value);
}
