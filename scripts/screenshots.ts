/**
 * `npm run screenshots`: brings up the service (`npm start`'s compiled entry, with its own Redis
 * Cluster), sends it the load generator's mix, and photographs the console in a real browser,
 * light and dark, into docs/console-*.png for the README.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from './chromium.ts';
import { runLoad } from './load.ts';

const WARM_UP_SECONDS = Number(process.env['SCREENSHOT_WARMUP_SECONDS'] ?? 50);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok && ((await res.json()) as { status: string }).status === 'ready') return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the service did not become ready in 60 s');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flower-shop-screens-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const adminToken = randomBytes(24).toString('base64url');
  const service = spawn(
    process.execPath,
    ['--enable-source-maps', '--import', './dist/observability/tracing-bootstrap.js', 'dist/main.js'],
    {
      env: {
        ...process.env,
        PORT: String(port),
        DATABASE_PATH: join(dir, 'shop.db'),
        ADMIN_TOKEN: adminToken,
        LOG_LEVEL: 'warn',
        // The default 100 ms Redis timeout trips on a machine busy with other work (CPU starvation,
        // not Redis); the pictures are of the cache working, so they allow 500 ms unless told otherwise.
        CACHE_L2_TIMEOUT_MS: process.env['CACHE_L2_TIMEOUT_MS'] ?? '500',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const browser = await launchChromium();
  try {
    await waitReady(url, service);
    process.stdout.write(`service ready at ${url}; sending traffic for ${WARM_UP_SECONDS} s\n`);
    const load = runLoad([
      '--url',
      url,
      '--rate',
      '120',
      '--duration',
      String(WARM_UP_SECONDS + 60),
      '--write-ratio',
      '0.02',
      '--admin-token',
      adminToken,
    ]);
    await new Promise((r) => setTimeout(r, WARM_UP_SECONDS * 1000));

    for (const scheme of ['dark', 'light'] as const) {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: scheme });
      await page.goto(`${url}/console`);
      await page.waitForSelector('[data-chart="hit-ratio-l1"][data-points]');
      await page.waitForSelector('#cluster tbody tr');
      await page.waitForTimeout(1500);
      await page.screenshot({ path: `docs/console-${scheme}.png`, fullPage: true });
      if (scheme === 'light') {
        await page.fill('#admin-token', adminToken);
        await page.press('#admin-token', 'Enter');
        await page.locator('#admin-token').dispatchEvent('change');
        await page.waitForSelector('#hot-keys tr[data-key]');
        const hottest = page.locator('#hot-keys table[data-prefix="product"] tr[data-key] button').first();
        // The load's writes keep invalidating popular products: read it once so the inspector finds it in both tiers.
        const id = ((await hottest.textContent()) ?? '').split(':')[1];
        await fetch(`${url}/api/products/${id}`).then((r) => r.arrayBuffer());
        await hottest.click();
        await page.waitForSelector('#inspect-result dd[data-tier="l2"]');
        await page.locator('#admin').screenshot({ path: 'docs/console-admin.png' });
      }
      await page.close();
    }
    const summary = await load;
    process.stdout.write(`traffic: ${summary?.completed ?? 0} requests, ${JSON.stringify(summary?.cacheStatus)}\n`);
    process.stdout.write('wrote docs/console-light.png, docs/console-dark.png, docs/console-admin.png\n');
  } finally {
    await browser.close();
    service.kill('SIGTERM');
    await new Promise((r) => service.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `screenshots failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
