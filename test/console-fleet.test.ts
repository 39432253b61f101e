/**
 * The console's fleet view: two real service processes (the compiled dist/, as `npm start` runs
 * it) scraped every second by a real Prometheus; each is told PROMETHEUS_URL, and the console of
 * one shows traffic only the other served, through the dashboards' own queries. Then the page,
 * in Debian's Chromium, switched to "fleet".
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium } from '../scripts/chromium.ts';
import { ConfigError, loadConfig } from '../src/config/config.ts';
import { type ApiProcess, freePort, startApiProcess } from './harness/api-process.ts';
import { startTestService } from './harness/service.ts';
import { type PrometheusServer, startPrometheus } from './helpers/prometheus-server.ts';

interface Window {
  t: number[];
  series: Record<string, (number | null)[]>;
  failed?: { query: string; error: string }[];
}

let prometheus: PrometheusServer;
let a: ApiProcess;
let b: ApiProcess;
let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  // Prometheus's port is chosen first: the services must know its URL when they start.
  const promPort = await freePort();
  const env = { PROMETHEUS_URL: `http://127.0.0.1:${promPort}`, PROMETHEUS_TIMEOUT_MS: '5000' };
  [a, b] = await Promise.all([
    startApiProcess({ redis: false, env, readyTimeoutMs: 90_000 }),
    startApiProcess({ redis: false, env, readyTimeoutMs: 90_000 }),
  ]);
  prometheus = await startPrometheus({
    port: promPort,
    intervalSeconds: 1,
    ruleFiles: [],
    scrapeConfigs: [
      { job_name: 'flower-shop-api', static_configs: [{ targets: [a, b].map((p) => `127.0.0.1:${p.port}`) }] },
    ],
  });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  for (const p of pages.splice(0)) await p.close();
  await browser?.close();
  await prometheus?.stop();
  await Promise.all([a?.stop(), b?.stop()]);
});

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return (await res.json()) as T;
}

let unseen = 100;

/** A and B serve different routes: A product pages (hits, and a miss each round), B only categories and searches. */
async function traffic(rounds: number): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    await Promise.all([
      ...[1, 2, 3, 4, 5, 100 + (unseen++ % 200)].map((id) =>
        fetch(`${a.url}/api/products/${id}`).then((res) => res.arrayBuffer()),
      ),
      fetch(`${b.url}/api/categories`).then((res) => res.arrayBuffer()),
      fetch(`${b.url}/api/products?q=rose`).then((res) => res.arrayBuffer()),
    ]);
  }
}

const busy = (w: Window, name: string): boolean => (w.series[name] ?? []).some((v) => v !== null && v > 0);
const httpRoutes = (w: Window): string[] =>
  Object.keys(w.series).filter((n) => n.startsWith('http.rps.') && busy(w, n));

test('the fleet view runs the dashboards’ queries on Prometheus and shows what the other instance served', async () => {
  const meta = await getJson<{ fleet?: { job: string } }>(`${a.url}/console/api/meta`);
  expect(meta.fleet?.job).toBe('flower-shop-api');

  let fleet: Window = { t: [], series: {} };
  let onlyB: string[] = [];
  await expect
    .poll(
      async () => {
        await traffic(3);
        const localA = await getJson<Window>(`${a.url}/console/api/history?seconds=120`);
        const localB = await getJson<Window>(`${b.url}/console/api/history?seconds=120`);
        onlyB = httpRoutes(localB).filter((n) => !busy(localA, n));
        fleet = await getJson<Window>(`${a.url}/console/api/fleet?seconds=120`);
        return (
          onlyB.length > 0 &&
          onlyB.every((n) => busy(fleet, n)) &&
          ['hit_ratio.l1.product', 'requests.l1.hit', 'requests.l1.miss'].every((n) => busy(fleet, n))
        );
      },
      { timeout: 45_000, interval: 1_000 },
    )
    .toBe(true);
  // B's routes are in A's fleet view, though A never served them; so are A's own.
  expect(onlyB.length).toBeGreaterThan(0);
  expect(httpRoutes(fleet).length).toBeGreaterThan(onlyB.length);
  expect(fleet.failed).toEqual([]);
  // One time axis, every series aligned to it; the console's own routes are not traffic.
  for (const values of Object.values(fleet.series)) expect(values.length).toBe(fleet.t.length);
  expect(Object.keys(fleet.series).some((n) => n.includes('/console'))).toBe(false);
});

