import { type SloKind, sloBurnRate, sloRatio } from '../src/observability/promql/slo-queries.ts';
import { from, type PanelSpec, type RowSpec } from './panels.ts';

/** The shop API's SLOs from the recording rules the burn-rate alerts read (rules/slo-recording.yml). */

const WINDOWS = ['5m', '1h', '6h', '3d'];

function ratioPanel(kind: SloKind, title: string, description: string, budget: number): PanelSpec {
  return {
    title,
    description,
    unit: 'percentunit',
    min: 0,
    w: 8,
    thresholds: [
      { color: 'green', value: null },
      { color: 'red', value: budget },
    ],
    targets: WINDOWS.map((w) => from(sloRatio(kind, w))),
  };
}

export function sloRow(): RowSpec {
  return {
    title: 'SLOs',
    description:
      'Objectives over 30 days for /api/*: 99.9% without a 5xx, 99% within 250ms. Read from the recording rules the burn-rate alerts use, per job.',
    panels: [
      ratioPanel(
        'errors',
        'Error ratio by window',
        'Share of /api/* requests answered with a 5xx over each alert window (job:slo_http_errors:ratio_rate*). The budget is 0.1%.',
        0.001,
      ),
      ratioPanel(
        'slow',
        'Slow ratio by window',
        'Share of /api/* requests slower than 250ms over each alert window (job:slo_http_slow:ratio_rate*). The budget is 1%.',
        0.01,
      ),
      {
        title: 'Error budget burn rate',
        description:
          'How many times faster than allowed each budget is spent (1 = the budget lasts exactly 30 days). The fast-burn alerts fire above 14.4 over 1h (confirmed over 5m), or 6 over 6h; the slow ones above 3 over 1d or 1 over 3d.',
        unit: 'none',
        w: 8,
        thresholds: [
          { color: 'green', value: null },
          { color: 'orange', value: 6 },
          { color: 'red', value: 14.4 },
        ],
        targets: [
          from(sloBurnRate('errors', '1h'), { legend: 'errors 1h {{job}}' }),
          from(sloBurnRate('errors', '6h'), { legend: 'errors 6h {{job}}' }),
          from(sloBurnRate('slow', '1h'), { legend: 'slow 1h {{job}}' }),
          from(sloBurnRate('slow', '6h'), { legend: 'slow 6h {{job}}' }),
        ],
      },
    ],
  };
}
