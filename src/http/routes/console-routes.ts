import type { MiddlewareHandler } from 'hono';
import type { TwoTierCache } from '../../cache/two-tier-cache.ts';
import type { CacheConsole } from '../../console/cache-console.ts';
import type { ClusterViewer } from '../../console/cluster-view.ts';
import type { FleetHistory } from '../../console/fleet-history.ts';
import { consoleAssetDirectory, loadConsoleAssets } from '../../console/static-assets.ts';
import type { ShopApp } from '../app-env.ts';
import { bearerTokenOf, tokenMatcher } from '../bearer-token.ts';
import { sendJson } from '../json-response.ts';
import { problem, problemResponse } from '../problem.ts';

/** Nothing inline, nothing from elsewhere: the page is its own bundle and talks only to this origin. */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const PAGE_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

export interface ConsoleDeps {
  console: CacheConsole;
  cache: TwoTierCache;
  cluster: ClusterViewer | undefined;
  /** The whole fleet through Prometheus (PROMETHEUS_URL), or undefined. */
  fleet?: FleetHistory | undefined;
  /** The /metrics token: the console's aggregate views are exactly as open as /metrics. */
  metricsToken: string | undefined;
}

/**
 * GET /console: the page and its bundle (always open: they hold no data), and its data under
 * /console/api/ (behind METRICS_TOKEN when set). Hot keys are admin-only (registerHotKeysRoute).
 */
export function registerConsoleRoutes(app: ShopApp, deps: ConsoleDeps): void {
  const assets = loadConsoleAssets(consoleAssetDirectory());
  const serveAsset = (name: string): MiddlewareHandler => {
    return async (c) => {
      const asset = assets.get(name);
      if (!asset) {
        return problemResponse(
          c,
          problem(404, 'not-found', 'Not found', 'The console bundle is not built: run npm run build.'),
        );
      }
      if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304, { ...PAGE_HEADERS, etag: asset.etag });
      return c.body(asset.body, 200, { ...PAGE_HEADERS, 'content-type': asset.contentType, etag: asset.etag });
    };
  };
  app.get('/console', serveAsset('index.html'));
  app.get('/console/assets/:name', (c, next) => serveAsset(c.req.param('name'))(c, next));

  if (deps.metricsToken) app.use('/console/api/*', requireToken(deps.metricsToken));
  const { console: live } = deps;
  app.get('/console/api/meta', (c) => sendJson(c, live.meta));
  const secondsOf = (text: string | undefined): number | undefined => {
    const seconds = Number(text ?? live.meta.historyLength);
    return Number.isInteger(seconds) && seconds >= 1 && seconds <= live.meta.historyLength ? seconds : undefined;
  };
  const badSeconds = problem(
    400,
    'validation',
    'Invalid request',
    `seconds must be an integer from 1 to ${live.meta.historyLength}`,
  );
  app.get('/console/api/history', (c) => {
    const seconds = secondsOf(c.req.query('seconds'));
    if (seconds === undefined) return problemResponse(c, badSeconds);
    return sendJson(c, live.window(seconds));
  });
  app.get('/console/api/fleet', async (c) => {
    const { fleet } = deps;
    if (!fleet) {
      return problemResponse(
        c,
        problem(
          404,
          'not-configured',
          'No fleet view',
          'Set PROMETHEUS_URL to show every instance through Prometheus.',
        ),
      );
    }
    const seconds = secondsOf(c.req.query('seconds'));
    if (seconds === undefined) return problemResponse(c, badSeconds);
    const window = await fleet.window(seconds);
    if (window.failed.length > 0 && Object.keys(window.series).length === 0) {
      return problemResponse(
        c,
        problem(502, 'prometheus-unavailable', 'Prometheus did not answer', window.failed[0]!.error),
        { 'retry-after': '5' },
      );
    }
    return sendJson(c, window);
  });
  app.get('/console/api/status', (c) => sendJson(c, { ...deps.cache.status(), streams: live.streams.count }));
  app.get('/console/api/cluster', async (c) =>
    sendJson(c, deps.cluster ? await deps.cluster.view() : { status: 'disabled', nodes: [] }),
  );
  app.get('/console/api/stream', (c) => {
    const stream = live.streams.open({ event: 'meta', data: live.meta });
    if (!stream) {
      return problemResponse(
        c,
        problem(503, 'too-many-streams', 'Too many live consoles', `At most ${live.streams.maxStreams} at once.`),
        { 'retry-after': '5' },
      );
    }
    return c.body(stream, 200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
  });
}

/** GET /admin/cache/hot-keys: keys are data (ids, search words), so they need the admin token. */
export function registerHotKeysRoute(app: ShopApp, live: CacheConsole): void {
  app.get('/admin/cache/hot-keys', (c) => {
    const limit = Number(c.req.query('limit') ?? 10);
    if (!Number.isInteger(limit) || limit < 1 || limit > 64) {
      return problemResponse(c, problem(400, 'validation', 'Invalid request', 'limit must be an integer from 1 to 64'));
    }
    return sendJson(c, { sampling: live.meta.hotKeySampling, prefixes: live.hotKeys.top(limit) });
  });
}

function requireToken(token: string): MiddlewareHandler {
  const matches = tokenMatcher(token);
  return async (c, next) => {
    if (!matches(bearerTokenOf(c.req.header('authorization')))) {
      return problemResponse(
        c,
        problem(401, 'unauthorized', 'Authentication required', 'Send Authorization: Bearer <metrics token>.'),
        { 'www-authenticate': 'Bearer realm="metrics"' },
      );
    }
    await next();
  };
}
