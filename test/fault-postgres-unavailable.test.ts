import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ApiProcess, getMetrics, metricValue, readyz, startApiProcess } from './harness/api-process.ts';
import { usePostgresServer } from './harness/backends.ts';
import { expectProblem, timed } from './harness/outage-requests.ts';
import { sharedClusterSeeds } from './harness/redis.ts';
import { waitFor } from './harness/service.ts';

/**
 * PostgreSQL failing under a running service: stopped outright (pg_ctl stop, then start), and
 * slow (a table locked by another session, so statements wait until their timeout). Cached
 * reads within grace keep answering, uncached reads and writes get a quick 503 problem,
 * readiness says unavailable, and it all heals without a restart.
 */

// CACHE_TTL_SCALE 0.02: a product is fresh for 6 s (+10% jitter) and may be served stale for 12 s more.
const TTL_SCALE = '0.02';
const FRESH_MAX_MS = 6_600;
const GRACE_END_MS = 18_000;
const WARM = Array.from({ length: 30 }, (_, i) => i + 1);

interface Sample {
  at: number;
  id: number;
  status: number;
  cacheStatus: string;
  ms: number;
}

const order = (productId: number): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    customer: { name: 'Outage', email: 'outage@example.com' },
    items: [{ productId, quantity: 1 }],
  }),
});

const postgres = usePostgresServer();

