/**
 * Prometheus for tests: a parser for what /metrics exposes (classic text format
 * and OpenMetrics, exemplars included), and the real `prometheus` binary (and
 * other exporters) started on free loopback ports and stopped again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../harness/api-process.ts';

// ---------------------------------------------------------------------------
// Exposition parsing
// ---------------------------------------------------------------------------

export type Labels = Record<string, string>;

export interface Sample {
  name: string;
  labels: Labels;
  value: number;
  exemplar?: { labels: Labels; value: number };
}

export interface Exposition {
  samples: Sample[];
  /** `# TYPE` per metric family name as written (OpenMetrics counters have no `_total` there). */
  types: Map<string, string>;
  help: Map<string, string>;
  /** OpenMetrics only: the body ended with `# EOF`. */
  eof: boolean;
}

function parseLabelSet(text: string, start: number): { labels: Labels; end: number } {
  // text[start] === '{'
  const labels: Labels = {};
  let i = start + 1;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === ',') i++;
    if (text[i] === '}') return { labels, end: i + 1 };
    const eq = text.indexOf('=', i);
    if (eq < 0 || text[eq + 1] !== '"') throw new Error(`malformed label set in: ${text}`);
    const name = text.slice(i, eq).trim();
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        j++;
        const c = text[j];
        value += c === 'n' ? '\n' : (c ?? '');
      } else {
        value += text[j];
      }
    }
    if (j >= text.length) throw new Error(`unterminated label value in: ${text}`);
    labels[name] = value;
    i = j + 1;
  }
  throw new Error(`unterminated label set in: ${text}`);
}

function parseNumber(token: string | undefined, line: string): number {
  if (token === undefined) throw new Error(`missing value in: ${line}`);
  if (token === '+Inf') return Infinity;
  if (token === '-Inf') return -Infinity;
  // prom-client writes NaN as `Nan`; Prometheus reads either (Go's ParseFloat ignores case).
  if (token.toLowerCase() === 'nan') return NaN;
  const n = Number(token);
  if (Number.isNaN(n)) throw new Error(`bad number "${token}" in: ${line}`);
  return n;
}

/** Parses a /metrics body in the classic text format or OpenMetrics. Throws on a line it cannot read. */
export function parseExposition(body: string): Exposition {
  const out: Exposition = { samples: [], types: new Map(), help: new Map(), eof: false };
  for (const raw of body.split('\n')) {
    const line = raw.trimEnd();
    if (line === '') continue;
    if (out.eof) throw new Error(`content after # EOF: ${line}`);
    if (line.startsWith('#')) {
      const m = /^# (TYPE|HELP|UNIT) (\S+) ?(.*)$/.exec(line);
      if (line === '# EOF') out.eof = true;
      else if (m?.[1] === 'TYPE') out.types.set(m[2]!, m[3] ?? '');
      else if (m?.[1] === 'HELP') out.help.set(m[2]!, m[3] ?? '');
      continue;
    }
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd <= 0) throw new Error(`malformed sample: ${line}`);
    const name = line.slice(0, nameEnd);
    let labels: Labels = {};
    let rest = line.slice(nameEnd);
    if (rest.startsWith('{')) {
      const parsed = parseLabelSet(line, nameEnd);
      labels = parsed.labels;
      rest = line.slice(parsed.end);
    }
    const hash = rest.indexOf(' # {');
    const valuePart = hash >= 0 ? rest.slice(0, hash) : rest;
    const value = parseNumber(valuePart.trim().split(/\s+/)[0], line);
    const sample: Sample = { name, labels, value };
    if (hash >= 0) {
      const exStart = line.length - rest.length + hash + 3;
      const ex = parseLabelSet(line, exStart);
      sample.exemplar = { labels: ex.labels, value: parseNumber(line.slice(ex.end).trim().split(/\s+/)[0], line) };
    }
    out.samples.push(sample);
  }
  return out;
}

