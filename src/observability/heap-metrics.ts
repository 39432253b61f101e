import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { Gauge } from 'prom-client';
import type { MetricsStore } from './metrics-registry.ts';

/** Heap in use right after the last full (mark-compact) collection: what the process really holds. */
let liveHeapBytes = 0;
let observing = false;

/** One observer per process, however many registries (tests build many services in one process). */
function observeFullCollections(): void {
  if (observing) return;
  observing = true;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const detail = 'detail' in entry ? (entry.detail as { kind?: number } | null) : null;
      const kind = detail?.kind;
      // Read when the entry is delivered, a moment after the collection: close to, not exactly, what it kept.
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) liveHeapBytes = getHeapStatistics().used_heap_size;
    }
  }).observe({ entryTypes: ['gc'] });
}

/**
 * nodejs_heap_live_bytes. nodejs_heap_size_used_bytes counts garbage not yet collected, which
 * under churn is most of the heap; this is the heap a full collection kept, so it can be held
 * against CACHE_L1_MAX_BYTES plus the service's own fixed heap. 0 until the first full collection.
 */
export function registerLiveHeapGauge(registry: MetricsStore): void {
  observeFullCollections();
  new Gauge({
    name: 'nodejs_heap_live_bytes',
    help: 'V8 heap in use right after the last full (mark-compact) garbage collection; 0 before the first.',
    registers: [registry],
    collect() {
      this.set(liveHeapBytes);
    },
  });
}
