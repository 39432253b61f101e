/**
 * BENCHMARKS.md's L1 memory section: bench/memory.ts run twice in child processes (V8's heap
 * growth is process-wide), once with V8's own growth and once with the service's default
 * HEAP_GROWING_PERCENT, same keys, same bound. bench/run.ts calls memorySection().
 */
import { fmt, runNodeScript } from './processes.ts';

interface MemoryRun {
  keys: number;
  boundBytes: number;
  maxAccountedBytes: number;
  cacheSizeBytesMetric: number;
  entries: number;
  heapGrowthAfterGc: number;
  heapToAccounted: number;
  heapGrowingPercent: number;
  heapUsedMax: number;
  rssMax: number;
  rssMaxByThird: number[];
  rssGrowthLastThird: number;
  seconds: number;
}

const NUMBERS = [
  'keys',
  'boundBytes',
  'maxAccountedBytes',
  'cacheSizeBytesMetric',
  'entries',
  'heapGrowthAfterGc',
  'heapToAccounted',
  'heapGrowingPercent',
  'heapUsedMax',
  'rssMax',
  'rssGrowthLastThird',
  'seconds',
] as const;

function asMemoryRun(r: Record<string, unknown>): MemoryRun {
  const thirds = r['rssMaxByThird'];
  if (!Array.isArray(thirds) || NUMBERS.some((k) => typeof r[k] !== 'number'))
    throw new Error(`bench/memory.ts printed an unexpected report: ${JSON.stringify(r).slice(0, 300)}`);
  const out = { rssMaxByThird: thirds.map(Number) } as Partial<MemoryRun>;
  for (const k of NUMBERS) out[k] = Number(r[k]);
  return out as MemoryRun;
}

/** The service's default (src/config/config.ts HEAP_GROWING_PERCENT). */
const SERVICE_DEFAULT = 50;

export function memorySection(): { targets: string[]; body: string[] } {
  const runs = [0, SERVICE_DEFAULT].map((p) =>
    asMemoryRun(runNodeScript('bench/memory.ts', ['--expose-gc'], { HEAP_GROWING_PERCENT: String(p) })),
  );
  const mib = (x: number) => `${(x / 1024 / 1024).toFixed(1)} MiB`;
  const first = runs[0]!;
  const ours = runs[1]!;
  const within = runs.every((m) => m.maxAccountedBytes <= m.boundBytes && m.cacheSizeBytesMetric <= m.boundBytes);
  return {
    targets: [
      `| L1 bytes ≤ bound | max ${mib(Math.max(...runs.map((m) => m.maxAccountedBytes)))} of ${mib(first.boundBytes)} | ${within ? '**met**' : '**not met**'} |`,
      `| Heap kept ≈ L1 bytes; RSS levels off under churn | heap after full GC ${ours.heapToAccounted.toFixed(2)}x accounted; RSS growth in last third ${mib(ours.rssGrowthLastThird)} | ${ours.heapToAccounted <= 1.25 && ours.rssGrowthLastThird <= 16 * 1024 * 1024 ? '**met**' : '**not met**'} |`,
    ],
    body: [
      '### 6. L1 memory',
      '',
      `${fmt(first.keys)} distinct product keys through \`cache.get\` (L1 only), CACHE_L1_MAX_BYTES = ${mib(first.boundBytes)}, every evicted entry old-generation garbage. Heap kept: heap growth after a full GC at the end. Run twice (\`bench/memory.ts\` with HEAP_GROWING_PERCENT=0, V8's own growth, then ${SERVICE_DEFAULT}, the service's default).`,
      '',
      '| V8 heap growth | accounted max | heap kept (x accounted) | heap in use max | RSS max by third | RSS growth, last third | time |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...runs.map(
        (m) =>
          `| ${m.heapGrowingPercent === 0 ? "V8's own" : `${m.heapGrowingPercent}%`} | ${mib(m.maxAccountedBytes)} | ${mib(m.heapGrowthAfterGc)} (${m.heapToAccounted.toFixed(2)}x) | ${mib(m.heapUsedMax)} | ${m.rssMaxByThird.map((x) => (x / 1024 / 1024).toFixed(0)).join(' / ')} MiB | ${mib(m.rssGrowthLastThird)} | ${m.seconds.toFixed(0)} s |`,
      ),
      '',
    ],
  };
}
