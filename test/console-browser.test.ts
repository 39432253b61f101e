import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium } from '../scripts/chromium.ts';
import { type RedisClusterHandle, startPrivateCluster } from './harness/redis.ts';
import { adminHeaders, startTestService, TEST_ADMIN_TOKEN } from './harness/service.ts';

let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/**
 * The console in Debian's Chromium. Every console error, uncaught exception and CSP violation
 * is recorded (the listener is installed by the browser before the page's own script runs).
 */
async function openConsole(url: string): Promise<{ page: Page; problems: string[] }> {
  const problems: string[] = [];
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  pages.push(page);
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${new URL(r.url()).pathname}`);
  });
  await page.exposeFunction('reportViolation', (v: string) => problems.push(`csp: ${v}`));
  // Page-side code is written as strings: the tests compile without the DOM library.
  await page.addInitScript(
    "document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI));",
  );
  const res = await page.goto(`${url}/console`);
  expect(res?.status()).toBe(200);
  expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
  return { page, problems };
}

async function traffic(url: string, ids: number[], rounds = 2): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    await Promise.all(ids.map((id) => fetch(`${url}/api/products/${id}`).then((res) => res.arrayBuffer())));
    await fetch(`${url}/api/products?category=roses&limit=5`).then((res) => res.arrayBuffer());
  }
}

/** Every chart on the page: id, whether shown, its points and newest sample time. */
function charts(page: Page): Promise<{ id: string; hidden: boolean; points: number; lastT: number }[]> {
  return page.evaluate(`[...document.querySelectorAll('[data-chart]')].map((e) => ({
    id: e.dataset.chart,
    hidden: e.hidden,
    points: Number(e.dataset.points ?? 0),
    lastT: Number(e.dataset.lastT ?? 0),
  }))`);
}

// Charts of metrics this build may not export (the bus lag histogram arrives with the cache-semantics work).
const OPTIONAL_CHARTS = new Set(['bus-lag']);

test('after traffic every chart has data and moves with new traffic; no console errors, no CSP violations', async () => {
  const shop = await startTestService({ listen: true });
  try {
    const { page, problems } = await openConsole(shop.url);
    await traffic(shop.url, [1, 2, 3, 4, 5, 6, 7, 8]);
    // Each chart appears once its series has a sample (the L2 ratio, say, after an L1 miss reached L2).
    const waiting = async () =>
      (await charts(page)).filter((c) => !OPTIONAL_CHARTS.has(c.id) && (c.hidden || c.points === 0)).map((c) => c.id);
    await expect.poll(waiting, { timeout: 15_000 }).toEqual([]);
    expect((await charts(page)).length).toBeGreaterThanOrEqual(13);
    const before = await charts(page);
    for (const c of before) {
      if (OPTIONAL_CHARTS.has(c.id) && c.hidden) continue;
      expect(c.hidden, `${c.id} shown`).toBe(false);
      expect(c.points, `${c.id} has data`).toBeGreaterThan(0);
    }
    // Each chart has drawn its canvas.
    expect(await page.locator('[data-chart]:not([hidden]) canvas').count()).toBeGreaterThanOrEqual(13);

    await traffic(shop.url, [9, 10, 11, 12], 3);
    const newest = Math.max(...before.map((c) => c.lastT));
    await expect
      .poll(async () => (await charts(page)).filter((c) => !c.hidden && c.lastT <= newest).map((c) => c.id), {
        timeout: 15_000,
      })
      .toEqual([]);
    const after = await charts(page);
    for (const c of after.filter((c) => !c.hidden)) {
      expect(c.lastT, `${c.id} moved`).toBeGreaterThan(newest);
    }
    // The new lookups are counted: the tiles show lookups per second and the product ratio.
    await expect
      .poll(() => page.locator('[data-tile="l1-hit-ratio"] .value').textContent(), { timeout: 10_000 })
      .toMatch(/%/);
    await expect
      .poll(async () => Number.parseFloat((await page.locator('[data-tile="http"] .value').textContent()) ?? '0'), {
        timeout: 10_000,
      })
      .toBeGreaterThan(0);
    // The cluster, as the instance sees it.
    await expect
      .poll(() => page.locator('#cluster tbody tr[data-reachable="true"]').count(), { timeout: 10_000 })
      .toBe(6);
    expect(problems, problems.join('\n')).toEqual([]);
    // The detector works and the policy holds: an inline script injected now is refused and reported.
    await page.evaluate(
      "const s = document.createElement('script'); s.textContent = 'window.injected = true'; document.body.append(s);",
    );
    await expect.poll(() => problems.some((p) => p.startsWith('csp: script-src')), { timeout: 5_000 }).toBe(true);
    expect(await page.evaluate("'injected' in window")).toBe(false);
  } finally {
    // The page's live stream is an open request: the server would wait for it when closing.
    for (const p of pages.splice(0)) await p.close();
    await shop.close();
  }
});

test('hot key, inspector and invalidation: work with the admin token, refused without it', async () => {
  const shop = await startTestService({ listen: true });
  try {
    const { page, problems } = await openConsole(shop.url);
    const hot = 'product:123';
    for (let i = 0; i < 20; i++) await traffic(shop.url, [123, 123, 123, 123, 123, 123, 123, 123, 123, 123, 5], 1);

    // Without the token: no hot keys shown, invalidation refused and nothing dropped.
    await page.locator('#invalidate-target').fill(hot);
    await page.locator('#invalidate').click();
    await expect.poll(() => page.locator('#invalidate-result').textContent(), { timeout: 10_000 }).toContain('401');
    await expect(page.locator('#hot-keys tr').count()).resolves.toBe(0);
    const stillThere = await fetch(`${shop.url}/admin/cache/inspect?key=${hot}`, { headers: adminHeaders });
    expect(((await stillThere.json()) as { l1: { present: boolean } }).l1.present).toBe(true);

    // With the token (typed into the page, kept in memory, sent as a bearer header).
    await page.locator('#admin-token').fill(TEST_ADMIN_TOKEN);
    await page.locator('#admin-token').dispatchEvent('change');
    const row = page.locator(`#hot-keys table[data-prefix="product"] tr[data-key="${hot}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await page.locator('#hot-keys table[data-prefix="product"] tr').first().getAttribute('data-key')).toBe(hot);

    await row.locator('button').click(); // fills the inspector and the invalidation target
    // The tests' 100-250 ms bus heartbeat can miss three beats on a loaded CI machine, and the
    // instance then drops its L1 (by design): the key is read again and inspected again.
    await expect
      .poll(
        async () => {
          const present = await page.locator('dd[data-tier="l1"]').getAttribute('data-present');
          if (present !== 'true') {
            await fetch(`${shop.url}/api/products/${hot.slice('product:'.length)}`);
            await row.locator('button').click();
          }
          return present;
        },
        { timeout: 10_000 },
      )
      .toBe('true');
    // One inspection's L2 read can time out (100 ms) while other test files load Redis; the page
    // then says so, and inspecting again reads it. The L2 write of the first load can time out the
    // same way (seen in a fresh-clone CI run): L1 holds the key and L1 hits never write L2 again,
    // so after a second absent reading the key is invalidated and loaded again, which stores it
    // in both tiers.
    let absent = 0;
    await expect
      .poll(
        async () => {
          const present = await page.locator('dd[data-tier="l2"]').getAttribute('data-present');
          if (present !== 'true') {
            if (++absent % 2 === 0) {
              await fetch(`${shop.url}/admin/cache/invalidate`, {
                method: 'POST',
                headers: adminHeaders,
                body: JSON.stringify({ keys: [{ prefix: 'product', parts: [123] }] }),
              });
              await fetch(`${shop.url}/api/products/123`);
            }
            await row.locator('button').click();
          }
          return present;
        },
        { timeout: 10_000 },
      )
      .toBe('true');
    expect(await page.locator('dd[data-tier="l2"]').textContent()).toMatch(/slot \d+ · node 127\.0\.0\.1:\d+/);

    await page.locator('#invalidate').click();
    await expect
      .poll(() => page.locator('#invalidate-result').textContent(), { timeout: 10_000 })
      .toContain('invalidated key product:123');
    await expect
      .poll(() => page.locator('dd[data-tier="l1"]').getAttribute('data-present'), { timeout: 10_000 })
      .toBe('false');
    expect(await page.locator('dd[data-tier="l2"]').getAttribute('data-present')).toBe('false');
    // The token never reached a URL, a cookie or storage.
    expect(page.url()).not.toContain(TEST_ADMIN_TOKEN);
    expect(await page.context().cookies()).toEqual([]);
    // (A string: the tests are compiled without the DOM library.)
    expect(await page.evaluate('sessionStorage.length + localStorage.length')).toBe(0);
    expect(
      problems.filter((p) => !p.includes('401')),
      problems.join('\n'),
    ).toEqual([]);
  } finally {
    // The page's live stream is an open request: the server would wait for it when closing.
    for (const p of pages.splice(0)) await p.close();
    await shop.close();
  }
});

