import { l2CircuitState, l2Errors } from '../src/observability/promql/cache-l2-queries.ts';
import {
  cacheHitRatio,
  cacheRequestsByPrefix,
  cacheRequestsByResult,
} from '../src/observability/promql/cache-lookup-queries.ts';
import { cacheSemanticsRows } from './cache-semantics.ts';
import { cacheWhyRow } from './cache-why.ts';
import { DASHBOARD_UIDS, dashboard, jobInstanceVariables, queryVariable } from './frame.ts';
import type { Dashboard } from './model.ts';
import { from, RATIO_THRESHOLDS } from './panels.ts';

/** Flower shop / Cache overview: is the cache healthy, where does it hit or miss, and why. */
export function cacheOverview(): Dashboard {
  return dashboard({
    uid: DASHBOARD_UIDS.cacheOverview,
    startTimeMetric: 'process_start_time_seconds',
    title: 'Flower shop / Cache overview',
    description:
      'Two-tier cache (in-process LRU "l1" + Redis Cluster "l2"): is it healthy, where does it hit or miss, and why.',
    tags: ['cache', 'redis'],
    variables: [
      ...jobInstanceVariables('cache_requests_total', 'flower-shop-api'),
      queryVariable(
        'prefix',
        'Key prefix',
        'label_values(cache_requests_total{job=~"$job", instance=~"$instance"}, prefix)',
        {
          defaultValue: '$__all',
          includeAll: true,
          multi: true,
        },
      ),
    ],
    rows: [
      {
        title: 'Health',
        description: 'Is the cache doing its job right now?',
        panels: [
          {
            type: 'bargauge',
            title: 'Hit ratio now by prefix and tier',
            description:
              'hits / (hits + misses + stale) per key prefix and tier over the last rate interval. L1 below 80% or L2 below 50% with traffic pages (CacheHitRatioLow).',
            unit: 'percentunit',
            min: 0,
            max: 1,
            thresholds: RATIO_THRESHOLDS,
            w: 10,
            targets: [from(cacheHitRatio, { instant: true })],
          },
          {
            type: 'stat',
            title: 'L2 circuit breaker',
            description:
              'State of the Redis (L2) circuit breaker per API instance: 0 closed (Redis used), 1 half-open (probing), 2 open (Redis bypassed, every L1 miss goes to SQLite). Open for more than 1m fires CacheL2Unavailable.',
            unit: 'none',
            w: 6,
            colorMode: 'background',
            thresholds: [
              { color: 'green', value: null },
              { color: 'orange', value: 1 },
              { color: 'red', value: 2 },
            ],
            mappings: [
              {
                type: 'value',
                options: {
                  '0': { text: 'closed', color: 'green', index: 0 },
                  '1': { text: 'half-open', color: 'orange', index: 1 },
                  '2': { text: 'open', color: 'red', index: 2 },
                },
              },
            ],
            targets: [from(l2CircuitState)],
          },
          {
            title: 'L2 errors',
            description:
              'Redis (L2) errors per second by operation and kind (timeout, connection, other). Sustained errors open the circuit breaker.',
            unit: 'ops',
            w: 8,
            stack: true,
            targets: [from(l2Errors)],
          },
        ],
      },
      {
        title: 'Where',
        description: 'Which prefixes and tiers hit, miss or serve stale data, over time.',
        panels: [
          {
            title: 'Hit ratio by prefix and tier',
            description:
              'hits / (hits + misses + stale) per prefix and tier over time. A drop of more than 20 points against the same hour yesterday, for 15m, fires CacheHitRatioDropped (compare with a 1d time shift).',
            unit: 'percentunit',
            min: 0,
            max: 1,
            targets: [from(cacheHitRatio)],
          },
          {
            title: 'Cache requests by tier and result',
            description:
              'Lookups per second per tier, split into hit, miss and stale. Lines, not a stack: an L2 lookup is an L1 miss, so adding L1 and L2 would count it twice.',
            unit: 'reqps',
            targets: [from(cacheRequestsByResult)],
          },
          {
            title: 'Cache requests by prefix',
            description: 'Lookups per second per key prefix and tier (all results).',
            unit: 'reqps',
            w: 24,
            targets: [from(cacheRequestsByPrefix)],
          },
        ],
      },
      cacheWhyRow(),
      ...cacheSemanticsRows(),
    ],
  });
}
