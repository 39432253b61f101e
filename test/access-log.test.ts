/**
 * The access log of the real service (`npm start`'s compiled process, LOG_LEVEL=info): one JSON
 * line per request, written from an in-memory buffer asynchronously, and none lost when the
 * process is stopped with SIGTERM right after the last answer (the buffer is flushed on exit).
 */
import { request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { type ApiProcess, startApiProcess } from './harness/api-process.ts';
import { sharedClusterSeeds } from './harness/redis.ts';

let api: ApiProcess | undefined;
afterAll(async () => {
  await api?.stop();
});

/** GET on a kept-alive agent-less socket pool of node:http, resolving with status and the ETag. */
function get(port: number, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; etag: string | undefined }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, etag: res.headers.etag }));
    });
    req.on('error', reject);
    req.end();
  });
}

interface AccessLine {
  level: string;
  time: string;
  service: string;
  method: string;
  route: string;
  status: number;
  durationMs: number;
  msg: string;
  trace_id?: string;
}

describe('access log', () => {
  it('N requests, then SIGTERM at once: exactly N request lines, each complete JSON', async () => {
    api = await startApiProcess({ redis: sharedClusterSeeds(), env: { LOG_LEVEL: 'info' } });
    const first = await get(api.port, '/api/products/7');
    expect(first.status).toBe(200);
    const paths: { path: string; headers?: Record<string, string>; status: number }[] = [];
    for (let i = 0; i < 600; i++) {
      if (i % 10 === 0) paths.push({ path: '/api/products/999999', status: 404 });
      else if (i % 10 === 1)
        paths.push({ path: '/api/products/7', headers: { 'if-none-match': first.etag! }, status: 304 });
      else if (i % 10 === 2) paths.push({ path: '/api/products/not-an-id', status: 400 });
      else paths.push({ path: `/api/products/${(i % 50) + 1}`, status: 200 });
    }
    // 20 at a time, as fast as the service answers.
    for (let i = 0; i < paths.length; i += 20) {
      const batch = paths.slice(i, i + 20);
      const got = await Promise.all(batch.map((p) => get(api!.port, p.path, p.headers)));
      expect(got.map((g) => g.status)).toEqual(batch.map((p) => p.status));
    }
    const { code, signal } = await api.stop();
    expect({ code, signal }).toEqual({ code: 0, signal: null });

    const lines = api
      .stdout()
      .split('\n')
      .filter((l) => l !== '');
    // Every line is whole JSON: buffered writes never split or interleave a line.
    const parsed = lines.map((l) => JSON.parse(l) as AccessLine);
    const requests = parsed.filter((l) => l.msg === 'request' && l.route === '/api/products/:id');
    expect(requests).toHaveLength(paths.length + 1);
    const byStatus = new Map<number, number>();
    for (const r of requests) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    expect(Object.fromEntries(byStatus)).toEqual({ 200: 421, 304: 60, 400: 60, 404: 60 });
    for (const r of requests) {
      expect(r).toMatchObject({ level: 'info', service: 'flower-shop-api', method: 'GET' });
      expect(Number.isNaN(Date.parse(r.time))).toBe(false);
      expect(r.durationMs).toBeGreaterThanOrEqual(0);
      expect(r.trace_id).toBeUndefined();
    }
    expect(parsed.at(-1)?.msg).toBe('stopped');
  });
});
