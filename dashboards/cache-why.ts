import { cacheInvalidations } from '../src/observability/promql/cache-l2-queries.ts';
import { cacheCoalesced, cacheLoadLatency, cacheLoads } from '../src/observability/promql/cache-load-queries.ts';
import {
  cacheEvictions,
  cacheOperationLatency,
  l1BytesByInstance,
  l1EntriesByInstance,
  l1EntriesByPrefix,
} from '../src/observability/promql/cache-lookup-queries.ts';
import { from, type RowSpec } from './panels.ts';

/** The cache overview's "Why" row: evictions, latency, size, loads, coalescing and invalidations. */
export function cacheWhyRow(): RowSpec {
  return {
    title: 'Why',
    description: 'Evictions, latency, size, loads, coalescing and invalidations explain the hit ratio.',
    panels: [
      {
        title: 'L1 evictions by prefix and reason',
        description:
          'In-process LRU removals per second: size (LRU full), expired (TTL), invalidated (writes or remote invalidation). A jump far above the last hour fires CacheEvictionStorm.',
        unit: 'ops',
        stack: true,
        targets: [from(cacheEvictions('l1'))],
      },
      {
        title: 'L2 evictions by prefix and reason',
        description:
          'Redis removals per second seen through keyspace notifications: evicted (maxmemory policy) and expired (TTL).',
        unit: 'ops',
        stack: true,
        targets: [from(cacheEvictions('l2'))],
      },
      {
        title: 'Cache operation latency p50/p95/p99',
        description:
          'Per tier and operation (get/set/delete). L1 gets are timed for 1 in 16 gets (a sample: the percentiles hold, counts would not). Bounds for CacheLatencyP99High: l1 p99 1ms, l2 p99 25ms. Exemplar dots (sampled traces) link to the trace in Tempo.',
        unit: 's',
        w: 24,
        h: 9,
        targets: cacheOperationLatency.map((q) => from(q, { exemplar: true })),
      },
      {
        title: 'L1 entries by prefix',
        description: 'Entries currently held in the in-process LRU, summed over the selected instances.',
        unit: 'short',
        stack: true,
        targets: [from(l1EntriesByPrefix)],
      },
      {
        title: 'L1 size',
        description:
          'Approximate bytes held by the in-process LRU per instance (the LRU evicts by size when it reaches its limit).',
        unit: 'bytes',
        targets: [from(l1BytesByInstance)],
      },
      {
        title: 'Loads from the database',
        description:
          'Cache-miss loads (loader calls, i.e. SQLite reads) per second by prefix and result. Errors here surface as 5xx.',
        unit: 'ops',
        stack: true,
        targets: [from(cacheLoads)],
      },
      {
        title: 'Load duration p50/p95/p99',
        description: 'Time a loader takes on a full miss, per prefix. Exemplars link to the trace.',
        unit: 's',
        targets: cacheLoadLatency.map((q) => from(q, { exemplar: true })),
      },
      {
        title: 'Coalesced requests',
        description:
          'Requests per second that joined an in-flight load for the same key instead of hitting the database (single-flight).',
        unit: 'reqps',
        targets: [from(cacheCoalesced)],
      },
      {
        title: 'Invalidations by source',
        description:
          'Invalidations per second: local (a write on this instance) or remote (pub/sub message from another instance).',
        unit: 'ops',
        targets: [from(cacheInvalidations)],
      },
      {
        title: 'L1 entries by instance',
        description:
          "Entries held in the in-process LRU per instance, against CACHE_L1_MAX_ENTRIES. The console's fleet view charts the fullest instance from this query.",
        unit: 'short',
        w: 24,
        targets: [from(l1EntriesByInstance)],
      },
    ],
  };
}
