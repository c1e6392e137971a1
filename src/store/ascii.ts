/**
 * Writes `s` at `offset` one byte per character if every character is below 0x80 (then ASCII, latin1 and
 * UTF-8 bytes agree) and returns the byte count, or -1 if one is not (the caller falls back to
 * Buffer.write). The intake writes about ten short strings per read; for them this loop costs a fraction
 * of a native Buffer.write call (about 30-80 ns against 300-400 ns each, measured 2 Dec on the bench machine).
 * The caller makes sure the buffer has room.
 */
export function writeAscii(buf: Uint8Array, offset: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return -1;
    buf[offset + i] = c;
  }
  return n;
}

/** UTF-8 bytes of `s` written at `offset`: the ASCII loop when it applies, else Buffer.write. */
export function writeUtf8(buf: Buffer, offset: number, s: string): number {
  const n = writeAscii(buf, offset, s);
  return n >= 0 ? n : buf.write(s, offset, "utf8");
}
