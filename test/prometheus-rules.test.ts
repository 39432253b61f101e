/**
 * Prometheus config, recording/alerting rules and their promtool unit tests,
 * checked with the real promtool (Debian's prometheus package).
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { allRuleExprs, REPO_ROOT, RULES_DIR, ruleFiles } from './helpers/dashboard-queries.ts';
import { promtool, run } from './helpers/promtool.ts';

const TESTS_DIR = join(RULES_DIR, 'tests');

const EXPECTED_ALERTS = [
  // symptoms: the shop API's SLOs
  'ShopApiErrorBudgetBurnFast',
  'ShopApiErrorBudgetBurnSlow',
  'ShopApiLatencyBudgetBurnFast',
  'ShopApiLatencyBudgetBurnSlow',
  // the cache
  'CacheEvictionStorm',
  'CacheHitRatioDropped',
  'CacheHitRatioLow',
  'CacheL2Unavailable',
  'CacheLatencyP99High',
  // meta-monitoring
  'Watchdog',
  'FlowerShopApiDown',
  'FlowerShopApiAbsent',
  'RedisExporterDown',
  'PrometheusRuleEvaluationFailures',
  // Redis Cluster, from redis_exporter
  'RedisNodeDown',
  'RedisClusterStateNotOk',
  'RedisClusterSlotsNotOk',
  'RedisReplicaMasterLinkDown',
  'RedisMemoryNearMaxmemory',
  // the source of truth (SQLite or PostgreSQL)
  'DatabaseErrorRatioHigh',
  'DatabasePoolSaturated',
];

/** The always-firing alert: no severity that pages or tickets, no for:, never silent. */
const WATCHDOG = 'Watchdog';

/** Alerts on traffic-derived ratios, which need a traffic floor (and a promtool test of it). */
const TRAFFIC_FLOOR_RULE_FILES = ['cache-alerts.yml', 'database-alerts.yml', 'slo-alerts.yml'];

interface AlertRule {
  file: string;
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RuleDoc {
  groups: { name: string; rules: ({ record: string; expr: string } | Omit<AlertRule, 'file'>)[] }[];
}

interface AlertTestCase {
  eval_time: string;
  alertname: string;
  exp_alerts?: { exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }[] | null;
}

interface TestDoc {
  rule_files: string[];
  tests: { name?: string; alert_rule_test?: AlertTestCase[] }[];
}

function alertRules(): AlertRule[] {
  const out: AlertRule[] = [];
  for (const f of ruleFiles()) {
    const doc = parse(readFileSync(join(RULES_DIR, f), 'utf8')) as RuleDoc;
    for (const g of doc.groups) for (const r of g.rules) if ('alert' in r) out.push({ ...r, file: f });
  }
  return out;
}

function testFiles(): string[] {
  return readdirSync(TESTS_DIR)
    .filter((f) => f.endsWith('.yml'))
    .sort()
    .map((f) => join('rules', 'tests', f));
}

function testDocs(): { file: string; doc: TestDoc }[] {
  return testFiles().map((file) => ({ file, doc: parse(readFileSync(join(REPO_ROOT, file), 'utf8')) as TestDoc }));
}

describe('promtool', () => {
  it('is installed', async () => {
    const r = await run('promtool', ['--version']);
    expect(r.code, r.stderr).toBe(0);
  });

  // In a copy of the repo's layout with a credentials file: promtool checks that the token file exists.
  it('check config prometheus.yml passes (including the rule files it loads)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'promtool-config-'));
    try {
      copyFileSync(join(REPO_ROOT, 'prometheus.yml'), join(dir, 'prometheus.yml'));
      symlinkSync(RULES_DIR, join(dir, 'rules'));
      mkdirSync(join(dir, 'secrets'));
      writeFileSync(join(dir, 'secrets', 'metrics-token'), 'a-token-of-sixteen-or-more');
      const r = await promtool(['check', 'config', 'prometheus.yml'], dir);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      // every rule file was found through rule_files
      for (const f of ruleFiles()) expect(r.stdout).toContain(`rules/${f}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('check rules rules/*.yml passes', async () => {
    const files = ruleFiles().map((f) => join('rules', f));
    expect(files.length).toBeGreaterThanOrEqual(2);
    const r = await promtool(['check', 'rules', ...files], REPO_ROOT);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  // One promtool per file, side by side: the hit-ratio-drop tests replay more than a day of samples.
  it('test rules rules/tests/*.yml passes', async () => {
    const files = testFiles();
    expect(files.length).toBeGreaterThan(0);
    // A rule test that compares a $value-bearing annotation reads it where the ratios are flat:
    // promtool evaluates recording and alert groups side by side, so a ramping ratio can come
    // from this tick or the last (rules/tests/slo-*.test.yml say so where they rely on it).
    const results = await Promise.all(files.map((f) => promtool(['test', 'rules', f], REPO_ROOT)));
    for (const [i, r] of results.entries()) {
      expect(r.code, `${files[i]}\n${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout + r.stderr).not.toContain('FAILED');
    }
  }, 240_000);
});

describe('prometheus.yml', () => {
  const cfg = parse(readFileSync(join(REPO_ROOT, 'prometheus.yml'), 'utf8')) as {
    rule_files: string[];
    alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
  };

  it('scrapes the API replicas, every Redis node through redis_exporter, and itself', () => {
    const jobs = new Map(cfg.scrape_configs.map((s) => [s.job_name, s]));
    expect(jobs.get('flower-shop-api')?.static_configs.flatMap((s) => s.targets)).toEqual(['api-1:3000', 'api-2:3000']);
    const redis = jobs.get('redis');
    expect(redis?.metrics_path).toBe('/scrape');
    expect(redis?.static_configs.flatMap((s) => s.targets)).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => `redis://redis-${n}:6379`),
    );
    expect(jobs.has('prometheus')).toBe(true);
  });