test('an L2 outage shows on the page: circuit open, L2 errors, nodes unreachable', async () => {
  let cluster: RedisClusterHandle | undefined = await startPrivateCluster({ masters: 3, replicasPerMaster: 0 });
  const shop = await startTestService({
    listen: true,
    redis: cluster.seedString,
    env: { CACHE_L2_TIMEOUT_MS: '200', CACHE_L2_BREAKER_OPEN_MS: '500' },
  });
  try {
    const { page, problems } = await openConsole(shop.url);
    await traffic(shop.url, [1, 2, 3]);
    await expect
      .poll(() => page.locator('[data-tile="circuit"] .value').textContent(), { timeout: 10_000 })
      .toBe('closed');
    await expect
      .poll(() => page.locator('#cluster tbody tr[data-reachable="true"]').count(), { timeout: 10_000 })
      .toBe(3);

    await cluster.stop();
    cluster = undefined;
    // Misses go to L2, which is gone: errors, then the breaker opens.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      await traffic(shop.url, [Math.floor(Math.random() * 250) + 1, Math.floor(Math.random() * 250) + 1], 1);
      const circuit = await page.locator('[data-tile="circuit"] .value').textContent();
      const errors = Number.parseFloat((await page.locator('[data-tile="l2-errors"] .value').textContent()) ?? '0');
      if (circuit !== 'closed' && errors > 0) break;
    }
    expect(await page.locator('[data-tile="circuit"] .value').textContent()).toMatch(/open/);
    expect(await page.locator('[data-tile="circuit"]').getAttribute('class')).toMatch(/bad|warn/);
    expect(
      Number.parseFloat((await page.locator('[data-tile="l2-errors"] .value').textContent()) ?? '0'),
    ).toBeGreaterThan(0);
    await expect
      .poll(() => page.locator('#cluster tbody tr[data-reachable="true"]').count(), { timeout: 15_000 })
      .toBe(0);
    // The circuit chart has recorded the change.
    const circuitPoints = await page.locator('[data-chart="circuit"]').getAttribute('data-points');
    expect(Number(circuitPoints)).toBeGreaterThan(0);
    expect(problems, problems.join('\n')).toEqual([]);
  } finally {
    // The page's live stream is an open request: the server would wait for it when closing.
    for (const p of pages.splice(0)) await p.close();
    await shop.close();
    await cluster?.stop();
  }
});
