import { Histogram, type LabelValues } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { histogramChild } from '../src/observability/histogram-child.ts';
import { MetricsRegistry } from '../src/observability/metrics-registry.ts';

describe('histogram children that bypass prom-client observe()', () => {
  it('renders the same buckets, sum and count as prom-client would, and shares the entry with exemplar observations', async () => {
    const metrics = new MetricsRegistry({ defaultMetrics: false });
    const h = new Histogram({
      name: 'x_seconds',
      help: 'x',
      labelNames: ['route'],
      buckets: [0.001, 0.01, 0.1],
      enableExemplars: true,
      registers: [metrics.registry],
    });
    const child = histogramChild(h, { route: '/a' });
    for (const v of [0.0005, 0.001, 0.005, 0.05, 0.5, 2]) child.observe(v);
    child.observe(Number.NaN); // ignored, as prom-client would refuse it
    h.observe({
      labels: { route: '/a' },
      value: 0.002,
      exemplarLabels: { trace_id: 'abc' } as unknown as LabelValues<'route'>,
    });
    const text = (await metrics.render(undefined)).body;
    expect(text).toContain('x_seconds_bucket{le="0.001",route="/a"} 2');
    expect(text).toContain('x_seconds_bucket{le="0.01",route="/a"} 4');
    expect(text).toContain('x_seconds_bucket{le="0.1",route="/a"} 5');
    expect(text).toContain('x_seconds_bucket{le="+Inf",route="/a"} 7');
    expect(text).toContain('x_seconds_count{route="/a"} 7');
    expect(Number(/x_seconds_sum\{route="\/a"\} (\S+)/.exec(text)?.[1])).toBeCloseTo(2.5585, 9);
    const open = (await metrics.render('application/openmetrics-text; version=1.0.0')).body;
    expect(open).toMatch(/x_seconds_bucket\{le="0.01",route="\/a"\} 4 # \{trace_id="abc"\} 0.002/);
  });
});
