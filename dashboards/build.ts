/**
 * Source of truth for the Grafana dashboards in this folder.
 *
 * The committed `*.json` files are generated from this module:
 *
 *   node --import tsx dashboards/build.ts          # rewrite the JSON files
 *   node --import tsx dashboards/build.ts --check  # exit 1 if they are stale
 *
 * test/dashboards-lint.test.ts fails when the committed JSON differs from what
 * this module produces, and lints the JSON the way Grafana's dashboard linter
 * would (datasource variable, job/instance filters, $__rate_interval, units,
 * descriptions, stable uids, links, exemplars).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { cacheOverview } from './cache-overview.ts';
import type { Dashboard } from './model.ts';
import { redisCluster } from './redis-cluster.ts';
import { shopApi } from './shop-api.ts';

export { ALERTS_ANNOTATION, DASHBOARD_FILES, DASHBOARD_TAG, DASHBOARD_UIDS, RESTART_ANNOTATION } from './frame.ts';
export type * from './model.ts';
export { cacheOverview, redisCluster, shopApi };

export function buildDashboards(): Record<string, Dashboard> {
  return {
    'cache-overview.json': cacheOverview(),
    'shop-api.json': shopApi(),
    'redis-cluster.json': redisCluster(),
  };
}

export function renderDashboard(d: Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}

export const DASHBOARDS_DIR = dirname(fileURLToPath(import.meta.url));

function main(argv: string[]): number {
  const check = argv.includes('--check');
  let stale = 0;
  for (const [file, d] of Object.entries(buildDashboards())) {
    const path = join(DASHBOARDS_DIR, file);
    const want = renderDashboard(d);
    let have = '';
    try {
      have = readFileSync(path, 'utf8');
    } catch {
      have = '';
    }
    if (have === want) continue;
    if (check) {
      console.error(`${file} is stale: run node --import tsx dashboards/build.ts`);
      stale++;
    } else {
      writeFileSync(path, want);
      console.log(`wrote ${file}`);
    }
  }
  return stale === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  process.exitCode = main(process.argv.slice(2));
}
