import { write, writeSync, writev } from 'node:fs';

/** Lines are encoded into chunks of this size; a full chunk is written as one `write(2)`. */
const CHUNK_BYTES = 64 * 1024;
/** A chunk that is not full is written after at most this long (quiet periods, shutdown). */
const FLUSH_MS = 100;
/** Bytes held while the destination is slow (chunks waiting plus the one being filled); past it, lines are dropped. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** A write in flight longer than this is taken as a destination that stopped reading (a stuck pipe). */
const STUCK_MS = 1_000;
/** How long an exit flush retries a destination answering EAGAIN before giving up. */
const EXIT_RETRY_MS = 1_000;

/**
 * Log lines for one file descriptor, buffered in memory and written asynchronously: each line is
 * encoded straight into a preallocated 64 KiB chunk (no string concatenation, no per-line
 * Buffer), and a chunk is handed to the thread pool as one write when it is full or FLUSH_MS
 * after its first line. At most one write is in flight, so chunks reach the destination in
 * order and a stuck pipe holds one pool thread, not four.
 *
 * Why not pino.destination (sonic-boom): per line it measures its whole pending string with
 * Buffer.byteLength (flattening a growing rope, O(buffer) per line), and it writes every 8 KiB,
 * waking a pool thread each time; both showed in the L1-hit profile (BENCHMARKS.md).
 *
 * Nothing is lost on a clean stop: `flush` resolves once every line is written (main.ts awaits
 * it before exiting), and on any exit the chunks not yet written are written synchronously.
 * Bounded: past MAX_BUFFERED_BYTES (a destination that stopped reading) lines are dropped and
 * counted; on EPIPE (the reader is gone) logging stops.
 */
export class BufferedLogStream {
  private chunk: Buffer;
  private used = 0;
  /** Filled chunks waiting for the write in flight, in order. */
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  /** The chunks of the write in flight and when it started; undefined when none. */
  private inFlight: Buffer[] | undefined;
  private inFlightSince = 0;
  /** Full-size chunks whose write completed, reused instead of allocating. */
  private readonly spare: Buffer[] = [];
  private readonly flushed: (() => void)[] = [];
  private broken = false;
  /** Lines dropped because the buffer was full. */
  dropped = 0;

  constructor(
    private readonly fd: number,
    /** Tests shrink these to reach the edges quickly. */
    private readonly limits = { chunkBytes: CHUNK_BYTES, maxBufferedBytes: MAX_BUFFERED_BYTES },
  ) {
    this.chunk = Buffer.allocUnsafeSlow(limits.chunkBytes);
    setInterval(() => this.writeCurrent(), FLUSH_MS).unref();
    process.once('exit', () => this.flushSync());
  }

  write(line: string): boolean {
    if (this.broken) return false;
    // UTF-8 needs at most 3 bytes per UTF-16 unit: checked so Buffer#write never cuts a line.
    const most = line.length * 3;
    if (this.queuedBytes + this.used + most > this.limits.maxBufferedBytes) {
      this.dropped++;
      return false;
    }
    if (this.limits.chunkBytes - this.used < most) {
      this.rotate();
      if (most > this.limits.chunkBytes) {
        // Its own memory (not a slice of Node's shared pool), as every buffer here may be reused.
        const big = Buffer.allocUnsafeSlow(Buffer.byteLength(line));
        big.write(line);
        this.enqueue(big);
        return true;
      }
    }
    this.used += this.chunk.write(line, this.used);
    return true;
  }

  /** Calls `done` once everything written so far has reached the destination (or been dropped). */
  flush(done?: (error?: Error) => void): void {
    this.writeCurrent();
    if (this.inFlight === undefined || this.broken) {
      done?.();
      return;
    }
    if (done) this.flushed.push(done);
  }

