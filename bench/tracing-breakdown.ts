/**
 * Where tracing's cost on an L1 hit goes, as CPU per request of `npm start` servers on one Redis
 * Cluster, interleaved over rounds (autocannon, 50 connections, `/api/products/42`), on two
 * runtimes: the Node.js `npm start` runs here and the one the production image runs (the
 * Dockerfile's, fetched and prepared by bench/node-runtime.ts):
 *   off      tracing off (npm start's default)
 *   ratio 0  tracing on, sampling nothing: what every unsampled request pays (ids, the sampler)
 *   +hook    the same with AsyncLocalStorage's async hook turned on (bench/als-hook-on.cjs), as
 *            it is for the whole process once one request has been sampled (Node 20 only: from
 *            Node 24 AsyncLocalStorage runs on AsyncContextFrame, without the hook)
 *   ratio .1 tracing on at the default 10%: the above plus the sampled tenth's spans and export
 * Not part of `npm run bench` (its HTTP section measures the 10% case against the L1 hit).
 *
 *   node --import tsx bench/tracing-breakdown.ts      # ROUNDS=4 by default; TRACING_RUNTIMES=here for this Node.js only
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startRedisCluster } from '../src/redis-cluster/index.ts';
import { productionRuntime } from './node-runtime.ts';
import { type BenchServer, buildAll, log, median, type NodeRuntime, runClient, startService } from './processes.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 4);
const PATH = '/api/products/42';

function cpuMs(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

buildAll();
const cluster = await startRedisCluster({ log: () => {} });
let exports = 0;
// An OTLP endpoint answering every export with an empty protobuf response.
const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    exports++;
    res.writeHead(200, { 'content-type': 'application/x-protobuf' });
    res.end();
  });
});
await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', () => resolve()));
const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
const base = { REDIS_CLUSTER_NODES: cluster.seedString, DATABASE_PATH: `/tmp/tracing-breakdown-${process.pid}.db` };
const traced = (ratio: string) => ({
  OTEL_TRACES_EXPORTER: 'otlp',
  OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl,
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
  OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
  OTEL_TRACES_SAMPLER_ARG: ratio,
});
const here = `Node ${process.version.slice(1)}`;
const runtimes: { label: string; runtime: NodeRuntime | undefined }[] = [{ label: here, runtime: undefined }];
if (process.env.TRACING_RUNTIMES !== 'here') {
  const production = productionRuntime(log);
  runtimes.push({ label: `Node ${production.version} (production image)`, runtime: production });
}
const servers: Record<string, BenchServer> = {};
for (const [i, { label, runtime }] of runtimes.entries()) {
  const ns = `tb${i}`;
  servers[`${label}: off`] = await startService('off', { ...base, CACHE_NAMESPACE: `${ns}off` }, runtime);
  servers[`${label}: ratio 0`] = await startService(
    'ratio 0',
    { ...base, CACHE_NAMESPACE: `${ns}r0`, ...traced('0') },
    runtime,
  );
  if (runtime === undefined)
    servers[`${label}: +hook`] = await startService('+hook', {
      ...base,
      CACHE_NAMESPACE: `${ns}h`,
      ...traced('0'),
      NODE_OPTIONS: `--require ${join(import.meta.dirname, 'als-hook-on.cjs')}`,
    });
  servers[`${label}: ratio .1`] = await startService(
    'ratio .1',
    { ...base, CACHE_NAMESPACE: `${ns}r10`, ...traced('0.1') },
    runtime,
  );
}
for (const server of Object.values(servers)) await runClient({ url: server.url, path: PATH, duration: 1 });
const figures: Record<string, { rps: number[]; cpuUs: number[] }> = {};
for (let round = 0; round < ROUNDS; round++)
  for (const [name, server] of Object.entries(servers)) {
    const before = cpuMs(server.proc.pid);
    const result = await runClient({ url: server.url, path: PATH, duration: 3 });
    const entry = figures[name] ?? { rps: [], cpuUs: [] };
    figures[name] = entry;
    entry.rps.push(result.rps);
    entry.cpuUs.push(((cpuMs(server.proc.pid) - before) * 1e3) / result.total);
  }
for (const { label } of runtimes) {
  const off = figures[`${label}: off`]!;
  const offCpu = median(off.cpuUs);
  for (const [name, f] of Object.entries(figures)) {
    if (!name.startsWith(`${label}: `)) continue;
    const cpu = median(f.cpuUs);
    // Per round, as the HTTP section computes it: 1 − this case's req/s ÷ the off server's.
    const cost = median(f.rps.map((rps, r) => 1 - rps / off.rps[r]!));
    console.log(
      `${name.padEnd(44)} ${Math.round(median(f.rps)).toLocaleString('en').padStart(7)} req/s  ${cpu.toFixed(1)} µs CPU/req (+${(cpu - offCpu).toFixed(1)})  req/s cost ${(cost * 100).toFixed(1)}%   rounds ${f.rps.map(Math.round).join(' ')}`,
    );
  }
}
// Against the same runtime's sampling-nothing server rather than its tracing-off one: two single
// processes differ by up to ~14% on their own (BENCHMARKS.md), and this pair differs only in the
// sampled tenth (on Node 20, that tenth also turns the async hook on).
for (const { label } of runtimes) {
  const unsampled = median(figures[`${label}: ratio 0`]!.cpuUs);
  const sampled = median(figures[`${label}: ratio .1`]!.cpuUs);
  console.log(`${label}: the sampled tenth adds ${(sampled - unsampled).toFixed(1)} µs CPU/req over sampling nothing`);
}
console.log(`OTLP exports received: ${exports}`);
for (const server of Object.values(servers)) await server.stop();
sink.close();
await cluster.stop();
