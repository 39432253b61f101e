import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { MiddlewareHandler } from 'hono';
import { LRUCache } from 'lru-cache';

export type Encoding = 'br' | 'gzip';

/** The compressed forms of one cached body made so far (each on first demand); `small` when not worth it. */
interface Compressed {
  small: boolean;
  br?: Uint8Array;
  gzip?: Uint8Array;
}

export interface CompressionOptions {
  /** Bodies below this many bytes go out as they are (headers and framing would eat the gain). */
  minBytes?: number;
  /** Bound on the compressed copies kept, in bytes. */
  maxMemoBytes?: number;
}

export interface Compression {
  middleware: MiddlewareHandler;
  /** How many bodies were compressed: once per cached value and encoding, not per request. */
  readonly stats: { compressions: number };
}

/**
 * gzip and brotli for the cached JSON answers (those with an ETag), compressed once per cached
 * value and encoding (on the first request asking for it): the ETag is a hash of the serialized
 * bytes, so it keys a bounded memo of the compressed copies, and a hit only swaps the body. A cached answer varies by Accept-Encoding whether or
 * not this request asked, so `Vary: Accept-Encoding` goes on every one of them. A compressed
 * answer carries the weak form of the ETag (another representation, RFC 9110 §8.8.1); If-None-Match
 * compares weakly, so either form revalidates.
 */
export function compression(options: CompressionOptions = {}): Compression {
  const minBytes = options.minBytes ?? 1024;
  const memo = new LRUCache<string, Compressed>({
    maxSize: options.maxMemoBytes ?? 16 * 1024 * 1024,
    sizeCalculation: (e) => 64 + (e.br?.byteLength ?? 0) + (e.gzip?.byteLength ?? 0),
  });
  const stats = { compressions: 0 };

  const middleware: MiddlewareHandler = async (c, next) => {
    await next();
    const res = c.res;
    const etag = res.headers.get('etag');
    if (etag === null || (res.status !== 200 && res.status !== 304)) return;
    res.headers.append('vary', 'Accept-Encoding');
    if (res.status !== 200 || c.req.method === 'HEAD') return;
    const encoding = preferredEncoding(c.req.header('accept-encoding'));
    if (encoding === undefined) return;
    const entry = memo.get(etag);
    if (entry?.small) return;
    let compressed = entry?.[encoding];
    if (compressed === undefined) {
      const body = new Uint8Array(await res.arrayBuffer());
      if (body.byteLength < minBytes) {
        memo.set(etag, { small: true });
        // The original body is consumed: answer with it again, uncompressed.
        c.res = new Response(body, { status: res.status, headers: res.headers });
        return;
      }
      compressed = compress(body, encoding);
      stats.compressions++;
      // set() again, not a mutation: the memo's byte accounting must see the new copy.
      memo.set(etag, { ...entry, small: false, [encoding]: compressed });
    }
    res.headers.set('content-encoding', encoding);
    res.headers.delete('content-length');
    if (!etag.startsWith('W/')) res.headers.set('etag', `W/${etag}`);
    c.res = new Response(compressed, { status: 200, headers: res.headers });
  };
  return { middleware, stats };
}

function compress(body: Uint8Array, encoding: Encoding): Uint8Array {
  if (encoding === 'gzip') return gzipSync(body, { level: 6 });
  // Quality 4: about gzip's cost with a third less output on JSON; paid once per value.
  return brotliCompressSync(body, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 4,
      [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
    },
  });
}

/** brotli when accepted, else gzip, else nothing; `q=0` refuses a coding (RFC 9110 §12.5.3). */
export function preferredEncoding(acceptEncoding: string | undefined): Encoding | undefined {
  if (!acceptEncoding) return undefined;
  let gzip = false;
  for (const part of acceptEncoding.split(',')) {
    const [name = '', ...params] = part.split(';');
    const coding = name.trim().toLowerCase();
    if (coding !== 'br' && coding !== 'gzip' && coding !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q !== undefined && Number(q.slice(2)) <= 0) continue;
    if (coding === 'br' || coding === '*') return 'br';
    gzip = true;
  }
  return gzip ? 'gzip' : undefined;
}
