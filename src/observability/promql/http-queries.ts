import { defineQuery, quantileQueries, quantileQuery, ratioOrZero, type Selectors } from './query.ts';

/** RED of the HTTP API: rate, errors and duration per route. */

export const HTTP_DURATION = 'http_server_request_duration_seconds';

const requests = (s: Selectors, ...extra: string[]): string => s.rate(s.routed(`${HTTP_DURATION}_count`, ...extra));

export const httpRequestsByRoute = defineQuery(
  'Request rate by route',
  '{{method}} {{route}}',
  (s) => `sum by (method, route) (${requests(s)})`,
);

export const httpRequestsByStatus = defineQuery(
  'Request rate by status code',
  '{{status_code}}',
  (s) => `sum by (status_code) (${requests(s)})`,
);

/** Server errors per second by route (what the console charts as 5xx /s). */
export const http5xxByRoute = defineQuery(
  '5xx per second by route',
  '{{method}} {{route}}',
  (s) => `sum by (method, route) (${requests(s, 'status_code=~"5.."')})`,
);

function errorRatio(kind: '4' | '5'): ReturnType<typeof defineQuery> {
  return defineQuery(`${kind}xx error ratio by route`, '{{route}}', (s) =>
    ratioOrZero(`sum by (route) (${requests(s, `status_code=~"${kind}.."`)})`, `sum by (route) (${requests(s)})`),
  );
}
export const http5xxRatio = errorRatio('5');
export const http4xxRatio = errorRatio('4');

const bucket = (s: Selectors, m: string): string => s.routed(m);

export const httpLatency = quantileQueries('Request duration', HTTP_DURATION, [], bucket);
export const httpLatencyP50ByRoute = quantileQuery('Request duration by route', 0.5, HTTP_DURATION, ['route'], bucket);
/** Per method and route: the console's routes are "GET /api/products/:id". */
export const httpLatencyP99ByMethodRoute = quantileQuery(
  'Request duration by method and route',
  0.99,
  HTTP_DURATION,
  ['method', 'route'],
  bucket,
);
