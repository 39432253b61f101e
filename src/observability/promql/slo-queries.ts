import { defineQuery, type PromQuery } from './query.ts';

/**
 * The API's SLOs, read from the recording rules in rules/slo-recording.yml (the burn-rate
 * alerts read the same series). Recorded per job: instance is not a label of them.
 */

/** Error budgets of the objectives in rules/slo-recording.yml. */
export const SLO_BUDGETS = { errors: 0.001, slow: 0.01 } as const;
export const SLO_WINDOWS = ['5m', '30m', '1h', '6h', '1d', '3d'] as const;
export type SloKind = keyof typeof SLO_BUDGETS;

function recorded(kind: SloKind, window: string, jobMatchers: string): string {
  return `job:slo_http_${kind}:ratio_rate${window}{${jobMatchers}}`;
}

const jobOnly = (matchers: readonly string[]): string => matchers.filter((m) => m.startsWith('job')).join(', ');

/** Share of /api/* requests that failed (5xx) or were slow (> 250ms), over each alert window. */
export function sloRatio(kind: SloKind, window: string): PromQuery {
  return defineQuery(`SLO ${kind} ratio ${window}`, `${window} {{job}}`, (s) =>
    recorded(kind, window, jobOnly(s.scope.matchers)),
  );
}

/** Burn rate: how many times faster than the budget allows it is being spent (1 = exactly on budget). */
export function sloBurnRate(kind: SloKind, window: string): PromQuery {
  return defineQuery(
    `SLO ${kind} burn rate ${window}`,
    `${window} {{job}}`,
    (s) => `${recorded(kind, window, jobOnly(s.scope.matchers))} / ${SLO_BUDGETS[kind]}`,
  );
}
