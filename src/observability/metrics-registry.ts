import client, {
  type MetricObject,
  type OpenMetricsContentType,
  type PrometheusContentType,
  Registry,
} from 'prom-client';
import { registerLiveHeapGauge } from './heap-metrics.ts';

export const OPENMETRICS_CONTENT_TYPE = Registry.OPENMETRICS_CONTENT_TYPE;
export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

export type MetricsStore = Registry<OpenMetricsContentType>;

/** What the registry renders from: prom-client's MetricObject is, in fact, a metric with get(). */
type MetricReading = () => Promise<{ name: string }>;

function readingOf(metric: MetricObject): MetricReading | undefined {
  if (!('get' in metric) || typeof metric.get !== 'function') return undefined;
  const get = metric.get as MetricReading;
  return () => get.call(metric);
}

/**
 * prom-client only keeps exemplars on an OpenMetrics registry, and renders one format per
 * registry. Prometheus asks for OpenMetrics (and gets exemplars); everything else (promtool,
 * curl, older scrapers) gets the classic text format rendered from the same metrics.
 */
export class MetricsRegistry {
  readonly registry: MetricsStore;
  private readonly textView: PrometheusTextView;

  constructor(options: { defaultMetrics: boolean }) {
    this.registry = new Registry<OpenMetricsContentType>();
    this.registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    if (options.defaultMetrics) {
      client.collectDefaultMetrics({ register: this.registry });
      registerLiveHeapGauge(this.registry);
      // prom-client names these gauges `_total`, a suffix reserved for counters (promtool check
      // metrics flags them); nodejs_active_{handles,requests,resources} keep the same counts by type.
      for (const name of [
        'nodejs_active_handles_total',
        'nodejs_active_requests_total',
        'nodejs_active_resources_total',
      ]) {
        this.registry.removeSingleMetric(name);
      }
    }
    this.textView = new PrometheusTextView(this.registry);
  }

  /** Picks the format from the Accept header, as Prometheus negotiates it. */
  async render(accept: string | undefined): Promise<{ body: string; contentType: string }> {
    if (accept?.includes('application/openmetrics-text')) {
      return { body: await this.registry.metrics(), contentType: OPENMETRICS_CONTENT_TYPE };
    }
    return { body: await this.textView.metrics(), contentType: PROMETHEUS_CONTENT_TYPE };
  }
}

class PrometheusTextView extends Registry<PrometheusContentType> {
  constructor(private readonly source: MetricsStore) {
    super();
  }

  // Rendering OpenMetrics strips `_total` from counter names in place; the classic format needs it back.
  override getMetricsAsArray(): MetricObject[] {
    return this.source.getMetricsAsArray().map((metric) => {
      // prom-client types `type` as a numeric enum; at run time it is the string Prometheus prints.
      const read = String(metric.type) === 'counter' ? readingOf(metric) : undefined;
      if (read === undefined) return metric;
      const view: MetricObject & { get: MetricReading } = {
        name: metric.name,
        help: metric.help,
        type: metric.type,
        aggregator: metric.aggregator,
        collect: metric.collect,
        get: async () => {
          const data = await read();
          return { ...data, name: `${data.name.replace(/_total$/, '')}_total` };
        },
      };
      return view;
    });
  }
}
