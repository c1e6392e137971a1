import { deflateSync } from "node:zlib";

/**
 * A minimal PNG encoder (8-bit grey or RGB, no interlace), shared by the synthetic generator (stills and
 * crops) and the tracker (plate patches). Both only need to write PNGs, never to read them.
 */

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The PNG file around already-filtered scanlines (each row prefixed by its filter byte). */
function pngFile(width: number, height: number, channels: 1 | 3, scanlines: Buffer, level: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = channels === 3 ? 2 : 0; // colour type: RGB or greyscale
  return Buffer.concat([
    SIGNATURE,
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(scanlines, { level })),
    chunk("IEND", new Uint8Array(0)),
  ]);
}

/** Encodes 8-bit pixels: `channels` 1 (grey) or 3 (RGB), rows packed without padding, unfiltered. */
export function encodePng(width: number, height: number, pixels: Uint8Array, channels: 1 | 3): Buffer {
  const rowBytes = width * channels;
  const raw = Buffer.alloc((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (rowBytes + 1)] = 0;
    raw.set(pixels.subarray(y * rowBytes, (y + 1) * rowBytes), y * (rowBytes + 1) + 1);
  }
  return pngFile(width, height, channels, raw, 6);
}

/**
 * Encodes 8-bit grey pixels (row-major, stride = widthPx) as a small PNG: each row "Sub"-filtered and
 * deflated hard, which suits plate patches (a few KB, kept with every read).
 */
export function encodeGreyPng(pixels: Uint8Array, widthPx: number, heightPx: number): Uint8Array {
  if (pixels.length < widthPx * heightPx) throw new RangeError("pixels shorter than width × height");
  const raw = Buffer.alloc((widthPx + 1) * heightPx);
  for (let y = 0; y < heightPx; y++) {
    const o = y * (widthPx + 1);
    const row = y * widthPx;
    raw[o] = 1; // Sub: each byte minus its left neighbour
    raw[o + 1] = pixels[row]!;
    for (let x = 1; x < widthPx; x++) raw[o + 1 + x] = (pixels[row + x]! - pixels[row + x - 1]!) & 0xff;
  }
  return new Uint8Array(pngFile(widthPx, heightPx, 1, raw, 9));
}
