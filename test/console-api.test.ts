import { afterAll, beforeAll, expect, test } from 'vitest';
import { adminHeaders, startTestService, type TestService, waitFor } from './harness/service.ts';

let shop: TestService;

beforeAll(async () => {
  shop = await startTestService({ listen: true });
});
afterAll(async () => {
  await shop?.close();
});

interface HistoryBody {
  t: number[];
  series: Record<string, (number | null)[]>;
}

async function history(seconds = 60): Promise<HistoryBody> {
  const res = await fetch(`${shop.url}/console/api/history?seconds=${seconds}`);
  expect(res.status).toBe(200);
  return (await res.json()) as HistoryBody;
}

const last = (values: (number | null)[] | undefined): number | null | undefined => values?.[values.length - 1];

test('the history fills from the service’s own metrics once a second: ratios, rates, latency, HTTP', async () => {
  for (let round = 0; round < 3; round++) {
    for (let id = 1; id <= 20; id++) expect((await fetch(`${shop.url}/api/products/${id}`)).status).toBe(200);
  }
  await waitFor(
    async () => {
      const h = await history();
      return (last(h.series['requests.l1.hit']) ?? 0) > 0 && (last(h.series['http.rps']) ?? 0) > 0;
    },
    10_000,
    'a sample that saw the traffic',
  );
  const h = await history();
  expect(h.t.length).toBeGreaterThan(0);
  for (let i = 1; i < h.t.length; i++) expect(h.t[i]!).toBeGreaterThan(h.t[i - 1]!);
  // The exact arithmetic is console-history.test.ts's; here: the real service's traffic reaches it.
  expect(Math.max(...(h.series['hit_ratio.l1.product'] ?? []).map((v) => v ?? 0))).toBeGreaterThan(0);
  expect(Math.max(...(h.series['requests.l1.miss'] ?? []).map((v) => v ?? 0))).toBeGreaterThan(0);
  expect(Math.max(...(h.series['loads.success'] ?? []).map((v) => v ?? 0))).toBeGreaterThan(0);
  expect(h.series['latency.l2.get.p99']?.some((v) => v !== null && v > 0)).toBe(true);
  expect(h.series['http.GET /api/products/:id.p99']?.some((v) => v !== null && v > 0)).toBe(true);
  expect(h.series['l1.entries.product']?.some((v) => v !== null && v > 0)).toBe(true);
  expect(last(h.series['l1.bytes'])).toBeGreaterThan(0);
  expect(last(h.series['circuit'])).toBe(0);
  // The console's own routes are not traffic.
  expect(Object.keys(h.series).some((name) => name.includes('/console'))).toBe(false);
});

test('history rejects a bad window with a 400 problem', async () => {
  for (const q of ['abc', '0', '901', '1.5', '-3']) {
    const res = await fetch(`${shop.url}/console/api/history?seconds=${q}`);
    expect(res.status, q).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  }
});

test('the live stream sends the meta, then each new sample; streams are bounded and freed on disconnect', async () => {
  const { maxStreams } = shop.service.console!.streams;
  const aborts: AbortController[] = [];
  const open = async () => {
    const abort = new AbortController();
    aborts.push(abort);
    return fetch(`${shop.url}/console/api/stream`, { signal: abort.signal });
  };
  try {
    const first = await open();
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = first.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!/event: sample\ndata: .*\n\n/.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      text += value;
    }
    expect(text.startsWith('event: meta\n')).toBe(true);
    const sample = JSON.parse(/event: sample\ndata: (.*)\n\n/.exec(text)![1]!) as {
      t: number;
      v: Record<string, number>;
    };
    expect(sample.t).toBeGreaterThan(Date.now() - 10_000);
    expect(sample.v).toHaveProperty('circuit');

    for (let i = 1; i < maxStreams; i++) expect((await open()).status).toBe(200);
    const refused = await open();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    aborts[0]!.abort();
    await waitFor(() => shop.service.console!.streams.count < maxStreams, 5_000, 'the aborted stream to be freed');
    expect((await open()).status).toBe(200);
  } finally {
    for (const a of aborts) a.abort();
  }
  await waitFor(() => shop.service.console!.streams.count === 0, 5_000, 'every stream to be freed');
});

test('hot keys: the most requested key per prefix, behind the admin token', async () => {
  for (let i = 0; i < 400; i++) await fetch(`${shop.url}/api/products/77`);
  const denied = await fetch(`${shop.url}/admin/cache/hot-keys`);
  expect(denied.status).toBe(401);
  const res = await fetch(`${shop.url}/admin/cache/hot-keys?limit=3`, { headers: adminHeaders });
  expect(res.status).toBe(200);
  const body = (await res.json()) as {
    sampling: number;
    prefixes: { prefix: string; keys: { key: string; estimatedLookups: number }[] }[];
  };
  const product = body.prefixes.find((p) => p.prefix === 'product')!;
  expect(product.keys[0]?.key).toBe('product:77');
  // 400 lookups counted 1 in 16: the estimate is within the sampling's reach of the truth.
  expect(product.keys[0]!.estimatedLookups).toBeGreaterThan(200);
  expect(product.keys.length).toBeLessThanOrEqual(3);
  expect((await fetch(`${shop.url}/admin/cache/hot-keys?limit=1000`, { headers: adminHeaders })).status).toBe(400);
});

test('the cluster as this instance sees it: 3 masters covering every slot, 3 replicas, all reachable', async () => {
  const res = await fetch(`${shop.url}/console/api/cluster`);
  const body = (await res.json()) as {
    nodes: { role: string; slots: number; reachable: boolean; replicaOf?: string }[];
  };
  const masters = body.nodes.filter((n) => n.role === 'master');
  expect(masters.length).toBe(3);
  expect(masters.reduce((s, n) => s + n.slots, 0)).toBe(16384);
  expect(body.nodes.filter((n) => n.role === 'replica' && n.replicaOf).length).toBe(3);
  expect(body.nodes.every((n) => n.reachable)).toBe(true);
});

test('with METRICS_TOKEN the console data needs it (the page itself holds no data); CONSOLE_ENABLED=false removes it', async () => {
  const token = 'metrics-token-0123456789abcdef';
  const guarded = await startTestService({ env: { METRICS_TOKEN: token }, redis: false });
  const off = await startTestService({ env: { CONSOLE_ENABLED: 'false' }, redis: false });
  try {
    for (const path of ['/console/api/history', '/console/api/stream', '/console/api/cluster', '/console/api/meta']) {
      expect((await guarded.request(path)).status, path).toBe(401);
      expect((await guarded.request(path, { headers: { authorization: 'Bearer wrong' } })).status, path).toBe(401);
    }
    const ok = await guarded.request('/console/api/meta', { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    const page = await guarded.request('/console');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(off.service.console).toBeUndefined();
    expect((await off.request('/console')).status).toBe(404);
    expect((await off.request('/console/api/history')).status).toBe(404);
  } finally {
    await guarded.close();
    await off.close();
  }
});