  /** Writes every chunk not yet handed to the pool, synchronously: the process is exiting. */
  flushSync(): void {
    if (this.broken) return;
    // A write stuck on a destination that stopped reading would block this one too; after a
    // write that is only slow, the rest still goes out (possibly after it, rather than lost).
    if (this.inFlight !== undefined && performance.now() - this.inFlightSince > STUCK_MS) return;
    if (this.used > 0) {
      this.queue.push(this.chunk.subarray(0, this.used));
      this.used = 0;
    }
    const deadline = performance.now() + EXIT_RETRY_MS;
    for (let buf = this.queue.shift(); buf !== undefined; ) {
      try {
        const n = writeSync(this.fd, buf);
        buf = n < buf.length ? buf.subarray(n) : this.queue.shift();
      } catch (error) {
        if (codeOf(error) !== 'EAGAIN' || performance.now() > deadline) return;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      }
    }
    this.queuedBytes = 0;
  }

  /** The chunk being filled goes to the queue (and to the destination if nothing is in flight). */
  private writeCurrent(): void {
    if (this.used > 0) this.rotate();
  }

  private rotate(): void {
    if (this.used === 0) return;
    const full = this.chunk.subarray(0, this.used);
    this.chunk = this.spare.pop() ?? Buffer.allocUnsafeSlow(this.limits.chunkBytes);
    this.used = 0;
    this.enqueue(full);
  }

  private enqueue(buf: Buffer): void {
    this.queue.push(buf);
    this.queuedBytes += buf.length;
    if (this.inFlight === undefined) this.writeQueued();
  }

  /** One write (writev for several chunks) of everything queued. */
  private writeQueued(): void {
    const bufs = this.queue.splice(0);
    this.queuedBytes = 0;
    this.inFlight = bufs;
    this.inFlightSince = performance.now();
    const done = (error: NodeJS.ErrnoException | null, written: number) => this.written(bufs, error, written);
    if (bufs.length === 1) write(this.fd, bufs[0]!, 0, bufs[0]!.length, null, done);
    else writev(this.fd, bufs, null, done);
  }

  private written(bufs: Buffer[], error: NodeJS.ErrnoException | null, written: number): void {
    this.inFlight = undefined;
    if (error) {
      if (error.code === 'EAGAIN') {
        // A non-blocking descriptor that is full: try the same bytes again shortly.
        this.queue.unshift(...bufs);
        this.queuedBytes += bufs.reduce((sum, b) => sum + b.length, 0);
        this.inFlight = [];
        setTimeout(() => {
          this.inFlight = undefined;
          this.writeQueued();
        }, 10).unref();
        return;
      }
      // EPIPE: the reader is gone and nothing will read a line again. Anything else: report once.
      this.broken = true;
      this.queue.length = 0;
      this.queuedBytes = 0;
      if (error.code !== 'EPIPE') process.stderr.write(`log output failed (${error.code}); logging stopped\n`);
      for (const done of this.flushed.splice(0)) done();
      return;
    }
    // A partial write: the rest goes first.
    let rest = written;
    for (let i = 0; i < bufs.length; i++) {
      const b = bufs[i]!;
      if (rest >= b.length) {
        rest -= b.length;
        if (b.buffer.byteLength === this.limits.chunkBytes && this.spare.length < 2)
          this.spare.push(Buffer.from(b.buffer));
        continue;
      }
      const remaining = [b.subarray(rest), ...bufs.slice(i + 1)];
      this.queue.unshift(...remaining);
      this.queuedBytes += remaining.reduce((sum, r) => sum + r.length, 0);
      break;
    }
    if (this.queue.length > 0) this.writeQueued();
    else for (const done of this.flushed.splice(0)) done();
  }
}

function codeOf(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error ? String(error.code) : undefined;
}

let stdout: BufferedLogStream | undefined;

/** The one buffered stream of this process's stdout, shared by every logger so lines keep their order. */
export function bufferedStdout(): BufferedLogStream {
  stdout ??= new BufferedLogStream(1);
  return stdout;
}