/** `name{a="1",b="2"}` with labels sorted: a series' identity, without its value. */
export function seriesId(s: Pick<Sample, 'name' | 'labels'>): string {
  const labels = Object.keys(s.labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(s.labels[k])}`)
    .join(',');
  return `${s.name}{${labels}}`;
}

function sameLabels(a: Labels, b: Labels): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/**
 * The value of the one series with exactly these labels. Throws when it is absent, so a
 * misspelt name or label cannot pass as "did not change".
 */
export function sampleValue(samples: readonly Sample[], name: string, labels: Labels = {}): number {
  const found = samples.filter((s) => s.name === name && sameLabels(s.labels, labels));
  if (found.length !== 1)
    throw new Error(`expected exactly one series ${seriesId({ name, labels })}, found ${found.length}`);
  return found[0]!.value;
}

/** For series a client library creates on first use only (prom-client histograms): absent means 0. */
export function valueOrZero(samples: readonly Sample[], name: string, labels: Labels = {}): number {
  return samples.some((s) => s.name === name && sameLabels(s.labels, labels)) ? sampleValue(samples, name, labels) : 0;
}

// ---------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------

export interface BackgroundProcess {
  readonly url: string;
  logTail(): string;
  stop(): Promise<void>;
}

/**
 * Spawns a long-running binary and resolves once `readyPath` on `url` answers 200; rejects
 * (with the tail of its output) if it exits first or does not get ready in time.
 */
export async function startBackgroundProcess(
  cmd: string,
  args: string[],
  opts: { url: string; readyPath: string; timeoutMs?: number; onStop?: () => void },
): Promise<BackgroundProcess> {
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (error) => {
      log += `\n${cmd}: ${error.message}`;
      exited = true;
      resolve();
    });
  });

  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exit;
      clearTimeout(killer);
    }
    opts.onStop?.();
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  while (Date.now() < deadline && !exited) {
    try {
      const res = await fetch(opts.url + opts.readyPath);
      await res.arrayBuffer();
      if (res.ok) return { url: opts.url, logTail: () => log, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(
    `${cmd} did not become ready at ${opts.url}${opts.readyPath}${exited ? ' (it exited)' : ''}:\n${log}`,
  );
}

export interface PrometheusOptions {
  /** `scrape_configs` entries, as they would appear in prometheus.yml. */
  scrapeConfigs: Record<string, unknown>[];
  /** Absolute paths of rule files. */
  ruleFiles: string[];
  intervalSeconds?: number;
  /** Also scrape Prometheus itself as job `prometheus` (its rule-evaluation counters). */
  scrapeSelf?: boolean;
  /** Listen here (a free port chosen earlier, when the scraped services must know the URL first). */
  port?: number;
}

export interface PromResult {
  metric: Labels;
  value?: [number, string];
}

export interface PromResponse<T> {
  status: 'success' | 'error';
  data: T;
  errorType?: string;
  error?: string;
}

export interface PrometheusServer extends BackgroundProcess {
  /** Instant query through the HTTP API; resolves with Prometheus's own answer, errors included. */
  query(expr: string): Promise<PromResponse<{ resultType: string; result: PromResult[] }>>;
  api<T>(path: string, params?: Record<string, string>): Promise<PromResponse<T>>;
}

/**
 * The real Prometheus with a generated config: the given scrape jobs and rule files, scrape
 * and evaluation every `intervalSeconds`, exemplar storage on, TSDB in a temp folder.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-test-'));
  const interval = `${options.intervalSeconds ?? 1}s`;
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: options.ruleFiles,
    storage: { exemplars: { max_exemplars: 100_000 } },
    scrape_configs: options.scrapeConfigs,
  };
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  if (options.scrapeSelf)
    config.scrape_configs = [
      ...config.scrape_configs,
      { job_name: 'prometheus', static_configs: [{ targets: [`127.0.0.1:${port}`] }] },
    ];
  const configPath = join(dir, 'prometheus.yml');
  writeFileSync(configPath, stringify(config));
  const proc = await startBackgroundProcess(
    'prometheus',
    [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--enable-feature=exemplar-storage',
      '--log.level=warn',
    ],
    { url, readyPath: '/-/ready', onStop: () => rmSync(dir, { recursive: true, force: true }) },
  );
  const api = async <T>(path: string, params: Record<string, string> = {}): Promise<PromResponse<T>> => {
    const res = await fetch(`${url}/api/v1/${path}?${new URLSearchParams(params).toString()}`);
    return (await res.json()) as PromResponse<T>;
  };
  return {
    ...proc,
    api,
    query: (expr) => api('query', { query: expr }),
  };
}