test('the page switches to the fleet and draws it', async () => {
  const problems: string[] = [];
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  pages.push(page);
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(`${a.url}/console`);
  await page.locator('#source-control').waitFor({ state: 'visible', timeout: 10_000 });
  await traffic(3);
  const labels = (): Promise<string | null> => page.locator('[data-chart="http-rps"]').getAttribute('data-labels');

  await page.selectOption('#source', 'fleet');
  expect(await page.evaluate('document.body.dataset.source')).toBe('fleet');
  await page.locator('[data-pill="fleet"]').waitFor({ timeout: 10_000 });
  // B's categories route appears on A's page, drawn from Prometheus.
  await expect
    .poll(
      async () => {
        await traffic(1);
        return labels();
      },
      { timeout: 30_000 },
    )
    .toContain('GET /api/categories');
  const hitRatioPoints = Number(await page.locator('[data-chart="hit-ratio-l1"]').getAttribute('data-points'));
  expect(hitRatioPoints).toBeGreaterThan(0);

  // Back to this instance: its own history, where categories were never asked for.
  await page.selectOption('#source', 'local');
  await page.locator('[data-pill="live"]').waitFor({ timeout: 10_000 });
  await expect.poll(labels, { timeout: 15_000 }).not.toContain('GET /api/categories');
  expect(problems, problems.join('\n')).toEqual([]);
});

test('fleet input and failures: a clear 400, 404 without PROMETHEUS_URL, 502 when Prometheus is away', async () => {
  const bad = await fetch(`${a.url}/console/api/fleet?seconds=0`);
  expect(bad.status).toBe(400);
  expect(bad.headers.get('content-type')).toContain('application/problem+json');

  const plain = await startTestService({ redis: false });
  const closedPort = await freePort();
  const orphan = await startTestService({
    redis: false,
    env: { PROMETHEUS_URL: `http://127.0.0.1:${closedPort}/prom/`, PROMETHEUS_TIMEOUT_MS: '500' },
  });
  try {
    const off = await plain.request('/console/api/fleet?seconds=60');
    expect(off.status).toBe(404);
    expect(((await (await plain.request('/console/api/meta')).json()) as { fleet?: unknown }).fleet).toBeUndefined();

    const away = await orphan.request('/console/api/fleet?seconds=60');
    expect(away.status).toBe(502);
    const body = (await away.json()) as { type: string; detail: string };
    expect(body.type).toBe('/problems/prometheus-unavailable');
    expect(body.detail).toMatch(/cannot reach Prometheus|no answer within 500 ms/);
    expect(JSON.stringify(body)).not.toContain(String(closedPort));
  } finally {
    await plain.close();
    await orphan.close();
  }
});

test('PROMETHEUS_URL is validated: http(s), no credentials or query, bounded timeout', () => {
  const base = { DATABASE_PATH: ':memory:' };
  expect(loadConfig({ ...base, PROMETHEUS_URL: 'http://prometheus:9090/' }).PROMETHEUS_URL).toBe(
    'http://prometheus:9090',
  );
  expect(loadConfig(base).PROMETHEUS_TIMEOUT_MS).toBe(3_000);
  for (const [name, value] of [
    ['PROMETHEUS_URL', 'ftp://prometheus:9090'],
    ['PROMETHEUS_URL', 'prometheus:9090'],
    ['PROMETHEUS_URL', 'http://admin:s3cret-password@prometheus:9090'],
    ['PROMETHEUS_URL', 'http://prometheus:9090/?x=1'],
    ['PROMETHEUS_JOB', 'api"} or vector(1) #'],
    ['PROMETHEUS_TIMEOUT_MS', '0'],
    ['PROMETHEUS_TIMEOUT_MS', '600000'],
  ] as const) {
    let error: unknown;
    try {
      loadConfig({ ...base, [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error, `${name}=${value}`).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join('\n')).toContain(name);
    expect((error as ConfigError).message).not.toContain('s3cret');
  }
});
