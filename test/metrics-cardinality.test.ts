/**
 * What clients send never becomes a label: after thousands of distinct product ids, unknown
 * paths, garbage query strings and odd methods, /metrics has the same series as before
 * (values aside), except HTTP latency series for route templates the app defines.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_METHODS } from '../src/observability/labels.ts';
import { startTestService, type TestService } from './harness/service.ts';
import { parseExposition, type Sample, sampleValue, seriesId } from './helpers/prometheus-server.ts';

const HTTP_FAMILY = 'http_server_request_duration_seconds';
/**
 * Default Node.js metrics labelled by what the process holds at that moment (handle and
 * resource class names, GC kinds): a small fixed vocabulary from Node itself, not from clients,
 * but which members show up depends on timing, so these may gain series.
 */
const PROCESS_STATE_FAMILIES = [
  'nodejs_active_handles',
  'nodejs_active_requests',
  'nodejs_active_resources',
  'nodejs_gc_duration_seconds',
];
/** Marks every client-chosen string, so any label value that contains it came from a client. */
const MARK = 'zq';
const hex = () => randomBytes(4).toString('hex');

async function scrape(svc: TestService): Promise<Sample[]> {
  const res = await svc.request('/metrics');
  expect(res.status).toBe(200);
  return parseExposition(await res.text()).samples;
}

function familyOf(name: string): string {
  return name.replace(/_(bucket|sum|count)$/, '');
}

/** Runs `requests` against the service over real HTTP, `concurrency` at a time. */
async function drive(
  svc: TestService,
  requests: { path: string; method?: string }[],
  concurrency: number,
): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const r = requests[next++]!;
      const res = await fetch(svc.url + r.path, { method: r.method ?? 'GET' });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

describe('metric cardinality under hostile traffic', () => {
  let svc: TestService;
  beforeAll(async () => {
    // A heartbeat gap (an event loop stalled > 3 beats on a loaded machine) would clear L1; not what this test is about.
    svc = await startTestService({ listen: true, env: { CACHE_BUS_HEARTBEAT_MS: '500' } });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('3000 product ids, unknown paths and garbage queries add no series beyond route templates', async () => {
    const templates = new Set(svc.service.app.routes.filter((r) => r.method !== 'ALL').map((r) => r.path));
    templates.add('unmatched');
    expect(templates.has('/api/products/:id')).toBe(true);

    // prom-client creates a histogram's series on its first observation, and L1 gets are timed
    // 1 in 16: 16 requests of each kind the traffic below makes, first, so the snapshot already
    // holds every cache series that traffic can touch.
    const warmup = [
      '/api/products/1',
      '/api/products/777777',
      '/api/products?q=warmup',
      '/api/products?limit=3',
      '/api/categories/warmup',
      '/api/categories',
      '/api/products/popular?limit=3',
      '/metrics',
    ];
    await drive(
      svc,
      warmup.flatMap((path) => Array.from({ length: 16 }, (_, i) => ({ path: path.replace('warmup', `warmup${i}`) }))),
      1,
    );
    const before = await scrape(svc);

    const requests: { path: string; method?: string }[] = [];
    for (let i = 0; i < 3000; i++) {
      // ids 1..200 exist; the rest are 6-digit ids starting with 5, easy to spot in a label.
      requests.push({ path: `/api/products/${i < 200 ? i + 1 : 500000 + i}` });
    }
    for (let i = 0; i < 200; i++) {
      const paths = [
        `/${MARK}${hex()}/${hex()}`,
        `/api/${MARK}${hex()}`,
        `/api/products/${i + 1}/${MARK}${hex()}`,
        `/api/products/${MARK}${hex()}`,
        `/api/categories/${MARK}${hex()}`,
        `/api/products?${MARK}${hex()}=${hex()}`,
        `/api/products?sort=${MARK}${hex()}`,
        `/api/products?q=${MARK}${hex()}`,
        `/api/products?category=${MARK}${hex()}&page=${i + 1}`,
        `/api/products/popular?limit=${MARK}${hex()}`,
        `/admin/${MARK}${hex()}`,
      ];
      for (const path of paths) requests.push({ path });
    }
    for (const method of ['PROPFIND', 'PURGE', 'PUT', 'DELETE', 'OPTIONS']) {
      for (let i = 0; i < 20; i++) requests.push({ path: `/api/products/${500000 + i}?${MARK}=${hex()}`, method });
    }
    const statuses = await drive(svc, requests, 16);
    const after = await scrape(svc);

    // The traffic really went through the cache and the router.
    const lookups = (s: Sample[]) =>
      s.filter((x) => x.name === 'cache_requests_total' && x.labels['tier'] === 'l1').reduce((n, x) => n + x.value, 0);
    expect(lookups(after) - lookups(before)).toBeGreaterThanOrEqual(3000);
    expect(statuses.get(404) ?? 0).toBeGreaterThan(2500);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
    expect(
      sampleValue(after, 'cache_loads_total', { prefix: 'product', result: 'success' }) -
        sampleValue(before, 'cache_loads_total', { prefix: 'product', result: 'success' }),
    ).toBeGreaterThanOrEqual(2800);

    // No label value anywhere holds a client's id, path or query.
    for (const s of after) {
      for (const [label, value] of Object.entries(s.labels)) {
        expect(value.includes(MARK) || /5\d{5}/.test(value), `${seriesId(s)}: ${label} came from a client`).toBe(false);
      }
    }

    const beforeIds = new Set(before.map(seriesId));
    const afterIds = new Set(after.map(seriesId));
    // Nothing disappears.
    expect([...beforeIds].filter((id) => !afterIds.has(id))).toEqual([]);

    const added = after.filter((s) => !beforeIds.has(seriesId(s)));
    const httpAdded = added.filter((s) => familyOf(s.name) === HTTP_FAMILY);
    const otherAdded = added.filter(
      (s) => familyOf(s.name) !== HTTP_FAMILY && !PROCESS_STATE_FAMILIES.includes(familyOf(s.name)),
    );
    expect(otherAdded.map(seriesId)).toEqual([]);
    for (const s of httpAdded) {
      expect(templates.has(s.labels['route'] ?? ''), `route of ${seriesId(s)}`).toBe(true);
      expect(s.labels['status_code'], `status of ${seriesId(s)}`).toMatch(/^[1-5]\d\d$/);
      expect([...HTTP_METHODS, 'other'], `method of ${seriesId(s)}`).toContain(s.labels['method']);
    }
    // The odd methods share one label value.
    expect(after.some((s) => s.name === `${HTTP_FAMILY}_count` && s.labels['method'] === 'other')).toBe(true);
    const httpRoutes = new Set(
      after
        .filter((s) => s.name === `${HTTP_FAMILY}_count`)
        .map((s) => `${s.labels['method']} ${s.labels['route']} ${s.labels['status_code']}`),
    );

    console.log(
      `cardinality: ${requests.length} requests (${[...statuses].map(([k, v]) => `${k}:${v}`).join(' ')}); ` +
        `series ${beforeIds.size} -> ${afterIds.size} (+${httpAdded.length} http_server_request_duration_seconds, ` +
        `+${added.length - httpAdded.length - otherAdded.length} process-state); ${httpRoutes.size} method/route/status combinations`,
    );
  });
});
