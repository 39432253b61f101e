/**
 * The load generator of `npm run bench`: autocannon in its own process, so it does not share an
 * event loop with the server it measures. Takes one JSON argument and prints one JSON line:
 *   {"url","connections","duration","path"}                 one fixed GET
 *   {"url","connections","duration","mix":{…MixOptions}}   the realistic mix (bench/workload.ts)
 */
import autocannon from 'autocannon';
import { Mix, type MixOptions } from './workload.ts';

interface ClientSpec {
  url: string;
  connections: number;
  duration: number;
  path?: string;
  mix?: MixOptions;
}

export interface ClientResult {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as ClientSpec;
const mix = spec.mix ? new Mix(spec.mix) : undefined;
const requests: autocannon.Request[] = mix
  ? [
      {
        setupRequest: (req) => {
          const r = mix.next();
          return {
            ...req,
            method: r.method,
            path: r.path,
            headers: r.headers ?? {},
            ...(r.body !== undefined ? { body: r.body } : {}),
          };
        },
      },
    ]
  : [{ method: 'GET', path: spec.path ?? '/' }];

const result = await autocannon({ url: spec.url, connections: spec.connections, duration: spec.duration, requests });
const statusCodes: Record<string, number> = {};
for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
  statusCodes[code] = stats.count ?? 0;
}
const out: ClientResult = {
  rps: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
  total: result.requests.total,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  statusCodes,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