describe('PostgreSQL stopped under read load', () => {
  let api: ApiProcess;
  beforeAll(async () => {
    const url = await postgres().createDatabase();
    api = await startApiProcess({
      redis: sharedClusterSeeds(),
      env: { DATABASE_URL: url, CACHE_TTL_SCALE: TTL_SCALE, DATABASE_CONNECT_TIMEOUT_MS: '500' },
    });
  });
  afterAll(async () => {
    await api?.stop();
  });

  test('no read a cache entry within grace could answer fails; uncached reads and writes get a quick 503; /readyz unavailable; heals without a restart', async () => {
    for (const id of WARM) expect((await fetch(`${api.url}/api/products/${id}`)).status).toBe(200);
    const warmedAt = performance.now();

    // Closed-loop read load on the warm products for the whole outage.
    const samples: Sample[] = [];
    let loading = true;
    const load = Promise.all(
      Array.from({ length: 4 }, async (_, loop) => {
        for (let i = 0; loading; i++) {
          const id = WARM[(loop * 7 + i) % WARM.length]!;
          const t0 = performance.now();
          const res = await fetch(`${api.url}/api/products/${id}`, { signal: AbortSignal.timeout(10_000) }).catch(
            () => undefined,
          );
          await res?.arrayBuffer();
          samples.push({
            at: t0 - warmedAt,
            id,
            status: res?.status ?? 0,
            cacheStatus: res?.headers.get('cache-status') ?? '',
            ms: performance.now() - t0,
          });
        }
      }),
    );

    const server = postgres();
    const stopStarted = performance.now() - warmedAt;
    await server.stop();
    const down = performance.now() - warmedAt;
    try {
      await waitFor(async () => (await readyz(api.url)).httpStatus === 503, 5_000, '/readyz to say unavailable');
      const ready = await readyz(api.url);
      expect(ready.status).toBe('unavailable');
      expect(ready.checks['postgresql']?.status).toBe('down');
      // Nothing in the readiness answer gives away the connection string.
      expect(JSON.stringify(ready)).not.toMatch(/postgres:\/\//);

      const uncached = await timed(`${api.url}/api/products/250`);
      expect((await expectProblem(uncached.res, 503)).type).toBe('/problems/store-unavailable');
      expect(uncached.ms).toBeLessThan(2_000);
      const write = await timed(`${api.url}/api/orders`, order(5));
      expect((await expectProblem(write.res, 503)).type).toBe('/problems/store-unavailable');
      expect(write.ms).toBeLessThan(2_000);
      const metrics = await getMetrics(api.url);
      expect(metricValue(metrics, 'db_errors_total', { backend: 'postgresql', kind: 'unavailable' })).toBeGreaterThan(
        0,
      );

      // Down past the products' fresh time, so the warm reads are answered stale (fail-safe), not fresh.
      const untilStale = FRESH_MAX_MS + 500 - (performance.now() - warmedAt);
      if (untilStale > 0) await new Promise((r) => setTimeout(r, untilStale));
      await waitFor(
        () => samples.some((s) => s.at > down && s.cacheStatus.includes('detail=stale')),
        5_000,
        'a warm read answered stale during the outage',
      );
    } finally {
      await server.start();
    }
    const up = performance.now() - warmedAt;

    // Heals by itself: readiness, uncached reads and writes come back without a restart.
    let healedAt = 0;
    await waitFor(
      async () => {
        if ((await readyz(api.url)).httpStatus !== 200) return false;
        if ((await fetch(`${api.url}/api/products/251`)).status !== 200) return false;
        healedAt = performance.now() - warmedAt;
        return true;
      },
      15_000,
      'the service to heal once PostgreSQL is back',
    );
    expect((await fetch(`${api.url}/api/orders`, order(6))).status).toBe(201);
    loading = false;
    await load;

    const outage = samples.filter((s) => s.at >= stopStarted && s.at <= up);
    // Every warm product was cached at warmedAt and the outage ended within its grace.
    expect(up).toBeLessThan(GRACE_END_MS);
    const failed = samples.filter((s) => s.status !== 200);
    if (failed.length > 0) {
      // Load-dependent and rare if it comes back: leave what is needed to pin it down in the log.
      const scrape = await getMetrics(api.url);
      const counters = scrape
        .split('\n')
        .filter(
          (l) => /^cache_(evictions_total\{tier="l1",prefix="product"|l2_errors_total)/.test(l) && !l.endsWith(' 0'),
        );
      for (const f of failed)
        console.log(
          JSON.stringify({
            failedRead: f,
            sameKeyAround: samples
              .filter((x) => x.id === f.id && Math.abs(x.at - f.at) < 2_000)
              .map((x) => `${Math.round(x.at)} ${x.status} ${x.cacheStatus}`),
          }),
        );
      // The bus logs a warning when it drops L1 (silence, gap): whether one came right before the failure.
      const busLines = `${api.stdout()}\n${api.stderr()}`
        .split('\n')
        .filter((l) => /invalidation bus|L2 circuit|redis/i.test(l))
        .slice(-20);
      console.log(JSON.stringify({ counters, busLines }));
    }
    // Not one. On a loaded machine a stalled event loop misses three bus heartbeats (L1 dropped) and times out
    // the L2 read at the same moment: the cache's last resort (src/cache/read-path.ts) answers those reads.
    expect(failed).toEqual([]);
    expect(outage.length).toBeGreaterThan(20);
    const stale = outage.filter((s) => s.cacheStatus.includes('detail=stale')).length;
    expect(stale).toBeGreaterThan(0);
    // How often the last resort answered (an L2 read and the load both failed), by source.
    const scraped = await getMetrics(api.url);
    const lastResort = Object.fromEntries(
      ['l2_retry', 'gap_kept'].map((source) => [
        source,
        metricValue(scraped, 'cache_last_resort_served_total', { prefix: 'product', source }),
      ]),
    );
    console.log(
      JSON.stringify({
        test: 'postgres-unavailable',
        variant: 'server stopped under read load',
        outageMs: Math.round(up - stopStarted),
        readsDuringOutage: outage.length,
        failedReads: failed.length,
        staleAnswers: stale,
        maxReadMs: Math.round(Math.max(...outage.map((s) => s.ms))),
        uncached503Ms: 'see assertions (< 2000)',
        healMsAfterStart: Math.round(healedAt - up),
        lastResort,
      }),
    );
  }, 90_000);
});

describe('PostgreSQL slow: a table locked elsewhere, a small pool', () => {
  let api: ApiProcess;
  let url: string;
  beforeAll(async () => {
    url = await postgres().createDatabase();
    api = await startApiProcess({
      redis: sharedClusterSeeds(),
      env: {
        DATABASE_URL: url,
        DATABASE_POOL_MAX: '2',
        DATABASE_POOL_MAX_WAITING: '2',
        DATABASE_STATEMENT_TIMEOUT_MS: '1500',
        DATABASE_CONNECT_TIMEOUT_MS: '1500',
      },
    });
  });
  afterAll(async () => {
    await api?.stop();
  });

  test('statements time out into 503s, a full pool refuses at once (bounded queue) and shows in the metrics, cached reads keep answering', async () => {
    expect((await fetch(`${api.url}/api/products/7`)).status).toBe(200);
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    let timings: number[] = [];
    let scrape = '';
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE products IN ACCESS EXCLUSIVE MODE');
      // Ten different uncached products at once: two take the connections and wait on the lock, two queue, six are refused.
      const reads = Array.from({ length: 10 }, (_, i) => timed(`${api.url}/api/products/${100 + i}`));
      await waitFor(
        async () => {
          scrape = await getMetrics(api.url);
          return metricValue(scrape, 'db_pool_connections', { backend: 'postgresql', state: 'in_use' }) === 2;
        },
        5_000,
        'the pool to be fully in use',
      );
      expect(metricValue(scrape, 'db_pool_max_connections', { backend: 'postgresql' })).toBe(2);
      const answers = await Promise.all(reads);
      timings = answers.map((a) => Math.round(a.ms));
      for (const { res } of answers) expect((await expectProblem(res, 503)).type).toBe('/problems/store-unavailable');
      // Bounded: no answer waited much past the statement or connection timeout.
      expect(Math.max(...timings)).toBeLessThan(5_000);
      // Cached reads do not need the database.
      expect((await fetch(`${api.url}/api/products/7`)).status).toBe(200);
      const write = await timed(`${api.url}/api/orders`, order(8));
      expect(write.res.status).toBe(503);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
    const metrics = await getMetrics(api.url);
    const exhausted = metricValue(metrics, 'db_errors_total', { backend: 'postgresql', kind: 'pool_exhausted' });
    const timeouts = metricValue(metrics, 'db_errors_total', { backend: 'postgresql', kind: 'timeout' });
    expect(exhausted).toBeGreaterThan(0);
    expect(timeouts).toBeGreaterThan(0);
    // Every attempt is in the duration histogram, failures included.
    expect(
      metricValue(metrics, 'db_query_duration_seconds_count', { backend: 'postgresql', statement: 'product_by_id' }),
    ).toBeGreaterThanOrEqual(11);
    await waitFor(
      async () => (await fetch(`${api.url}/api/products/100`)).status === 200,
      10_000,
      'reads to succeed once the lock is gone',
    );
    expect((await fetch(`${api.url}/api/orders`, order(8))).status).toBe(201);
    console.log(
      JSON.stringify({
        test: 'postgres-unavailable',
        variant: 'table locked, pool of 2, queue of 2',
        answerMs: timings.sort((a, b) => a - b),
        poolExhausted: exhausted,
        timeouts,
      }),
    );
  }, 60_000);
});