  it('loads the rule files and sends alerts to alertmanager:9093', () => {
    expect(cfg.rule_files).toEqual(['rules/*.yml']);
    expect(cfg.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((s) => s.targets))).toEqual([
      'alertmanager:9093',
    ]);
  });
});

describe('alert rules', () => {
  const alerts = alertRules();
  const docs = testDocs();

  it('define the expected alerts', () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual([...EXPECTED_ALERTS].sort());
  });

  it('each has severity, summary, description and a runbook_url with an anchor named after it', () => {
    for (const a of alerts) {
      if (a.alert === WATCHDOG) {
        expect(a.labels?.severity).toBe('none');
        expect(a.expr.trim()).toBe('vector(1)');
        continue;
      }
      expect(['page', 'ticket'], a.alert).toContain(a.labels?.severity);
      expect(a.annotations?.summary, a.alert).toMatch(/\S/);
      expect(a.annotations?.description, a.alert).toMatch(/\{\{\s*\$value/);
      expect(a.annotations?.runbook_url, a.alert).toBe(
        `https://github.com/flower-shop/api/blob/main/docs/operations.md#${a.alert.toLowerCase()}`,
      );
      expect(a.for, `${a.alert} needs a for: duration`).toMatch(/^\d+[smh]$/);
    }
  });

  it('each has promtool tests: one where it fires, one on normal behaviour (and, with a traffic floor, one on low traffic) where it stays silent', () => {
    for (const a of alerts) {
      const floor = TRAFFIC_FLOOR_RULE_FILES.includes(a.file);
      let fires = false;
      let silentLowTraffic = false;
      let silentNormal = false;
      for (const { doc } of docs) {
        for (const t of doc.tests) {
          const name = (t.name ?? '').toLowerCase();
          for (const c of t.alert_rule_test ?? []) {
            if (c.alertname !== a.alert) continue;
            const n = c.exp_alerts?.length ?? 0;
            if (n > 0) fires = true;
            if (n === 0 && name.includes('low traffic')) silentLowTraffic = true;
            if (n === 0 && name.includes('normal')) silentNormal = true;
          }
        }
      }
      expect({ alert: a.alert, fires, silentLowTraffic, silentNormal }).toEqual({
        alert: a.alert,
        fires: true,
        silentLowTraffic: floor ? true : silentLowTraffic,
        silentNormal: a.alert === WATCHDOG ? silentNormal : true,
      });
    }
  });

  it('firing expectations pin severity and every annotation', () => {
    for (const { file, doc } of docs) {
      for (const t of doc.tests) {
        for (const c of t.alert_rule_test ?? []) {
          for (const e of c.exp_alerts ?? []) {
            expect(e.exp_labels?.severity, `${file}: ${c.alertname}`).toMatch(
              c.alertname === WATCHDOG ? /^none$/ : /^(page|ticket)$/,
            );
            expect(Object.keys(e.exp_annotations ?? {}).sort(), `${file}: ${c.alertname}`).toEqual([
              'description',
              'runbook_url',
              'summary',
            ]);
          }
        }
      }
    }
  });

  it('every test file loads rule files that exist, alert rules with the recording rules they read', () => {
    for (const { file, doc } of docs) {
      for (const rf of doc.rule_files)
        expect(existsSync(join(REPO_ROOT, 'rules', 'tests', rf)), `${file}: ${rf}`).toBe(true);
      if (doc.rule_files.includes('../cache-alerts.yml'))
        expect(doc.rule_files, file).toContain('../cache-recording.yml');
      if (doc.rule_files.includes('../slo-alerts.yml')) expect(doc.rule_files, file).toContain('../slo-recording.yml');
      if (doc.rule_files.includes('../database-alerts.yml'))
        expect(doc.rule_files, file).toContain('../database-recording.yml');
    }
  });

  it('every recording rule is tested or used by an alert', () => {
    const rules = allRuleExprs();
    const records = rules.filter((r) => r.name.includes(':')).map((r) => r.name);
    const alertExprs = alerts.map((a) => a.expr).join('\n');
    const testText = testFiles()
      .map((f) => readFileSync(join(REPO_ROOT, f), 'utf8'))
      .join('\n');
    for (const r of records) {
      const usedByAlert = alertExprs.includes(r);
      const usedByRule = rules.some((o) => o.name !== r && o.expr.includes(r));
      expect(usedByAlert || usedByRule || testText.includes(r), r).toBe(true);
    }
  });
});

describe('alertmanager.yml', () => {
  it('routes to a default receiver, groups by alertname and prefix, and carries no secret', () => {
    const text = readFileSync(join(REPO_ROOT, 'alertmanager', 'alertmanager.yml'), 'utf8');
    const cfg = parse(text) as {
      route: { receiver: string; group_by: string[] };
      receivers: { name: string; webhook_configs?: { url: string }[] }[];
    };
    expect(cfg.receivers.map((r) => r.name)).toContain(cfg.route.receiver);
    expect(cfg.route.group_by).toEqual(['alertname', 'prefix']);
    for (const r of cfg.receivers)
      for (const w of r.webhook_configs ?? []) expect(w.url).not.toMatch(/[?&](token|key|secret)=|\/\/[^/]*@/i);
  });

  // amtool's own routing tree: the Watchdog reaches only its dead man's switch, pages the on-call
  // webhook, the rest the default receiver.
  it.each([
    ['alertname=Watchdog severity=none', 'watchdog'],
    ['alertname=ShopApiErrorBudgetBurnFast severity=page job=flower-shop-api', 'oncall-webhook'],
    ['alertname=CacheHitRatioDropped severity=page prefix=catalog', 'oncall-webhook'],
    ['alertname=CacheHitRatioLow severity=ticket prefix=catalog', 'default'],
  ])('amtool routes %s to %s', async (labels, receiver) => {
    const r = await run('amtool', [
      'config',
      'routes',
      'test',
      `--config.file=${join(REPO_ROOT, 'alertmanager', 'alertmanager.yml')}`,
      ...labels.split(' '),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(receiver);
  });

  // scripts/ensure-system-deps.sh installs prometheus-alertmanager (amtool) before the suite runs.
  it('passes amtool check-config', async () => {
    const r = await run('amtool', ['check-config', join(REPO_ROOT, 'alertmanager', 'alertmanager.yml')]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});
