/**
 * Scraping a /metrics protected by METRICS_TOKEN the way prometheus.yml says: a real Prometheus
 * runs the repo's `flower-shop-api` job (its `authorization` block, the token read from a
 * credentials file) against a real API instance that requires the token. With the right token
 * the scrape succeeds and the series arrive; with a wrong one (the file rewritten, as a botched
 * rotation would) the scrape fails with 401 and the repo's FlowerShopApiDown alert fires.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startTestService, type TestService } from './harness/service.ts';
import { REPO_ROOT, RULES_DIR } from './helpers/dashboard-queries.ts';
import { type PrometheusServer, startPrometheus } from './helpers/prometheus-server.ts';

const TOKEN = 'metrics-token-for-the-scrape-test-0123';

interface ScrapeJob {
  job_name: string;
  authorization?: { type?: string; credentials_file?: string };
  static_configs?: { targets: string[] }[];
  [k: string]: unknown;
}

async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('scraping /metrics with METRICS_TOKEN from a credentials file (prometheus.yml)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metrics-token-'));
  const credentials = join(dir, 'metrics-token');
  let api: TestService;
  let prometheus: PrometheusServer;

  beforeAll(async () => {
    api = await startTestService({ listen: true, redis: false, env: { METRICS_TOKEN: TOKEN } });
    writeFileSync(credentials, TOKEN, { mode: 0o600 });

    const repo = parse(readFileSync(join(REPO_ROOT, 'prometheus.yml'), 'utf8')) as { scrape_configs: ScrapeJob[] };
    const job = repo.scrape_configs.find((j) => j.job_name === 'flower-shop-api');
    // The repo's job as written: a Bearer token from a file relative to prometheus.yml.
    expect(job?.authorization).toEqual({ type: 'Bearer', credentials_file: 'secrets/metrics-token' });
    const scrape = {
      ...job,
      authorization: { type: 'Bearer', credentials_file: credentials },
      static_configs: [{ targets: [api.url.replace('http://', '')] }],
    };

    // The repo's FlowerShopApiDown, with its for: shortened from 2m so the test need not wait.
    const meta = readFileSync(join(RULES_DIR, 'meta-alerts.yml'), 'utf8');
    const rules = parse(meta) as { groups: { rules: { alert?: string; for?: string }[] }[] };
    const down = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === 'FlowerShopApiDown');
    expect(down?.for).toBe('2m');
    down!.for = '3s';
    const rulesFile = join(dir, 'meta-alerts.yml');
    writeFileSync(rulesFile, stringify(rules));

    prometheus = await startPrometheus({ intervalSeconds: 1, ruleFiles: [rulesFile], scrapeConfigs: [scrape] });
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const target = async () => {
    const res = await prometheus.api<{ activeTargets: { health: string; lastError: string }[] }>('targets', {
      state: 'active',
    });
    return res.data.activeTargets[0];
  };

  it('with the right token the scrape succeeds and the service series arrive', async () => {
    const up = await waitUntil('a successful scrape', async () => {
      const t = await target();
      return t?.health === 'up' ? t : undefined;
    });
    expect(up.lastError).toBe('');
    const series = await prometheus.query('cache_requests_total{job="flower-shop-api"}');
    expect(series.data.result.length).toBeGreaterThan(0);
    const alerts = await prometheus.query('ALERTS{alertname="FlowerShopApiDown"}');
    expect(alerts.data.result).toEqual([]);
  });

  it('with a wrong token every scrape is a 401 and FlowerShopApiDown fires', async () => {
    writeFileSync(credentials, 'a-wrong-token-after-a-botched-rotation');
    const failing = await waitUntil('a failing scrape', async () => {
      const t = await target();
      return t?.health === 'down' ? t : undefined;
    });
    expect(failing.lastError).toMatch(/401/);
    const firing = await waitUntil('FlowerShopApiDown to fire', async () => {
      const res = await prometheus.api<{ alerts: { labels: Record<string, string>; state: string }[] }>('alerts');
      return res.data.alerts.find((a) => a.labels['alertname'] === 'FlowerShopApiDown' && a.state === 'firing');
    });
    expect(firing.labels).toMatchObject({
      job: 'flower-shop-api',
      instance: api.url.replace('http://', ''),
      severity: 'page',
    });
  }, 60_000);
});
