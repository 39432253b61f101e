import type { PrefixRef } from '../cache/types.ts';
import type { MetricsStore } from '../observability/metrics-registry.ts';
import type { ConsoleMeta } from './console-meta.ts';
import { deriveSample } from './derive-sample.ts';
import { HotKeys, SAMPLE_EVERY } from './hot-keys.ts';
import { LiveStreams } from './live-stream.ts';
import { type Readings, readRegistry } from './registry-readings.ts';
import { type HistoryWindow, SeriesHistory } from './series-history.ts';

export interface CacheConsoleOptions {
  registry: MetricsStore;
  prefixes: readonly PrefixRef[];
  /** What the page draws L1 against. */
  l1Bounds: { maxEntries: number; maxBytes: number };
  intervalMs?: number;
  /** Samples kept: 900 at 1 s is the last 15 minutes. */
  historyLength?: number;
  /** Rates and quantiles are over this many intervals (a 5 s window at 1 s). */
  windowSamples?: number;
  maxStreams?: number;
  maxSeries?: number;
  /** Set when a fleet view (Prometheus) is configured: the page then offers it. */
  fleet?: ConsoleMeta['fleet'];
}

export type { ConsoleMeta };

/**
 * The service's own recent past, for the console page: every interval it reads its metrics
 * registry (on a timer, never per request), turns the counters into rates, ratios and
 * quantiles, keeps them in a bounded history and pushes the new point to the open pages.
 */
export class CacheConsole {
  readonly history: SeriesHistory;
  readonly streams: LiveStreams;
  readonly hotKeys: HotKeys;
  readonly meta: ConsoleMeta;
  private readonly readings: { at: number; readings: Readings }[] = [];
  private readonly windowSamples: number;
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;

  constructor(private readonly options: CacheConsoleOptions) {
    const intervalMs = options.intervalMs ?? 1_000;
    const historyLength = options.historyLength ?? 900;
    this.windowSamples = options.windowSamples ?? 5;
    this.history = new SeriesHistory(historyLength, options.maxSeries ?? 1_000);
    this.streams = new LiveStreams(options.maxStreams ?? 16);
    this.hotKeys = new HotKeys(options.prefixes);
    this.meta = {
      intervalMs,
      historyLength,
      windowSeconds: (this.windowSamples * intervalMs) / 1_000,
      prefixes: options.prefixes.map((p) => p.name),
      l1Bounds: options.l1Bounds,
      hotKeySampling: SAMPLE_EVERY,
      ...(options.fleet ? { fleet: options.fleet } : {}),
    };
  }

  start(): void {
    if (this.timer) return;
    const tick = () => {
      // A sample still running (a very busy loop) is not stacked on.
      this.sampling ??= this.sample().finally(() => {
        this.sampling = undefined;
      });
    };
    // A baseline at start: traffic before the first tick then shows as a rate, not as the starting point.
    tick();
    this.timer = setInterval(tick, this.meta.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.streams.closeAll();
  }

  /** Takes one sample now (the timer's work; tests call it to step time themselves). */
  async sample(at = Date.now()): Promise<void> {
    const readings = await readRegistry(this.options.registry);
    this.readings.push({ at, readings });
    if (this.readings.length > this.windowSamples + 1) this.readings.shift();
    const oldest = this.readings[0]!;
    if (at <= oldest.at) return;
    const values = deriveSample(readings, oldest.readings, (at - oldest.at) / 1_000);
    this.history.push(at, values);
    this.streams.broadcast('sample', { t: at, v: Object.fromEntries(values) });
  }

  window(seconds: number): HistoryWindow {
    return this.history.window(Date.now() - seconds * 1_000);
  }
}
