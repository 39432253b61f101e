import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadSummary } from '../scripts/load.ts';
import { startTestService, TEST_ADMIN_TOKEN, type TestService } from './harness/service.ts';

const run = promisify(execFile);

async function httpRequestsCounted(svc: TestService): Promise<number> {
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('http_server_request_duration_seconds_count{') && !line.includes('route="/metrics"'))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

describe('npm run load (scripts/load.ts)', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ listen: true });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('sends the mix at the asked rate for the asked time, and its summary matches what the server counted', async () => {
    const before = await httpRequestsCounted(svc);
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/load.ts',
        '--url',
        svc.url,
        '--rate',
        '100',
        '--duration',
        '3',
        '--write-ratio',
        '0.05',
        '--admin-token',
        TEST_ADMIN_TOKEN,
      ],
      { timeout: 30_000 },
    );
    const summary = JSON.parse(stdout) as LoadSummary;
    const counted = (await httpRequestsCounted(svc)) - before;

    // +1: the catalogue-size probe it sends before the load.
    expect(counted).toBe(summary.sent + 1);
    expect(summary.completed).toBe(summary.sent);
    expect(summary.sent).toBeGreaterThanOrEqual(250);
    expect(summary.sent).toBeLessThanOrEqual(310);
    expect(Object.keys(summary.errors)).toEqual([]);
    expect(Object.values(summary.byStatus).reduce((a, b) => a + b, 0)).toBe(summary.sent);
    expect(summary.byStatus['200']).toBeGreaterThan(summary.sent * 0.8);
    expect(summary.byRoute['GET product']).toBeGreaterThan(0);
    expect(summary.byRoute['GET catalog']).toBeGreaterThan(0);
    expect(summary.byRoute['GET search']).toBeGreaterThan(0);
    expect((summary.byRoute['PATCH write-price'] ?? 0) + (summary.byRoute['POST write-order'] ?? 0)).toBeGreaterThan(0);
    expect(summary.catalogueSize).toBe(300);
    const { l1Hit, l2Hit, miss, stale } = summary.cacheStatus;
    // Every cached GET is counted under one tier; Zipf makes repeats, so L1 answers some.
    expect(l1Hit + l2Hit + miss + stale).toBe(
      summary.sent - (summary.byRoute['PATCH write-price'] ?? 0) - (summary.byRoute['POST write-order'] ?? 0),
    );
    expect(l1Hit).toBeGreaterThan(0);
    expect(miss).toBeGreaterThan(0);
    expect(summary.latencyMs.p99).toBeGreaterThanOrEqual(summary.latencyMs.p50);
  });

  it('hit-ratio-drop: the second half hits the cache far less than the first', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/load.ts',
        '--url',
        svc.url,
        '--rate',
        '150',
        '--duration',
        '2',
        '--scenario',
        'hit-ratio-drop',
        '--write-ratio',
        '0',
      ],
      {
        timeout: 30_000,
      },
    );
    const summary = JSON.parse(stdout) as LoadSummary;
    const [mix, scattered] = summary.phases!;
    const ratio = (p: { sent: number; l1Hit: number; l2Hit: number }) => (p.l1Hit + p.l2Hit) / p.sent;
    expect(mix!.sent).toBeGreaterThan(100);
    expect(scattered!.sent).toBeGreaterThan(100);
    expect(ratio(scattered!)).toBeLessThan(ratio(mix!) / 2);
  });

  it('refuses a target that is not loopback, before sending anything', async () => {
    const failed = await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/load.ts', '--url', 'http://192.0.2.10:3000', '--duration', '1'],
      { timeout: 30_000 },
    ).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toMatch(/refusing to send load to 192\.0\.2\.10:3000/);
  });
});
