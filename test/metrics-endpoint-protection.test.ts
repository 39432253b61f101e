import { expect, test } from 'vitest';
import { freePort, startApiProcess } from './harness/api-process.ts';
import { sharedClusterSeeds } from './harness/redis.ts';
import { startTestService } from './harness/service.ts';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

test('METRICS_TOKEN set: /metrics answers 401 without the token or with a wrong one, 200 with it', async () => {
  const shop = await startTestService({ env: { METRICS_TOKEN } });
  try {
    for (const authorization of [
      undefined,
      '',
      'Bearer',
      'Bearer wrong',
      `Bearer ${METRICS_TOKEN}x`,
      `Bearer ${METRICS_TOKEN.slice(0, -1)}`,
      `Basic ${Buffer.from(`m:${METRICS_TOKEN}`).toString('base64')}`,
    ]) {
      const res = await shop.request('/metrics', authorization !== undefined ? { headers: { authorization } } : {});
      expect(res.status, `Authorization: ${authorization}`).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await res.text()).not.toContain('cache_requests_total');
    }
    const ok = await shop.request('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('cache_requests_total');
    // The API itself stays open.
    expect((await shop.request('/api/products/1')).status).toBe(200);
  } finally {
    await shop.close();
  }
});

test('METRICS_PORT set: /metrics is served on that port (token still enforced) and is 404 on the API port', async () => {
  const metricsPort = await freePort();
  const api = await startApiProcess({
    redis: sharedClusterSeeds(),
    env: { METRICS_PORT: String(metricsPort), METRICS_TOKEN },
  });
  try {
    const onApi = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(onApi.status).toBe(404);
    expect(await onApi.text()).not.toContain('cache_requests_total');
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    expect((await fetch(metricsUrl)).status).toBe(401);
    await fetch(`${api.url}/api/products/1`);
    const ok = await fetch(metricsUrl, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    const text = await ok.text();
    // The same registry as the API: the request just made is counted there.
    expect(text).toMatch(/http_server_request_duration_seconds_count\{[^}]*route="\/api\/products\/(:id|\{id\})"/);
    // The metrics port serves metrics only.
    expect((await fetch(`http://127.0.0.1:${metricsPort}/api/products/1`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/admin/cache/stats`)).status).toBe(404);
  } finally {
    await api.stop();
  }
}, 30_000);
