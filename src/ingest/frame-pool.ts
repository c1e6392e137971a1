/**
 * Reusable frame buffers for one camera. ffmpeg's output is read straight into these (no buffer is
 * allocated per pipe read), and a buffer goes back to the pool as soon as its frame is skipped, dropped,
 * or copied into a worker's frame slot. Allocating ~1 MB of pipe chunks per 720p frame made V8 run a full
 * mark-compact about once a second per camera (external memory pressure), which cost more main-thread
 * and helper-thread CPU than reading the frames did.
 *
 * The pool does not bound how many buffers are out: the camera's queue limit does (queued frames +
 * frames waiting for their timestamp + the one being filled). It keeps at most `maxFree` idle buffers.
 */
export class FramePool {
  private readonly free: Uint8Array[] = [];
  private bytes = 0;
  /** Buffers allocated since the pool was made (for tests and diagnostics). */
  allocated = 0;

  constructor(private readonly maxFree = 16) {}

  /** Frame size in bytes; changing it discards idle buffers of the old size. */
  setFrameBytes(bytes: number): void {
    if (bytes === this.bytes) return;
    this.bytes = bytes;
    this.free.length = 0;
  }

  get frameBytes(): number {
    return this.bytes;
  }

  acquire(): Uint8Array {
    const buf = this.free.pop();
    if (buf) return buf;
    this.allocated++;
    return new Uint8Array(this.bytes);
  }

  /** Returns a buffer; one of another size (from before a geometry change) is left to the GC. */
  release(buf: Uint8Array): void {
    if (buf.byteLength === this.bytes && this.free.length < this.maxFree) this.free.push(buf);
  }
}
