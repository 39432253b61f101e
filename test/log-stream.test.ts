/**
 * The buffered stdout stream of the logs (src/observability/log-stream.ts) against a real file:
 * every line arrives whole and in order across chunk boundaries, writes queued behind the one in
 * flight, a line longer than a chunk, and multi-byte text; `flush` waits for all of it; the
 * buffer bound drops lines rather than growing.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BufferedLogStream } from '../src/observability/log-stream.ts';

const dir = mkdtempSync(join(tmpdir(), 'log-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function streamTo(name: string, limits: { chunkBytes: number; maxBufferedBytes: number }) {
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  return {
    stream: new BufferedLogStream(fd, limits),
    read: () => readFileSync(path, 'utf8'),
    close: () => closeSync(fd),
  };
}

const flushed = (stream: BufferedLogStream) => new Promise<void>((resolve) => stream.flush(() => resolve()));

describe('buffered log stream', () => {
  it('writes every line whole and in order, across chunks, queued writes, a long line and UTF-8', async () => {
    const { stream, read, close } = streamTo('order.log', { chunkBytes: 512, maxBufferedBytes: 1 << 20 });
    const lines: string[] = [];
    for (let i = 0; i < 5_000; i++) {
      const line =
        i === 2_500
          ? `{"long":"${'x'.repeat(3_000)}"}\n`
          : `{"n":${i},"text":"${i % 7 === 0 ? 'rosé 🌹' : 'tulip'}"}\n`;
      lines.push(line);
      expect(stream.write(line)).toBe(true);
    }
    await flushed(stream);
    expect(read()).toBe(lines.join(''));
    expect(stream.dropped).toBe(0);
    close();
  });

  it('drops lines past its bound instead of buffering without limit, and counts them', async () => {
    const { stream, read, close } = streamTo('bound.log', { chunkBytes: 256, maxBufferedBytes: 1_024 });
    let accepted = 0;
    // Written in one go: nothing can complete in between, so the bound is what stops them.
    for (let i = 0; i < 200; i++) if (stream.write(`line ${i}\n`)) accepted++;
    expect(stream.dropped).toBe(200 - accepted);
    expect(stream.dropped).toBeGreaterThan(0);
    await flushed(stream);
    const written = read().split('\n').filter(Boolean);
    expect(written).toHaveLength(accepted);
    expect(written[0]).toBe('line 0');
    close();
  });

  it('flushSync writes what is buffered (the exit path)', async () => {
    const { stream, read, close } = streamTo('sync.log', { chunkBytes: 1 << 16, maxBufferedBytes: 1 << 20 });
    stream.write('a\n');
    stream.write('b\n');
    stream.flushSync();
    expect(read()).toBe('a\nb\n');
    close();
  });
});
