import {
  HTTP_DURATION,
  http4xxRatio,
  http5xxByRoute,
  http5xxRatio,
  httpLatency,
  httpLatencyP50ByRoute,
  httpLatencyP99ByMethodRoute,
  httpRequestsByRoute,
  httpRequestsByStatus,
} from '../src/observability/promql/http-queries.ts';
import {
  eventLoopLag,
  eventLoopLagP99,
  processCpu,
  processHeapUsed,
  processRss,
} from '../src/observability/promql/process-queries.ts';
import { databaseRow } from './database-row.ts';
import { DASHBOARD_UIDS, dashboard, jobInstanceVariables, queryVariable } from './frame.ts';
import type { Dashboard } from './model.ts';
import { from } from './panels.ts';
import { sloRow } from './slo-row.ts';

/** Flower shop / API: RED per route, the SLOs, the database and Node.js process health. */
export function shopApi(): Dashboard {
  return dashboard({
    uid: DASHBOARD_UIDS.shopApi,
    startTimeMetric: 'process_start_time_seconds',
    title: 'Flower shop / API',
    description: 'RED (rate, errors, duration) per route for the flower-shop API, plus Node.js process health.',
    tags: ['api'],
    variables: [
      ...jobInstanceVariables(`${HTTP_DURATION}_count`, 'flower-shop-api'),
      queryVariable(
        'route',
        'Route',
        `label_values(${HTTP_DURATION}_count{job=~"$job", instance=~"$instance"}, route)`,
        {
          defaultValue: '$__all',
          includeAll: true,
          multi: true,
        },
      ),
    ],
    rows: [
      sloRow(),
      {
        title: 'Rate',
        description: 'How much traffic each route gets.',
        panels: [
          {
            title: 'Request rate by route',
            description: 'Requests per second per Hono route template.',
            unit: 'reqps',
            stack: true,
            targets: [from(httpRequestsByRoute)],
          },
          {
            title: 'Request rate by status code',
            description: 'Requests per second per HTTP status code, all selected routes.',
            unit: 'reqps',
            stack: true,
            targets: [from(httpRequestsByStatus)],
          },
        ],
      },
      {
        title: 'Errors',
        description: 'Server errors (5xx) and client errors (4xx) as a share of requests, per route.',
        panels: [
          {
            title: '5xx error ratio by route',
            description:
              'Share of requests answered with a 5xx status, per route. Server-side failures: check loads errors and L2 errors on the cache dashboard.',
            unit: 'percentunit',
            min: 0,
            targets: [from(http5xxRatio)],
          },
          {
            title: '4xx error ratio by route',
            description:
              'Share of requests answered with a 4xx status, per route (validation errors, unknown ids, missing admin token).',
            unit: 'percentunit',
            min: 0,
            targets: [from(http4xxRatio)],
          },
          {
            title: '5xx per second by route',
            description:
              'Server errors per second per method and route: how many, where the ratio above says how large a share. The console charts the same query.',
            unit: 'reqps',
            w: 24,
            stack: true,
            targets: [from(http5xxByRoute)],
          },
        ],
      },
      {
        title: 'Duration',
        description: 'Latency percentiles; exemplars link each dot to its trace in Tempo.',
        panels: [
          {
            title: 'Request duration p50/p95/p99',
            description: 'Latency percentiles over all selected routes. Exemplar dots open the trace.',
            unit: 's',
            targets: httpLatency.map((q) => from(q, { exemplar: true })),
          },
          {
            title: 'Request duration p99 by route',
            description: 'p99 latency per method and route. Cached reads should stay far below uncached ones.',
            unit: 's',
            targets: [from(httpLatencyP99ByMethodRoute, { exemplar: true })],
          },
          {
            title: 'Request duration p50 by route',
            description: 'Median latency per route.',
            unit: 's',
            w: 24,
            targets: [from(httpLatencyP50ByRoute, { legend: '{{route}}', exemplar: true })],
          },
        ],
      },
      databaseRow(),
      {
        title: 'Process',
        description: 'Node.js process health per instance.',
        panels: [
          {
            title: 'CPU',
            description: 'CPU time per second of wall time per instance (1 = one full core).',
            unit: 'percentunit',
            w: 8,
            targets: [from(processCpu)],
          },
          {
            title: 'Memory',
            description: 'Resident set size and V8 heap used per instance.',
            unit: 'bytes',
            w: 8,
            targets: [from(processRss), from(processHeapUsed)],
          },
          {
            title: 'Event loop lag',
            description:
              'Event loop lag per instance (p99 and current). A blocked loop inflates every latency, including L1.',
            unit: 's',
            w: 8,
            targets: [from(eventLoopLagP99), from(eventLoopLag)],
          },
        ],
      },
    ],
  });
}
