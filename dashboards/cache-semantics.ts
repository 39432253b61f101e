import {
  l1Admissions,
  l1PrefixBudget,
  l1PrefixBudgetUse,
  l1PrefixBytes,
} from '../src/observability/promql/cache-admission-queries.ts';
import { invalidationLag } from '../src/observability/promql/cache-l2-queries.ts';
import {
  cacheLastResortServed,
  cacheLoaderTimeouts,
  cacheLockTakeovers,
  cacheLockWaitLatency,
  cacheLockWaits,
  cacheRefreshes,
  cacheStaleServed,
  cacheStaleServedAge,
} from '../src/observability/promql/cache-load-queries.ts';
import { cacheEvictionsByTier } from '../src/observability/promql/cache-lookup-queries.ts';
import { from, type RowSpec } from './panels.ts';

/**
 * The cache overview's rows on what the cache promises beyond hit or miss: stale answers and
 * their age, background refreshes, loader timeouts, cross-instance load locks, the
 * invalidation bus; then what L1 admits and how each prefix sits against its byte budget.
 */
export function cacheSemanticsRows(): RowSpec[] {
  return [
    {
      title: 'Staleness, refreshes and locks',
      description: 'Stale answers and how old they were, background refreshes, loader timeouts, load locks, bus lag.',
      panels: [
        {
          title: 'Stale answers by prefix',
          description:
            'Answers served past their fresh time per second (stale-while-revalidate, fail-safe after a loader error, soft loader timeouts). Each one starts or joins a background refresh. "last resort" lines: reads whose L2 read and load both failed, answered by asking L2 again (l2_retry) or by an entry a bus gap dropped from L1 (gap_kept); any of them means the database and Redis were in trouble together.',
          unit: 'reqps',
          w: 8,
          targets: [from(cacheStaleServed), from(cacheLastResortServed)],
        },
        {
          title: 'Age of stale answers p50/p99',
          description:
            'How far past its fresh time each stale answer was. Ages near the stale limit mean refreshes keep failing (loader errors, timeouts).',
          unit: 's',
          w: 8,
          targets: cacheStaleServedAge.map((q) => from(q, { exemplar: true })),
        },
        {
          title: 'Background refreshes by reason and result',
          description:
            'Refreshes per second: reason stale (a stale answer was served) or eager (a hit past the eager share of the fresh time); result success or error.',
          unit: 'ops',
          w: 8,
          targets: [from(cacheRefreshes)],
        },
        {
          title: 'Loader timeouts by kind',
          description:
            'Loads that outlived a timeout per second: soft (a stale value was served meanwhile, the load goes on) or hard (a fail-safe value or an error was returned).',
          unit: 'ops',
          w: 8,
          targets: [from(cacheLoaderTimeouts)],
        },
        {
          title: 'Lock waits and takeovers',
          description:
            "Lookups per second that waited for another instance's load lock, and waits that ended without the holder's value (the lock holder died or was slow), after which this instance loaded itself.",
          unit: 'ops',
          w: 8,
          targets: [
            from(cacheLockWaits, { legend: 'waits {{prefix}}' }),
            from(cacheLockTakeovers, { legend: 'takeovers {{prefix}}' }),
          ],
        },
        {
          title: 'Lock wait duration p50/p99',
          description:
            "Time a lookup waited for another instance's load lock. Close to the lock TTL (CACHE_LOCK_TTL_MS) means holders time out rather than finish.",
          unit: 's',
          w: 8,
          targets: cacheLockWaitLatency.map((q) => from(q, { exemplar: true })),
        },
        {
          title: 'Invalidation bus lag p50/p99',
          description:
            "From one instance sending an invalidation to another applying it (sender's clock in the message). The window in which another instance may still serve the old value from L1.",
          unit: 's',
          w: 24,
          targets: invalidationLag.map((q) => from(q, { exemplar: true })),
        },
      ],
    },
    {
      title: 'L1 admission and budgets',
      description: 'What L1 admits (TinyLFU prefixes), each prefix against its byte budget, and why entries leave.',
      panels: [
        {
          title: 'L1 admissions by prefix and result',
          description:
            'Admission decisions per second on TinyLFU prefixes: admitted into the main region, or rejected because the entry it would push out is asked for more often. Many rejections under a one-off scan are the admission doing its job.',
          unit: 'ops',
          targets: [from(l1Admissions)],
        },
        {
          title: 'L1 bytes against budget by prefix',
          description:
            "Bytes each prefix holds in L1 (the fullest instance) against its byte budget (CACHE_L1_PREFIX_BUDGETS). Prefixes without a budget have no budget line. A prefix at its budget evicts its own entries ('size'), not others'.",
          unit: 'bytes',
          targets: [from(l1PrefixBytes), from(l1PrefixBudget)],
        },
        {
          type: 'bargauge',
          title: 'L1 budget used by prefix',
          description: "Share of each prefix's L1 byte budget in use on the fullest instance.",
          unit: 'percentunit',
          min: 0,
          max: 1,
          thresholds: [
            { color: 'green', value: null },
            { color: 'orange', value: 0.8 },
            { color: 'red', value: 0.95 },
          ],
          targets: [from(l1PrefixBudgetUse, { instant: true })],
        },
        {
          type: 'bargauge',
          title: 'Evictions now by tier, prefix and reason',
          description:
            'Evictions per second over the last rate interval, one bar per tier, prefix and reason: size (L1 full or the prefix at its budget), expired (TTL), invalidated (writes), evicted (Redis maxmemory).',
          unit: 'ops',
          min: 0,
          targets: [from(cacheEvictionsByTier, { instant: true })],
        },
      ],
    },
  ];
}
