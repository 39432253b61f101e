import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../scripts/chromium.ts';
import { startTestService, type TestService } from './harness/service.ts';
import { sqliteDb } from './harness/store-sql.ts';

/**
 * A real browser (Debian's headless Chromium) on a storefront page: from an origin listed in
 * CORS_ORIGINS it lists products and places an order; from another origin the browser itself
 * blocks both, and no order reaches the store.
 */

/** A page server: one blank storefront page, on an origin of its own. */
async function pageServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>storefront</title><h1>Flowers</h1>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

interface StorefrontResult {
  listed?: number;
  productId?: number;
  stockBefore?: number;
  orderStatus?: number;
  orderId?: string;
  location?: string | null;
  replayed?: string | null;
  error?: string;
}

/** What the storefront's script does, run inside the page (so under the page's origin). */
async function storefront(api: string): Promise<StorefrontResult> {
  const out: StorefrontResult = {};
  try {
    const list = await fetch(`${api}/api/products?inStock=1&limit=5&_=${Date.now()}`);
    const page = (await list.json()) as { items: { id: number; stock: number }[] };
    out.listed = page.items.length;
    const product = page.items[0]!;
    out.productId = product.id;
    out.stockBefore = product.stock;
    const order = await fetch(`${api}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `browser-${Date.now()}` },
      body: JSON.stringify({
        customer: { name: 'Browser Buyer', email: 'buyer@example.org' },
        items: [{ productId: product.id, quantity: 1 }],
      }),
    });
    out.orderStatus = order.status;
    out.location = order.headers.get('location');
    out.orderId = ((await order.json()) as { id: string }).id;
  } catch (error) {
    out.error = String(error);
  }
  return out;
}

describe('a browser on another origin', () => {
  let allowed: { server: Server; origin: string };
  let other: { server: Server; origin: string };
  let shop: TestService;
  let browser: Browser;

  beforeAll(async () => {
    allowed = await pageServer();
    other = await pageServer();
    shop = await startTestService({ listen: true, seedOrders: 0, env: { CORS_ORIGINS: allowed.origin } });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await shop?.close();
    for (const s of [allowed, other]) if (s) await new Promise((r) => s.server.close(r));
  });

  const ordersOf = (productId: number): number =>
    (
      sqliteDb(shop.service).prepare('SELECT COUNT(*) AS n FROM order_items WHERE product_id = ?').get(productId) as {
        n: number;
      }
    ).n;

  it('lists products and places an order from a listed origin, reading the exposed Location', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${allowed.origin}/`);
      const result = await page.evaluate(storefront, shop.url);
      expect(result.error).toBeUndefined();
      expect(result.listed).toBe(5);
      expect(result.orderStatus).toBe(201);
      expect(result.location).toBe(`/api/orders/${result.orderId}`);
      expect(ordersOf(result.productId!)).toBe(1);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('is blocked by the browser from an origin not listed, and no order reaches the store', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${other.origin}/`);
      const result = await page.evaluate(storefront, shop.url);
      expect(result.error).toMatch(/Failed to fetch/);
      expect(result.listed).toBeUndefined();
      // The order's preflight fails too: send it straight, without reading a listing first.
      const placed = await page.evaluate(async (api) => {
        try {
          await fetch(`${api}/api/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              customer: { name: 'X', email: 'x@example.org' },
              items: [{ productId: 3, quantity: 1 }],
            }),
          });
          return 'sent';
        } catch (error) {
          return String(error);
        }
      }, shop.url);
      expect(placed).toMatch(/Failed to fetch/);
      expect(ordersOf(3)).toBe(0);
    } finally {
      await page.close();
    }
  }, 60_000);
});
